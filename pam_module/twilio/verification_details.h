// What a Verify request says about the login besides the number and the
// channel: Amount and Payee (PSD2 dynamic linking: the message names what is
// approved and for whom), TemplateSid with TemplateCustomSubstitutions,
// DeviceIp (PAM_RHOST, when it is an address) and Tags (host and service),
// which Fraud Guard and the Console's logs read; and RateLimits (the keys of
// the service's rate limits, twilio/rate_limits.h) with twilio.rate_limits.
#ifndef PAM_TWILIO_OTP_VERIFICATION_DETAILS_H_
#define PAM_TWILIO_OTP_VERIFICATION_DETAILS_H_

#include "config/config.h"
#include "twilio/challenge.h"
#include "twilio/http_transport.h"

namespace twotp {

// The fields to add to a verification for this login. The templates of the
// config are filled as a message's are (RenderMessage), so what comes from
// outside (rhost, the sudo command, the user name) is made safe and bounded
// first; the JSON values are built by nlohmann-json, never by hand.
Form VerificationDetails(const TwilioConfig& twilio, const ChallengeContext& context);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_VERIFICATION_DETAILS_H_
