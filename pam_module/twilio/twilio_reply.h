// Reading Twilio's 2xx JSON replies: shared by TwilioClient (a login's
// calls) and AccountReader (check-config --online's reads).
#ifndef PAM_TWILIO_OTP_TWILIO_REPLY_H_
#define PAM_TWILIO_OTP_TWILIO_REPLY_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/status.h"
#include "twilio/twilio_errors.h"

namespace twotp {

// The JSON object in `body`, or nothing. Wipes `body` either way: a Messages
// reply echoes the text (and the code), the account's its auth token.
std::optional<nlohmann::json> TakeJsonObject(std::string& body);
// object[key] when it is a string, else "".
std::string JsonString(const nlohmann::json& object, const char* key);
// "Twilio <call>: garbage reply (<what>)" as a `fault`.
Status GarbageReply(TwilioCall call, Fault fault, const char* what);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_TWILIO_REPLY_H_
