// Verify mode: Twilio makes, sends and checks the code (Verify v2).
#ifndef PAM_TWILIO_OTP_VERIFY_CHALLENGE_H_
#define PAM_TWILIO_OTP_VERIFY_CHALLENGE_H_

#include <chrono>
#include <string>

#include "twilio/challenge.h"

namespace twotp {

class VerifyChallenge : public Challenge {
 public:
  // `client` and `clock` must outlive the challenge. `ttl` is policy.code_ttl:
  // a code older than that is refused here even if Twilio would still take it.
  VerifyChallenge(TwilioClient& client, Clock& clock, std::chrono::seconds ttl);
  ~VerifyChallenge() override;
  Status Send(const std::string& to, Channel channel, const ChallengeContext& context) override;
  Result<CheckOutcome> Check(const Secret& typed) override;
  void Abandon() override;
  void Forget() override;
  PendingCode Export(std::time_t sent_at) const override;
  Status Adopt(const PendingCode& pending) override;
  void Cancel(const PendingCode& pending) override;

 protected:
  TwilioClient& client_;
  Clock& clock_;
  std::chrono::seconds ttl_;
  std::string sid_;  // the pending verification; "" when none
  std::chrono::steady_clock::time_point started_{};
  Channel channel_ = Channel::kSms;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_VERIFY_CHALLENGE_H_
