// LoginFlow: the state of one login while login.h's Authenticate runs it.
// Internal to login.cc (the main path) and login_recovery.cc (enrolment at
// login, backup codes when no code can be sent); everyone else uses login.h.
#ifndef PAM_TWILIO_OTP_LOGIN_FLOW_H_
#define PAM_TWILIO_OTP_LOGIN_FLOW_H_

#include <cctype>
#include <optional>
#include <string>
#include <string_view>

#include "login/grace.h"
#include "base/text.h"
#include "login/login.h"
#include "login/login_state.h"

namespace twotp::login_internal {

// The first code and at most three more (resends or channel switches) per
// login: enough for a lost SMS, not enough to pump messages.
inline constexpr int kMaxSendsPerLogin = 4;
inline constexpr size_t kMaxLoggedField = 64;

inline std::string_view Trim(std::string_view s) {
  const auto is_space = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

using ::twotp::Lower;  // base/text.h

class LoginFlow {
 public:
  LoginFlow(const LoginRequest& request, const LoginDeps& deps)
      : request_(request),
        deps_(deps),
        state_(deps.config, deps.state, deps.clock, deps.processes, request.user,
               GraceKey(request.service, request.rhost, request.session)) {}
  Verdict Run();

 private:
  // PAM_IGNORE for logins the skip rules leave alone; nullopt to go on.
  std::optional<Verdict> Skipped();
  Verdict Unenrolled();
  // When no code can be sent but the user has backup codes: asks for one.
  std::optional<Verdict> BackupCodeInstead(const Status& why);
  // No directory server answered (LDAP): failmode decides, as when Twilio
  // is down, and under failmode=secure a backup code still works.
  Verdict DirectoryDown(const Status& why);
  // unenrolled = "enroll": asks for a number, proves it with a code, saves it.
  // Only numbers in limits.allowed_countries, only by text, never a call.
  Verdict EnrollAtLogin();
  // What a user who typed a number outside limits.allowed_countries is told.
  std::string EnrolmentCountryRefusal() const;
  // The conversation works (scripts and `sudo -n` stop here, nothing sent).
  bool ConversationWorks(const std::string& greeting);
  // "Two-step verification for USER.": the first thing a login shows.
  std::string Greeting() const;
  // Ends the pending code for good: cancelled at Twilio and forgotten in the
  // state, so the next login sends a fresh code instead of sharing a dead one.
  void GiveUp();
  // Counts what the user typed as a failed code before it is checked
  // (LoginState::ReserveAttempt); sets attempt_locks_. A verdict when the
  // count can't be written or the user is locked out already.
  std::optional<Verdict> CountAttempt();
  // Ends a login whose user is locked out, telling them until when.
  Verdict LockedOut();
  Verdict Succeed(const char* how);
  Verdict AskUntilDone();
  // A check that failed with a fault (not a wrong or dead code): refused.
  Verdict CheckFailed(const Status& why);
  // Handles "resend" or a channel name; returns false if `word` is neither.
  bool MaybeResend(const std::string& word);
  void Resend(Channel channel);
  Status SendCode(Channel channel, bool fresh);
  // `service` names what was unavailable, for the log ("Twilio", "the directory").
  Verdict OnFault(const Status& status, const char* stage, const char* service = "Twilio");
  // `status`, marked witnessed when it is an unwitnessed Twilio outage under
  // failmode=safe and a fresh probe record by root saw Twilio down too.
  Status WithProbeWitness(const Status& status, const char* service) const;
  Verdict Finish(Verdict verdict, LogLevel level, const std::string& result);
  std::string Prompt() const;
  bool ChannelAllowed(Channel channel) const;
  std::string Who() const;

  const LoginRequest& request_;
  const LoginDeps& deps_;
  LoginState state_;
  PhoneRecord record_;
  Channel channel_ = Channel::kSms;
  Challenge* challenge_ = nullptr;
  int sends_ = 0;
  bool enrolling_ = false;
  bool attempt_locks_ = false;  // the attempt being checked started a lockout
};

}  // namespace twotp::login_internal

#endif  // PAM_TWILIO_OTP_LOGIN_FLOW_H_
