// Messaging mode: we make the code and send it by SMS (Messages.json) or read
// it out in a voice call (Calls.json); only its HMAC stays in memory.
#ifndef PAM_TWILIO_OTP_MESSAGING_CHALLENGE_H_
#define PAM_TWILIO_OTP_MESSAGING_CHALLENGE_H_

#include <string>

#include "twilio/challenge.h"
#include "twilio/local_code.h"

namespace twotp {

class MessagingChallenge : public Challenge {
 public:
  // `policy`, `client` and `clock` must outlive the challenge.
  MessagingChallenge(const PolicyConfig& policy, TwilioClient& client, Clock& clock);
  Status Send(const std::string& to, Channel channel, const ChallengeContext& context) override;
  Result<CheckOutcome> Check(const Secret& typed) override;
  void Abandon() override;
  void Forget() override;
  PendingCode Export(std::time_t sent_at) const override;
  Status Adopt(const PendingCode& pending) override;
  void Cancel(const PendingCode& pending) override;

 private:
  const PolicyConfig& policy_;
  TwilioClient& client_;
  LocalCode code_;
  Channel channel_ = Channel::kSms;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_MESSAGING_CHALLENGE_H_
