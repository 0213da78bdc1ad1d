// The paths of a login off the main road: a user with no number
// (unenrolled = "deny" | "allow" | "enroll") and a user whose code can't be
// sent but who has backup codes.
#include "state/backup_codes.h"
#include "login/login_flow.h"
#include "twilio/message_template.h"
#include "base/phone.h"
#include "state/send_limits.h"
#include "base/text.h"

namespace twotp::login_internal {

Verdict LoginFlow::Unenrolled() {
  switch (deps_.config.policy.unenrolled) {
    case Unenrolled::kAllow:
      return Finish(Verdict::kIgnore, LogLevel::kNotice, "not enrolled; no code asked (unenrolled=allow)");
    case Unenrolled::kEnroll:
      return EnrollAtLogin();
    case Unenrolled::kDeny:
      break;
  }
  (void)deps_.conversation.Error("You have no phone number for two-step verification; ask your administrator.");
  return Finish(Verdict::kDeny, LogLevel::kNotice, "not enrolled; denied (unenrolled=deny)");
}

Verdict LoginFlow::EnrollAtLogin() {
  // LoadConfig refuses these configs; a Config made some other way gets
  // the same answer here, before a number is asked for.
  if (std::string problem = EnrolAtLoginProblem(deps_.config); !problem.empty()) {
    return OnFault(Status::ConfigError("policy.unenrolled: " + problem), "enrolment");
  }
  if (Status locked = state_.CheckNotLocked(); !locked.ok()) return OnFault(locked, "lockout");
  if (!ConversationWorks("No phone number is enrolled for " + SanitizeForMessage(request_.user, 32) +
                         " yet: enrol one now with a code sent to it.")) {
    return Finish(Verdict::kConvError, LogLevel::kNotice, "no conversation (non-interactive); not enrolled");
  }
  Result<Secret> typed = deps_.conversation.AskVisible("Mobile number, with country code (e.g. +15551234567): ");
  if (!typed.ok()) return Finish(Verdict::kConvError, LogLevel::kNotice, "conversation ended at enrolment");
  Result<std::string> number = NormalizeE164(Trim(typed->view()));
  if (!number.ok()) {
    (void)deps_.conversation.Error(number.status().message());
    return Finish(Verdict::kDeny, LogLevel::kNotice, "enrolment refused: not an E.164 number");
  }
  // The caller picked this number: refused before anything is opened or sent.
  if (Status country = CheckCountry(number.value(), deps_.config.limits); !country.ok()) {
    (void)deps_.conversation.Error(EnrolmentCountryRefusal());
    return Finish(Verdict::kDeny, LogLevel::kNotice, "enrolment refused: " + country.message());
  }
  enrolling_ = true;
  // Until its code comes back the number is only the caller's word: text
  // only, never a call (MaybeResend refuses switching channels too).
  record_ = PhoneRecord{request_.user, number.value(), *FirstTextChannel(deps_.config.policy.channels), ""};
  channel_ = record_.channel;
  Result<Challenge*> opened = deps_.open_challenge();
  if (!opened.ok()) return OnFault(opened.status(), "setup");
  challenge_ = opened.value();
  if (Status sent = SendCode(channel_, /*fresh=*/true); !sent.ok()) return OnFault(sent, "send");
  return AskUntilDone();
}

std::string LoginFlow::EnrolmentCountryRefusal() const {
  std::string allowed;
  for (const std::string& code : deps_.config.limits.allowed_countries) {
    allowed += (allowed.empty() ? "+" : ", +") + code;
  }
  return "Numbers in that country can't be enrolled here (allowed country calling codes: " + allowed + ").";
}

std::optional<Verdict> LoginFlow::BackupCodeInstead(const Status& why) {
  // Only when the code can't arrive (Twilio down or refusing this number, a
  // send limit): never for faults an administrator must fix, never while
  // locked out, and not when failmode = "safe" would let the login through.
  const Verdict otherwise = VerdictForFault(why, deps_.config.policy.failmode);
  if (otherwise == Verdict::kIgnore) return std::nullopt;
  if (!why.Is(Fault::kUnavailable) && !why.Is(Fault::kRecipient) && !why.Is(Fault::kRejected)) return std::nullopt;
  if (!state_.CheckNotLocked().ok()) return std::nullopt;
  Result<UserState> state = state_.Read();
  if (!state.ok() || state->backup_codes.empty()) return std::nullopt;

  deps_.log.Warning(Who() + " no code could be sent (" + why.ToString() + "); asking for a backup code");
  (void)deps_.conversation.Error(why.user_message().value_or("No code could be sent right now."));
  for (int attempt = 0; attempt < deps_.config.policy.max_attempts; ++attempt) {
    Result<Secret> reply = deps_.conversation.AskHidden("Backup code (xxxx-xxxx): ");
    if (!reply.ok()) return Finish(Verdict::kConvError, LogLevel::kNotice, "conversation ended at the backup-code prompt");
    Secret typed(Trim(reply->view()));
    if (std::optional<Verdict> stopped = CountAttempt()) return *stopped;
    Result<bool> used = state_.UseBackupCode(typed);
    if (!used.ok()) return OnFault(used.status(), "backup code");
    if (used.value()) return Succeed("success (backup code; no code could be sent)");
    if (attempt_locks_) return LockedOut();
    (void)deps_.conversation.Error("That is not one of your backup codes.");
  }
  return Finish(Verdict::kDeny, LogLevel::kNotice, "denied: no code could be sent and no backup code matched");
}

Verdict LoginFlow::DirectoryDown(const Status& why) {
  if (VerdictForFault(why, deps_.config.policy.failmode) == Verdict::kRefuse &&
      ConversationWorks(Greeting())) {
    if (std::optional<Verdict> rescued = BackupCodeInstead(why)) return *rescued;
  }
  return OnFault(why, "directory lookup", "the directory");
}

}  // namespace twotp::login_internal
