#include "twilio/verify_custom_code_challenge.h"

#include <utility>

#include "twilio/verification_details.h"

namespace twotp {

VerifyCustomCodeChallenge::VerifyCustomCodeChallenge(const PolicyConfig& policy, TwilioClient& client,
                                                     Clock& clock)
    : VerifyChallenge(client, clock, std::chrono::seconds(policy.code_ttl)), code_(policy, clock) {}

Status VerifyCustomCodeChallenge::Send(const std::string& to, Channel channel, const ChallengeContext& context) {
  Result<LocalCode::Fresh> fresh = code_.Make();
  if (!fresh.ok()) return fresh.status();
  // A resend carries a new code. The verification of the old one ends first
  // ("canceled" is also the right feedback for a code nobody typed), so that
  // Twilio starts a new verification rather than handing back the pending one.
  Abandon();
  Form details = VerificationDetails(client_.config(), context);
  details.push_back({"CustomCode", std::move(fresh->code)});
  Result<Verification> started = client_.StartVerification(to, channel, std::move(details));
  if (!started.ok()) return started.status();
  sid_ = started->sid;
  started_ = clock_.Now();
  channel_ = channel;
  code_.Keep(std::move(fresh->digest));
  return Status::Ok();
}

Result<CheckOutcome> VerifyCustomCodeChallenge::Check(const Secret& typed) {
  if (sid_.empty()) return Status::CodeDead("no verification is pending");
  Result<CheckOutcome> checked = code_.Check(typed);
  if (!checked.ok()) {
    Abandon();  // expired here: Twilio hears "canceled"
    return checked;
  }
  if (checked.value() == CheckOutcome::kApproved) {
    // Best effort: the code matched, which only we can tell. A report that
    // fails costs Twilio one data point, never the user their login.
    (void)client_.ApproveVerification(sid_);
    sid_.clear();
  }
  return checked;
}

void VerifyCustomCodeChallenge::Abandon() {
  VerifyChallenge::Abandon();
  code_.Clear();
}

void VerifyCustomCodeChallenge::Forget() {
  VerifyChallenge::Forget();
  code_.Clear();
}

PendingCode VerifyCustomCodeChallenge::Export(std::time_t sent_at) const {
  PendingCode pending = VerifyChallenge::Export(sent_at);
  if (!pending.empty()) code_.ExportTo(pending);
  return pending;
}

// Both halves or nothing: a verification without our HMAC (made by verify
// mode without custom codes) can't be checked here, and an HMAC without a
// verification (messaging mode) can't be reported.
Status VerifyCustomCodeChallenge::Adopt(const PendingCode& pending) {
  if (pending.verification_sid.empty() || pending.mac_hex.empty()) {
    return Status::CodeDead("no shared custom-code verification to take over");
  }
  if (Status adopted = code_.AdoptFrom(pending); !adopted.ok()) return adopted;
  Status adopted = VerifyChallenge::Adopt(pending);
  if (!adopted.ok()) code_.Clear();
  return adopted;
}

}  // namespace twotp
