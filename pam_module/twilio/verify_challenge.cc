#include "twilio/verify_challenge.h"

#include "base/text.h"
#include "twilio/otp_code.h"
#include "twilio/verification_details.h"

namespace twotp {

namespace {
// Twilio Verify accepts codes of 4 to 10 digits; anything else would only
// spend one of the verification's five checks.
constexpr size_t kMinVerifyCode = 4;
constexpr size_t kMaxVerifyCode = 10;
}  // namespace

VerifyChallenge::VerifyChallenge(TwilioClient& client, Clock& clock, std::chrono::seconds ttl)
    : client_(client), clock_(clock), ttl_(ttl) {}

// A login that ends any other way than approval (Ctrl-C, attempts used up, an
// error) must not leave a verification that someone could still approve.
VerifyChallenge::~VerifyChallenge() {
  try {
    Abandon();
  } catch (...) {
  }
}

Status VerifyChallenge::Send(const std::string& to, Channel channel, const ChallengeContext& context) {
  // Twilio reuses a pending verification for the same number (same code, same
  // SID), so a resend or a switch to a voice call keeps the code valid.
  Result<Verification> started = client_.StartVerification(to, channel, VerificationDetails(client_.config(), context));
  if (!started.ok()) return started.status();
  if (sid_ != started->sid || sid_.empty()) started_ = clock_.Now();
  sid_ = started->sid;
  channel_ = channel;
  return Status::Ok();
}

Result<CheckOutcome> VerifyChallenge::Check(const Secret& typed) {
  if (sid_.empty()) return Status::CodeDead("no verification is pending");
  if (clock_.Now() - started_ > ttl_) {
    Abandon();
    return Status::CodeDead("the code is older than policy.code_ttl");
  }
  if (!IsDigits(typed.view(), kMinVerifyCode, kMaxVerifyCode)) return CheckOutcome::kWrongCode;
  Result<CheckOutcome> checked = client_.CheckVerification(sid_, typed);
  if (checked.ok() && checked.value() == CheckOutcome::kApproved) sid_.clear();
  if (!checked.ok() && checked.status().Is(Fault::kCodeDead)) sid_.clear();
  return checked;
}

PendingCode VerifyChallenge::Export(std::time_t sent_at) const {
  PendingCode pending;
  if (sid_.empty()) return pending;
  pending.verification_sid = sid_;
  pending.channel = ChannelName(channel_);
  pending.sent_at = sent_at;
  return pending;
}

Status VerifyChallenge::Adopt(const PendingCode& pending) {
  const std::time_t age = clock_.WallNow() - pending.sent_at;
  if (pending.verification_sid.empty() || age < 0 || age > ttl_.count()) {
    return Status::CodeDead("no shared verification to take over");
  }
  sid_ = pending.verification_sid;
  channel_ = ParseChannel(pending.channel).value_or(Channel::kSms);
  started_ = clock_.Now() - std::chrono::seconds(age);
  return Status::Ok();
}

void VerifyChallenge::Cancel(const PendingCode& pending) {
  if (pending.verification_sid.empty() || pending.verification_sid == sid_) return;
  // Best effort, as Abandon: Twilio expires it anyway after 10 minutes.
  (void)client_.CancelVerification(pending.verification_sid);
}

void VerifyChallenge::Forget() { sid_.clear(); }

void VerifyChallenge::Abandon() {
  if (sid_.empty()) return;
  // Best effort: a verification left pending could still be approved by
  // someone who sees the code later; Twilio expires it anyway after 10 minutes.
  (void)client_.CancelVerification(sid_);
  sid_.clear();
}

}  // namespace twotp
