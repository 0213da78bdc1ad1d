// The login: everything pam_sm_authenticate does, in plain C++ that tests can
// drive without PAM. Directory lookup → unenrolled policy → send a code →
// ask for it (resend / voice on request) → check → one verdict and one log line.
#ifndef PAM_TWILIO_OTP_LOGIN_H_
#define PAM_TWILIO_OTP_LOGIN_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "twilio/challenge.h"
#include "config/config.h"
#include "login/conversation.h"
#include "directory/directory.h"
#include "base/logger.h"
#include "base/proc_stat.h"
#include "login/session_identity.h"
#include "login/skip_rules.h"
#include "state/state_store.h"

namespace twotp {

struct LoginRequest {
  // The account's canonical name from NSS (pam_entry: getpwnam, then
  // getpwuid's pw_name), so that another case or an alias of the same uid
  // finds the same number, state and skip rules.
  std::string user;
  std::string service;
  std::string host;
  std::string rhost;
  std::string tty;
  std::string command;  // sudo: the command being approved
  std::string login_name = {};  // the name PAM gave, when it is not `user`; else ""
  // The terminal session the grace period of a local login is bound to, read
  // from /proc (CurrentSession), never from `tty`, which is only a name for
  // logs; nullopt without a controlling terminal: no grace.
  std::optional<SessionIdentity> session = std::nullopt;
};

// How log lines name the user: "rtuser", or "rtuser (as RTUSER)" when PAM
// gave another name for the account; each name bounded (LogField).
std::string UserForLog(const LoginRequest& request);

// What the login decided; pam_entry maps each to a PAM code.
enum class Verdict {
  kAllow,      // the right code was typed                          -> PAM_SUCCESS
  kDeny,       // wrong codes, unenrolled under "deny", blocked number -> PAM_AUTH_ERR
  kIgnore,     // no say: unenrolled under "allow", failmode safe  -> PAM_IGNORE
  kRefuse,     // a fault an administrator must fix, or failmode secure -> PAM_AUTHINFO_UNAVAIL
  kConvError,  // no usable conversation, or the user gave up      -> PAM_CONV_ERR
};

const char* VerdictName(Verdict verdict);

// Opens the Twilio side of a login only when a code is really to be sent, so
// unenrolled users and conversation failures cost no secret read and no TLS.
using ChallengeOpener = std::function<Result<Challenge*>()>;

struct LoginDeps {
  const Config& config;
  Directory& directory;
  ChallengeOpener open_challenge;
  Conversation& conversation;
  Logger& log;
  Clock& clock;
  const StateStore& state;  // lockout, limits, backup codes, grace, shared codes
  GroupLookup groups_of;    // the user's groups, for the skip rules
  // Whether the login that sent a pending code still runs (tests: a table).
  Processes& processes = SystemProcesses();
};

// Runs one login: skip rules → directory → lockout → conversation probe →
// send (or share a parallel login's code) → ask / check (backup codes too) →
// record. Logs exactly one outcome line ("user=… service=… result=…") plus
// warnings for faults and break-glass use; never a code, a secret or a full
// number.
Verdict Authenticate(const LoginRequest& request, const LoginDeps& deps);

// Maps a fault during send or check to a verdict: the one place failmode is
// applied. A witnessed kUnavailable (Status::witnessed) follows failmode, an
// unwitnessed one refuses like failmode=secure; kConfig, kDirectory, kState,
// kInternal and kBadInput refuse whatever failmode says; the rest deny.
Verdict VerdictForFault(const Status& status, FailMode failmode);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LOGIN_H_
