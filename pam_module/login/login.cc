#include "login/login.h"

#include "login/early_skip.h"
#include "state/backup_codes.h"
#include "twilio/message_template.h"
#include "twilio/otp_code.h"
#include "twilio/twilio_errors.h"
#include "base/email_address.h"
#include "base/phone.h"
#include "state/probe_record.h"
#include "state/send_limits.h"
#include "base/text.h"

namespace twotp {

namespace {

// The first code and at most three more (resends or channel switches) per
// login: enough for a lost SMS, not enough to pump messages.
constexpr int kMaxSendsPerLogin = 4;

// What a refused user reads: an outage passes, anything else needs someone
// with root (pam_twilio_otp(8), "Reading the logs", says where to look).
constexpr const char* kUnavailableSentence =
    "Two-step verification is unavailable right now; try again in a few minutes.";
constexpr const char* kAdministratorSentence =
    "Two-step verification is not working on this host; ask your administrator (the reason is in the system log).";

const char* ChannelRequestHint(Channel channel) {
  switch (channel) {
    case Channel::kSms: return "'sms' for a text message";
    case Channel::kCall: return "'call' for a voice call";
    case Channel::kWhatsapp: return "'whatsapp' for WhatsApp";
    case Channel::kEmail: return "'email' for an email";
    case Channel::kTotp: return "'totp' for your authenticator app";
  }
  return "";
}

}  // namespace

Verdict LoginFlow::Run() {
  if (std::optional<Verdict> skipped = Skipped()) return *skipped;
  // After the skip rules, so a broken state directory never locks out a
  // break-glass account.
  if (Status prepared = deps_.state.Prepare(); !prepared.ok()) return OnFault(prepared, "state directory");
  Result<PhoneRecord> found = deps_.directory.Lookup(request_.user);
  if (!found.ok()) {
    if (found.status().Is(Fault::kNotFound)) return Unenrolled();
    if (found.status().Is(Fault::kUnavailable)) return DirectoryDown(found.status());
    deps_.log.Error(Who() + " directory lookup failed: " + found.status().ToString());
    return Finish(Verdict::kRefuse, LogLevel::kError, "refused (directory fault)");
  }
  record_ = std::move(found.value());
  const std::optional<Channel> first = FirstChannel();
  if (!first) {
    return OnFault(Status::ConfigError("no channel of policy.channels reaches this user (email needs an address)"),
                   "channel");
  }
  channel_ = *first;
  // A locked-out user is told so before anything is sent.
  if (Status locked = state_.CheckNotLocked(); !locked.ok()) return OnFault(locked, "lockout");

  if (!ConversationWorks(Greeting())) {
    return Finish(Verdict::kConvError, LogLevel::kNotice, "no conversation (non-interactive); no code sent");
  }
  Result<Challenge*> opened = deps_.open_challenge();
  if (!opened.ok()) return OnFault(opened.status(), "setup");
  challenge_ = opened.value();

  Status sent = SendWithFallback(channel_, /*fresh=*/false);
  if (!sent.ok()) {
    if (std::optional<Verdict> rescued = BackupCodeInstead(sent)) return *rescued;
    return OnFault(sent, "send");
  }
  return AskUntilDone();
}

std::optional<Verdict> LoginFlow::Skipped() {
  const SkipRequest request{request_.user, request_.service, request_.rhost, request_.session};
  Result<SkipDecision> decision = DecideSkip(request, deps_.config.policy, deps_.groups_of,
                                             [this] { return state_.Read(); }, deps_.clock.WallNow());
  if (!decision.ok()) return OnFault(decision.status(), "skip rules");
  if (!decision->skip) return std::nullopt;
  return LogSkip(request_, deps_.config, decision.value(), deps_.log);
}

std::string LoginFlow::Greeting() const {
  return "Two-step verification for " + SanitizeForMessage(request_.user, 32) + ".";
}

bool LoginFlow::ConversationWorks(const std::string& greeting) {
  // Prove the conversation works before anything costs money: scripts and
  // `sudo -n` stop here, with no code sent.
  return conversation_.Info(greeting).ok();
}

Verdict LoginFlow::AskUntilDone() {
  const int max_attempts = deps_.config.policy.max_attempts;
  int attempts = 0;
  while (attempts < max_attempts) {
    Result<Secret> reply = conversation_.AskHidden(Prompt());
    if (!reply.ok()) {
      GiveUp();
      return Cancelled("conversation ended before a code was typed");
    }
    Secret typed(Trim(reply->view()));
    // Only words are commands; digits are a code and are never copied.
    const bool is_word = !typed.empty() && !IsDigits(typed.view(), 1, typed.size());
    if (is_word && typed.size() <= 10 && MaybeResend(Lower(typed.str()))) continue;

    if (std::optional<Verdict> stopped = CountAttempt()) return *stopped;
    Result<CheckOutcome> checked = CheckOutcome::kWrongCode;
    // Not while enrolling: a backup code proves the user, not the typed number.
    if (!enrolling_ && LooksLikeBackupCode(typed.view())) {
      Result<bool> used = state_.UseBackupCode(typed);
      if (!used.ok()) return OnFault(used.status(), "backup code");
      if (used.value()) {
        GiveUp();  // on the code: a parallel login may still want it
        return Succeed("success (backup code)");
      }
    } else {
      checked = CheckTyped(typed);
      if (checked.ok() && checked.value() == CheckOutcome::kApproved) {
        // Parallel logins share failures: once they locked the user out, a
        // right code in a login that was already at the prompt doesn't count.
        if (Status locked = state_.CheckNotLocked(); !locked.ok()) {
          TakeBackAttempt();
          return OnFault(locked, "lockout");
        }
        return Succeed("success");
      }
      if (!checked.ok() && !checked.status().Is(Fault::kCodeDead)) return CheckFailed(checked.status());
    }
    if (checked.ok()) {
      if (std::optional<Verdict> stopped = CountWrongCode()) return *stopped;
    } else {
      deps_.log.Notice(Who() + " code not accepted: " + checked.status().ToString());
      TakeBackAttempt();
    }
    ++attempts;
    if (attempts >= max_attempts) break;
    (void)conversation_.Error(checked.ok()
        ? "Wrong code, try again."
        : "That code has expired or can't be used any more; type 'resend' for a new one.");
  }
  GiveUp();
  (void)conversation_.Error("Too many wrong codes; log in again for a new code.");
  return Finish(Verdict::kDeny, LogLevel::kNotice,
                "denied after " + std::to_string(max_attempts) + " wrong code(s)");
}

Verdict LoginFlow::CheckFailed(const Status& why) {
  // The code was sent, so Twilio was there; a check that can't be made now
  // must never let a typed code through, whatever failmode says.
  if (!why.Is(Fault::kUnavailable)) return OnFault(why, "check");
  GiveUp();
  deps_.log.Warning(Who() + " the code could not be checked (" + why.ToString() + "); refused whatever failmode says");
  (void)conversation_.Error("Your code could not be checked right now; try again later.");
  return Finish(Verdict::kRefuse, LogLevel::kWarning, "refused (code check unavailable)");
}

void LoginFlow::GiveUp() {
  if (Status released = state_.Release(*challenge_); !released.ok()) {
    deps_.log.Warning(Who() + " could not release the pending code: " + released.ToString());
  }
}

std::optional<Verdict> LoginFlow::CountAttempt() {
  bool already_locked = false;
  Status counted = state_.ReserveAttempt(&already_locked);
  if (!counted.ok()) return OnFault(counted, "failure count");
  if (already_locked) return LockedOut();
  return std::nullopt;
}

std::optional<Verdict> LoginFlow::CountWrongCode() {
  bool locks_now = false;
  Status counted = state_.RecordWrongCode(&locks_now);
  if (!counted.ok()) return OnFault(counted, "failure count");
  if (locks_now) return LockedOut();
  return std::nullopt;
}

void LoginFlow::TakeBackAttempt() {
  if (Status taken = state_.TakeBackAttempt(); !taken.ok()) {
    deps_.log.Warning(Who() + " could not take back the attempt: " + taken.ToString());
  }
}

Verdict LoginFlow::LockedOut() {
  GiveUp();
  const Status locked = state_.CheckNotLocked();
  (void)conversation_.Error(locked.user_message().value_or("Too many failed codes; try again later."));
  return Finish(Verdict::kDeny, LogLevel::kWarning, "denied; locked out after limits.max_failures failed codes");
}

Verdict LoginFlow::Succeed(const char* how) {
  if (enrolling_) {
    // The number is proven: it becomes the user's, or the login fails.
    record_.verified_at = IsoUtc(deps_.clock.WallNow());
    record_.verified = true;
    if (Status saved = deps_.directory.Enroll(record_); !saved.ok()) {
      deps_.log.Error(Who() + " could not save the enrolment: " + saved.ToString());
      return Finish(Verdict::kRefuse, LogLevel::kError, "refused (enrolment not saved)");
    }
    deps_.log.Notice(Who() + " enrolled " + MaskNumber(record_.number) + " at login");
  }
  // The code was right: a state that can't be written costs a log line, not the login.
  if (Status recorded = state_.RecordSuccess(); !recorded.ok()) {
    deps_.log.Error(Who() + " could not record the success: " + recorded.ToString());
  }
  return Finish(Verdict::kAllow, LogLevel::kInfo, how);
}

bool LoginFlow::MaybeResend(const std::string& word) {
  if (word == "resend" && channel_ == Channel::kTotp) {
    (void)conversation_.Error("Your authenticator app shows a new code every 30 seconds; type the one it shows now.");
    return true;
  }
  if (word == "resend") {
    Resend(channel_);
    return true;
  }
  std::optional<Channel> asked = ParseChannel(word);
  if (!asked) return false;
  if (!ChannelAllowed(*asked)) {
    (void)conversation_.Error(std::string("Codes can't be sent by ") + ChannelDescription(*asked) + " here.");
    return true;
  }
  if (enrolling_ && *asked != channel_) {
    // The number is only the caller's word until its code comes back: no
    // call to it (premium numbers bill by the minute), no second channel.
    deps_.log.Notice(Who() + " asked for a code by " + ChannelName(*asked) +
                     " while enrolling; refused until the number is proven");
    (void)conversation_.Error(std::string("While a new number is being enrolled, codes are sent only by ") +
                                   ChannelDescription(channel_) + "; type 'resend' for a new one.");
    return true;
  }
  Resend(*asked);
  return true;
}

void LoginFlow::Resend(Channel channel) {
  if (sends_ >= kMaxSendsPerLogin) {
    (void)conversation_.Error("No more codes can be sent for this login.");
    return;
  }
  // limits.resend_cooldown and the send windows are enforced in SendCode.
  Status sent = SendWithFallback(channel, /*fresh=*/true);
  if (sent.ok()) return;
  // The earlier code stays valid, so a failed resend never ends the login.
  deps_.log.Warning(Who() + " resend failed: " + sent.ToString());
  (void)conversation_.Error(sent.user_message().value_or("Could not send a new code; the last one still works."));
}

Status LoginFlow::SendWithFallback(Channel channel, bool fresh) {
  Status sent = SendCode(channel, fresh);
  std::vector<Channel> tried{channel};
  // Twilio says the number can't take this channel (a landline and SMS):
  // the next allowed channel that may reach the user is tried, and the user
  // told. Not while enrolling: an unproven number gets text only.
  const auto cant_reach = [&](const Status& status) {
    return ChannelCantReachNumber(status) || (tried.back() == Channel::kTotp && status.Is(Fault::kRecipient));
  };
  while (!sent.ok() && cant_reach(sent) && !enrolling_ && sends_ < kMaxSendsPerLogin) {
    std::optional<Channel> next;
    for (Channel other : deps_.config.policy.channels) {
      if (ChannelAllowed(other) && std::find(tried.begin(), tried.end(), other) == tried.end()) {
        next = other;
        break;
      }
    }
    if (!next) break;
    deps_.log.Notice(Who() + " " + ChannelName(tried.back()) + " can't reach " + MaskedDestination(tried.back()) +
                     " (" + sent.ToString() + "); trying " + ChannelName(*next));
    tried.push_back(*next);
    sent = SendCode(*next, fresh);
    if (sent.ok()) {
      (void)conversation_.Info(tried.front() == Channel::kTotp
                                   ? std::string("No authenticator app is enrolled for you; the code was sent by ") +
                                         ChannelDescription(*next) + " instead."
                                   : std::string("This number can't receive ") + ChannelDescription(tried.front()) +
                                         "; the code was sent by " + ChannelDescription(*next) + " instead.");
    }
  }
  if (sent.ok()) channel_ = tried.back();
  return sent;
}

std::string LoginFlow::Destination(Channel channel) const {
  return ToEmail(channel) ? record_.email : record_.number;
}

std::string LoginFlow::MaskedDestination(Channel channel) const {
  if (channel == Channel::kTotp) return "the authenticator app";
  return ToEmail(channel) ? MaskEmail(record_.email) : MaskNumber(record_.number);
}

Status LoginFlow::UseAuthenticatorApp() {
  if (!deps_.totp.verified_factors) return Status::Internal("no authenticator app access is wired");
  if (!totp_factor_.empty()) return Status::Ok();
  Result<std::vector<std::string>> factors = deps_.totp.verified_factors(TotpIdentity(request_.user));
  if (!factors.ok()) return factors.status();
  if (factors->empty()) {
    return Status::Recipient("no verified authenticator app (TOTP factor) at Twilio for this user")
        .WithUserMessage("No authenticator app is enrolled for you; ask your administrator.");
  }
  totp_factor_ = factors->front();
  return Status::Ok();
}

Result<CheckOutcome> LoginFlow::CheckTyped(const Secret& typed) {
  if (channel_ != Channel::kTotp) return state_.Check(*challenge_, typed);
  if (!deps_.totp.check) return Status::Internal("no authenticator app access is wired");
  return deps_.totp.check(TotpIdentity(request_.user), totp_factor_, typed);
}

Status LoginFlow::SendCode(Channel channel, bool fresh) {
  if (channel == Channel::kTotp) return UseAuthenticatorApp();
  ChallengeContext context{request_.user, request_.service, request_.host, request_.rhost, request_.command};
  SendReport report;
  const std::string to = Destination(channel);
  Status sent = state_.SendOrShare(
      *challenge_, to, fresh,
      [&] {
        ++sends_;
        return challenge_->Send(to, channel, context);
      },
      &report);
  if (!sent.ok()) return sent;
  const std::string ago = std::to_string(report.age) + " s ago";
  if (report.shared && report.sender_ended) {
    // The prompt says a code was sent, and it was, but not for this login:
    // the person must not take it for one they just asked for.
    deps_.log.Notice(Who() + " sharing the code a login that ended sent " + ago + " to " + MaskedDestination(channel));
    (void)conversation_.Info("A code was sent " + WaitText(report.age) +
                                  " ago for an earlier login that ended; it still works, or type 'resend' for a new "
                                  "one.");
  } else if (report.shared) {
    deps_.log.Debug(Who() + " sharing the code another login sent to " + MaskedDestination(channel));
  } else {
    if (report.sender_ended) deps_.log.Notice(Who() + " cancelled the code a login that ended sent " + ago);
    deps_.log.Debug(Who() + " code sent by " + ChannelName(channel) + " to " + MaskedDestination(channel));
  }
  return sent;
}

Verdict LoginFlow::OnFault(const Status& given, const char* stage, const char* service) {
  if (challenge_ != nullptr) GiveUp();
  const Status status = WithProbeWitness(given, service);
  const Verdict verdict = VerdictForFault(status, deps_.config.policy.failmode);
  const std::string what = std::string(stage) + ": " + status.ToString();
  switch (verdict) {
    case Verdict::kIgnore:
      deps_.log.Warning(Who() + " " + service + " unavailable (" + what +
                        "); failmode=safe lets the login through without a code");
      return Finish(verdict, LogLevel::kWarning, std::string("failsafe: no code asked (") + service + " unavailable)");
    case Verdict::kRefuse:
      (void)conversation_.Error(status.Is(Fault::kUnavailable) ? kUnavailableSentence : kAdministratorSentence);
      if (status.Is(Fault::kUnavailable)) {
        if (deps_.config.policy.failmode == FailMode::kSafe) {
          // A timeout, or a failure after the request left, is not evidence:
          // the caller may have stopped its own process to make it.
          deps_.log.Warning(Who() + " " + service + " unavailable (" + what +
                            "); not a witnessed outage, so failmode=safe refuses the login too");
          return Finish(verdict, LogLevel::kWarning, std::string("refused (") + service + " unavailable, not witnessed)");
        }
        deps_.log.Warning(Who() + " " + service + " unavailable (" + what + "); failmode=secure refuses the login");
        return Finish(verdict, LogLevel::kWarning, std::string("failsecure: refused (") + service + " unavailable)");
      }
      deps_.log.Critical(Who() + " an administrator must fix this: " + what);
      return Finish(verdict, LogLevel::kError, std::string("refused (") + FaultName(status.fault()) + " fault)");
    default:
      (void)conversation_.Error(status.user_message().value_or("The code could not be sent; try again later, or ask your administrator if it keeps happening."));
      return Finish(verdict, LogLevel::kNotice, std::string("denied (") + what + ")");
  }
}

Status LoginFlow::WithProbeWitness(const Status& status, const char* service) const {
  const PolicyConfig& policy = deps_.config.policy;
  if (!status.Is(Fault::kUnavailable) || status.witnessed() || policy.failmode != FailMode::kSafe ||
      std::string_view(service) != "Twilio") {
    return status;
  }
  if (!ProbeWitnessesOutage(deps_.state.dir(), deps_.state.trust(), deps_.clock.WallNow(), policy.probe_max_age)) {
    return status;
  }
  Status witnessed = status;
  deps_.log.Warning(Who() + " root's twilio-otp probe also found Twilio unreachable; the outage is witnessed");
  return witnessed.Witnessed();
}

Verdict LoginFlow::Cancelled(const std::string& result) {
  // Ctrl-D or Ctrl-C at a prompt: the terminal may still show a line.
  (void)conversation_.Error("No code was typed, so the login was cancelled; log in again for a new code.");
  return Finish(Verdict::kConvError, LogLevel::kNotice, result);
}

Verdict LoginFlow::Finish(Verdict verdict, LogLevel level, const std::string& result) {
  // Every refusal ends with a sentence of ours saying whether to retry or
  // to call an administrator; paths that said nothing get the general one.
  if (!conversation_.told()) {
    if (verdict == Verdict::kRefuse) (void)conversation_.Error(kAdministratorSentence);
    if (verdict == Verdict::kDeny) (void)conversation_.Error("Two-step verification did not succeed; log in again to retry.");
  }
  std::string line = Who();
  if (!record_.number.empty()) line += " number=" + MaskNumber(record_.number) + " channel=" + ChannelName(channel_);
  line += std::string(" mode=") + (deps_.config.twilio.mode == Mode::kVerify ? "verify" : "messaging");
  line += " result=" + result;
  deps_.log.Log(level, line);
  return verdict;
}

std::string LoginFlow::Prompt() const {
  std::string hints;
  for (Channel other : deps_.config.policy.channels) {
    if (other == channel_ || enrolling_ || !ChannelAllowed(other)) continue;  // enrolling: no switch (MaybeResend)
    hints += std::string(ChannelRequestHint(other)) + ", ";
  }
  if (channel_ == Channel::kTotp) {
    // Nothing was sent: the app shows the code.
    const std::string others = hints.empty() ? "" : " (or " + hints.substr(0, hints.size() - 2) + ")";
    return "Code from your authenticator app" + others + ". " + deps_.config.policy.prompt;
  }
  hints += "'resend' for a new code";
  return std::string("Code sent by ") + ChannelDescription(channel_) + " to " + MaskedDestination(channel_) + " (" +
         hints + "). " + deps_.config.policy.prompt;
}

bool LoginFlow::ChannelAllowed(Channel channel) const {
  const auto& allowed = deps_.config.policy.channels;
  if (ToEmail(channel) && record_.email.empty()) return false;
  if (ToPhone(channel) && record_.number.empty()) return false;
  // The app is offered to its users only; they get the rest only as a fallback.
  if (channel == Channel::kTotp && record_.channel != Channel::kTotp) return false;
  if (channel != Channel::kTotp && record_.channel == Channel::kTotp && !deps_.config.policy.totp_fallback) {
    return false;
  }
  return std::find(allowed.begin(), allowed.end(), channel) != allowed.end();
}

std::optional<Channel> LoginFlow::FirstChannel() const {
  if (ChannelAllowed(record_.channel)) return record_.channel;
  for (Channel channel : deps_.config.policy.channels) {
    if (ChannelAllowed(channel)) return channel;
  }
  return std::nullopt;
}

std::string LoginFlow::Who() const { return WhoForLog(request_); }

// The paths of a login off the main road: a user with no number
// (unenrolled = "deny" | "allow" | "enroll") and a user whose code can't be
// sent but who has backup codes.
Verdict LoginFlow::Unenrolled() {
  switch (deps_.config.policy.unenrolled) {
    case Unenrolled::kAllow:
      return Finish(Verdict::kIgnore, LogLevel::kNotice, "not enrolled; no code asked (unenrolled=allow)");
    case Unenrolled::kEnroll:
      return EnrollAtLogin();
    case Unenrolled::kDeny:
      break;
  }
  (void)conversation_.Error("You have no phone number for two-step verification; ask your administrator.");
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
  Result<Secret> typed = conversation_.AskVisible("Mobile number, with country code (e.g. +15551234567): ");
  if (!typed.ok()) return Cancelled("conversation ended at enrolment");
  Result<std::string> number = NormalizeE164(Trim(typed->view()));
  if (!number.ok()) {
    (void)conversation_.Error(number.status().message());
    return Finish(Verdict::kDeny, LogLevel::kNotice, "enrolment refused: not an E.164 number");
  }
  // The caller picked this number: refused before anything is opened or sent.
  if (Status country = CheckCountry(number.value(), deps_.config.limits); !country.ok()) {
    (void)conversation_.Error(EnrolmentCountryRefusal());
    return Finish(Verdict::kDeny, LogLevel::kNotice, "enrolment refused: " + country.message());
  }
  if (deps_.config.twilio.lookup) {
    if (std::optional<Verdict> refused = RefusedLineType(number.value())) return *refused;
  }
  enrolling_ = true;
  // Until its code comes back the number is only the caller's word: text
  // only, never a call (MaybeResend refuses switching channels too).
  record_ = PhoneRecord{request_.user, number.value(), *FirstTextChannel(deps_.config.policy.channels), "", false, ""};
  channel_ = record_.channel;
  Result<Challenge*> opened = deps_.open_challenge();
  if (!opened.ok()) return OnFault(opened.status(), "setup");
  challenge_ = opened.value();
  if (Status sent = SendCode(channel_, /*fresh=*/true); !sent.ok()) return OnFault(sent, "send");
  return AskUntilDone();
}

std::optional<Verdict> LoginFlow::RefusedLineType(const std::string& number) {
  if (!deps_.look_up_line) return OnFault(Status::Internal("twilio.lookup is set but no lookup is wired"), "lookup");
  Result<LineType> line = deps_.look_up_line(number);
  if (!line.ok()) return OnFault(line.status(), "number lookup");
  const LineAdvice advice = JudgeLineType(line.value(), *FirstTextChannel(deps_.config.policy.channels));
  const std::string type = line->valid ? (line->type.empty() ? "unknown" : line->type) : "invalid";
  if (advice.verdict == LineVerdict::kRefuse) {
    (void)conversation_.Error("This number can't be enrolled: " + advice.reason + ".");
    return Finish(Verdict::kDeny, LogLevel::kNotice, "enrolment refused: line type " + type);
  }
  if (advice.verdict == LineVerdict::kWarn) {
    deps_.log.Notice(Who() + " enrolling " + MaskNumber(number) + " (line type " + type + "): " + advice.reason);
  }
  return std::nullopt;
}

std::string LoginFlow::EnrolmentCountryRefusal() const {
  return "Numbers in that country can't be enrolled here (allowed country calling codes: " +
         AllowedCountriesText(deps_.config.limits) + ").";
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
  (void)conversation_.Error(why.user_message().value_or("No code could be sent right now."));
  for (int attempt = 0; attempt < deps_.config.policy.max_attempts; ++attempt) {
    Result<Secret> reply = conversation_.AskHidden("Backup code (xxxx-xxxx): ");
    if (!reply.ok()) return Cancelled("conversation ended at the backup-code prompt");
    Secret typed(Trim(reply->view()));
    if (std::optional<Verdict> stopped = CountAttempt()) return *stopped;
    Result<bool> used = state_.UseBackupCode(typed);
    if (!used.ok()) return OnFault(used.status(), "backup code");
    if (used.value()) return Succeed("success (backup code; no code could be sent)");
    if (std::optional<Verdict> stopped = CountWrongCode()) return *stopped;
    (void)conversation_.Error("That is not one of your backup codes.");
  }
  (void)conversation_.Error("No backup code matched; try again later, or ask your administrator for new codes.");
  return Finish(Verdict::kDeny, LogLevel::kNotice, "denied: no code could be sent and no backup code matched");
}

Verdict LoginFlow::DirectoryDown(const Status& why) {
  if (VerdictForFault(why, deps_.config.policy.failmode) == Verdict::kRefuse &&
      ConversationWorks(Greeting())) {
    if (std::optional<Verdict> rescued = BackupCodeInstead(why)) return *rescued;
  }
  return OnFault(why, "directory lookup", "the directory");
}

Verdict Authenticate(const LoginRequest& request, const LoginDeps& deps) {
  return LoginFlow(request, deps).Run();
}

}  // namespace twotp
