// The login: everything pam_sm_authenticate does, in plain C++ that tests can
// drive without PAM. Directory lookup → unenrolled policy → send a code →
// ask for it (resend / voice on request) → check → one verdict and one log line.
#ifndef PAM_TWILIO_OTP_LOGIN_H_
#define PAM_TWILIO_OTP_LOGIN_H_

#include <functional>
#include <memory>
#include <string>

#include "challenge.h"
#include "config.h"
#include "conversation.h"
#include "directory.h"
#include "logger.h"
#include "skip_rules.h"
#include "state_store.h"

namespace twotp {

struct LoginRequest {
  std::string user;
  std::string service;
  std::string host;
  std::string rhost;
  std::string tty;
  std::string command;  // sudo: the command being approved
};

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
};

// Runs one login: skip rules → directory → lockout → conversation probe →
// send (or share a parallel login's code) → ask / check (backup codes too) →
// record. Logs exactly one outcome line ("user=… service=… result=…") plus
// warnings for faults and break-glass use; never a code, a secret or a full
// number.
Verdict Authenticate(const LoginRequest& request, const LoginDeps& deps);

// Maps a fault during send or check to a verdict: the one place failmode is
// applied. kUnavailable follows failmode; kConfig, kDirectory, kState,
// kInternal and kBadInput refuse whatever failmode says; the rest deny.
Verdict VerdictForFault(const Status& status, FailMode failmode);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LOGIN_H_
