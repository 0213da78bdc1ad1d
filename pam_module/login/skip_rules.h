// Whether the module has a say in this login at all: break-glass exemptions,
// group membership, trusted networks and the grace period (policy keys; all
// off by default). Decided before any code is sent; a skip becomes
// PAM_IGNORE, never PAM_SUCCESS, so it can't stand in for the password.
#ifndef PAM_TWILIO_OTP_SKIP_RULES_H_
#define PAM_TWILIO_OTP_SKIP_RULES_H_

#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "login/session_identity.h"
#include "base/status.h"
#include "state/user_state.h"

namespace twotp {

struct SkipRequest {
  std::string user;
  std::string service;
  std::string rhost;
  std::optional<SessionIdentity> session;  // local logins' grace: read from /proc, not PAM_TTY
};

struct SkipDecision {
  bool skip = false;
  bool break_glass = false;  // an exempt user or group: logged as a warning at every use
  std::string reason;        // for the log line
};

// The user's group names (GroupsOf in production; a table in tests).
using GroupLookup = std::function<Result<std::vector<std::string>>(const std::string& user)>;
// The user's state (StateStore::Read in production).
using StateLoader = std::function<Result<UserState>()>;

// Applies the rules in order: exempt_users, exempt_groups, groups (only
// members are asked), skip_groups, trusted_networks (PAM_RHOST, per-service
// override), grace_period (per-service override; keyed by GraceKey, so a
// login with neither a remote host nor a terminal session has none). Group
// rules look the user up once; a failed lookup while any group rule is set
// is a fault (refused), never a skip. The state is loaded only for the grace
// period, last, so a corrupt state file never refuses an exempt account; a
// failed load is the result.
Result<SkipDecision> DecideSkip(const SkipRequest& request, const PolicyConfig& policy,
                                const GroupLookup& groups_of, const StateLoader& load_state, std::time_t now);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_SKIP_RULES_H_
