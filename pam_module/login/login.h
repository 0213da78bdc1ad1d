// The login: everything pam_sm_authenticate does, in plain C++ that tests can
// drive without PAM. Skip rules → directory lookup → unenrolled policy → send
// a code → ask for it (resend / voice on request) → check → one verdict and
// one log line. Authenticate is the entry; LoginFlow is the login itself.
#ifndef PAM_TWILIO_OTP_LOGIN_H_
#define PAM_TWILIO_OTP_LOGIN_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "twilio/challenge.h"
#include "twilio/line_type.h"
#include "twilio/totp_factors.h"
#include "config/config.h"
#include "login/conversation.h"
#include "login/grace.h"
#include "directory/directory.h"
#include "base/logger.h"
#include "base/proc_stat.h"
#include "login/login_request.h"
#include "login/login_state.h"
#include "login/session_identity.h"
#include "login/told_conversation.h"
#include "login/verdict.h"
#include "login/skip_rules.h"
#include "state/state_store.h"

namespace twotp {

// Opens the Twilio side of a login only when a code is really to be sent, so
// unenrolled users and conversation failures cost no secret read and no TLS.
using ChallengeOpener = std::function<Result<Challenge*>()>;
// Lookup v2's line type of a number (twilio/line_type.h), opening the Twilio
// side the same way.
using LineLookup = std::function<Result<LineType>(const std::string& e164)>;
// A user's authenticator app through Verify (twilio/totp_factors.h),
// opening the Twilio side the same way: the verified factors of an
// identity, and the check of a code against one.
struct TotpAccess {
  std::function<Result<std::vector<std::string>>(const std::string& identity)> verified_factors;
  std::function<Result<CheckOutcome>(const std::string& identity, const std::string& factor, const Secret& code)>
      check;
};

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
  // A number enrolling at the login, with twilio.lookup (empty: refused).
  LineLookup look_up_line = nullptr;
  // Channel "totp" (empty members: the app is never asked).
  TotpAccess totp = {};
  // state.backend = "ldap": the fleet state (Directory::Fleet; null when
  // the backend could not be loaded, which refuses the login).
  FleetStore* fleet = nullptr;
};

// Runs one login: skip rules → directory → lockout → conversation probe →
// send (or share a parallel login's code) → ask / check (backup codes too) →
// record. Logs exactly one outcome line ("user=… service=… result=…") plus
// warnings for faults and break-glass use; never a code, a secret or a full
// number.
Verdict Authenticate(const LoginRequest& request, const LoginDeps& deps);

// The state of one login while Authenticate runs it: login.cc is its one
// source file (the main road, then the paths off it: unenrolled users,
// enrolment at login, backup codes when no code can be sent).
class LoginFlow {
 public:
  LoginFlow(const LoginRequest& request, const LoginDeps& deps)
      : request_(request),
        deps_(deps),
        conversation_(deps.conversation),
        state_(deps.config, deps.state, deps.clock, deps.processes, request.user,
               GraceKey(request.service, request.rhost, request.session), deps.fleet, request.host, &deps.log) {}
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
  // twilio.lookup: a verdict when Lookup's line type refuses the number (or
  // can't be had); a warning is logged and the enrolment goes on.
  std::optional<Verdict> RefusedLineType(const std::string& number);
  // The conversation works (scripts and `sudo -n` stop here, nothing sent).
  bool ConversationWorks(const std::string& greeting);
  // "Two-step verification for USER.": the first thing a login shows.
  std::string Greeting() const;
  // Lets go of the pending code (LoginState::Release): the last login
  // holding it cancels it at Twilio and clears it from the state, so the
  // next login sends a fresh code instead of sharing a dead one.
  void GiveUp();
  // Counts what the user typed as a code being checked before it is
  // checked (LoginState::ReserveAttempt). A verdict when the count can't be
  // written, too many codes are being checked, or the user is locked out.
  std::optional<Verdict> CountAttempt();
  // The code was wrong: a failure (LoginState::RecordWrongCode). A verdict
  // when that can't be written or it locked the user out.
  std::optional<Verdict> CountWrongCode();
  // The code was never tested (kCodeDead): no failure.
  void TakeBackAttempt();
  // Ends a login whose user is locked out, telling them until when.
  Verdict LockedOut();
  Verdict Succeed(const char* how);
  Verdict AskUntilDone();
  // A check that failed with a fault (not a wrong or dead code): refused.
  Verdict CheckFailed(const Status& why);
  // Handles "resend" or a channel name; returns false if `word` is neither.
  bool MaybeResend(const std::string& word);
  void Resend(Channel channel);
  // SendCode, and when Twilio says the number can't receive that channel,
  // the next channel allowed for this user; channel_ is the one that worked.
  Status SendWithFallback(Channel channel, bool fresh);
  Status SendCode(Channel channel, bool fresh);
  // Channel "totp": finds the user's verified factor at Twilio; nothing is
  // sent and nothing counts against the send limits. kRecipient (so the
  // login falls back to the next channel) when the user has none.
  Status UseAuthenticatorApp();
  // The code typed for the current channel: the app's through a Verify
  // challenge, any other through the pending code.
  Result<CheckOutcome> CheckTyped(const Secret& typed);
  // Where codes by `channel` go: the email address or the number; masked.
  std::string Destination(Channel channel) const;
  std::string MaskedDestination(Channel channel) const;
  // `service` names what was unavailable, for the log ("Twilio", "the directory").
  Verdict OnFault(const Status& status, const char* stage, const char* service = "Twilio");
  // `status`, marked witnessed when it is an unwitnessed Twilio outage under
  // failmode=safe and a fresh probe record by root saw Twilio down too.
  Status WithProbeWitness(const Status& status, const char* service) const;
  // The person stopped answering (Ctrl-D): told so, PAM_CONV_ERR.
  Verdict Cancelled(const std::string& result);
  // Logs the one outcome line; a refusal that told the person nothing since
  // their last answer gets a sentence saying whether to retry or whom to ask.
  Verdict Finish(Verdict verdict, LogLevel level, const std::string& result);
  std::string Prompt() const;
  // In policy.channels and able to reach this user (email needs an address).
  bool ChannelAllowed(Channel channel) const;
  // The user's own channel if allowed, else the first allowed one.
  std::optional<Channel> FirstChannel() const;
  std::string Who() const;

  const LoginRequest& request_;
  const LoginDeps& deps_;
  ToldConversation conversation_;  // deps_.conversation, remembering what was said
  LoginState state_;
  PhoneRecord record_;
  Channel channel_ = Channel::kSms;
  Challenge* challenge_ = nullptr;
  std::string totp_factor_;  // the user's verified TOTP factor ("YF..."), once found
  int sends_ = 0;
  bool enrolling_ = false;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LOGIN_H_
