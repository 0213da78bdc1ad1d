// The text of a code message: policy.message with its {placeholders} filled.
#ifndef PAM_TWILIO_OTP_MESSAGE_TEMPLATE_H_
#define PAM_TWILIO_OTP_MESSAGE_TEMPLATE_H_

#include <string>
#include <string_view>

#include "twilio/challenge.h"
#include "base/secret.h"

namespace twotp {

// Fills {code} {user} {host} {service} {rhost} {minutes} {command}. Values
// that come from outside (rhost, the sudo command, the user name) are made
// safe for an SMS first: control characters become spaces and each is cut
// to a sane length. An unknown placeholder is left as it is (LoadConfig
// already refuses those). The result is a Secret: it holds the code.
Secret RenderMessage(std::string_view message_template, const Secret& code,
                     const ChallengeContext& context, int ttl_seconds);

// What a voice call says: the digits one by one ("Your verification code is
// 1, 2, 3, 4, 5, 6."). The call's TwiML repeats it (<Say loop="2">).
Secret SpokenCode(const Secret& code);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_MESSAGE_TEMPLATE_H_
