// Verify with a custom code (twilio.verify_custom_code): we make the code, as
// in messaging mode, Verify delivers it (CustomCode: its channels,
// templates and localisations), and we check it here in constant time. The
// outcome goes back as the verification's Status, "approved" when the code
// matched and "canceled" when the login gives up, the feedback Verify asks
// for with custom codes: its Fraud Guard and route selection learn from it.
#ifndef PAM_TWILIO_OTP_VERIFY_CUSTOM_CODE_CHALLENGE_H_
#define PAM_TWILIO_OTP_VERIFY_CUSTOM_CODE_CHALLENGE_H_

#include <string>

#include "twilio/local_code.h"
#include "twilio/verify_challenge.h"

namespace twotp {

class VerifyCustomCodeChallenge : public VerifyChallenge {
 public:
  // `policy`, `client` and `clock` must outlive the challenge.
  VerifyCustomCodeChallenge(const PolicyConfig& policy, TwilioClient& client, Clock& clock);
  Status Send(const std::string& to, Channel channel, const ChallengeContext& context) override;
  Result<CheckOutcome> Check(const Secret& typed) override;
  void Abandon() override;
  void Forget() override;
  PendingCode Export(std::time_t sent_at) const override;
  Status Adopt(const PendingCode& pending) override;

 private:
  LocalCode code_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_VERIFY_CUSTOM_CODE_CHALLENGE_H_
