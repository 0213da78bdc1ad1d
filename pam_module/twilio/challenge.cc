#include "twilio/challenge.h"

#include "twilio/messaging_challenge.h"
#include "twilio/verify_challenge.h"
#include "twilio/verify_custom_code_challenge.h"

namespace twotp {

std::unique_ptr<Challenge> MakeChallenge(const Config& config, TwilioClient& client, Clock& clock) {
  if (config.twilio.mode == Mode::kMessaging) {
    return std::make_unique<MessagingChallenge>(config.policy, client, clock);
  }
  if (config.twilio.verify_custom_code) {
    return std::make_unique<VerifyCustomCodeChallenge>(config.policy, client, clock);
  }
  return std::make_unique<VerifyChallenge>(client, clock, std::chrono::seconds(config.policy.code_ttl));
}

}  // namespace twotp
