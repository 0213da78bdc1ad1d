// Reading Twilio's 2xx JSON replies: shared by TwilioClient (a login's
// calls), AccountReader (check-config --online's reads) and the line type
// lookup.
#ifndef PAM_TWILIO_OTP_TWILIO_REPLY_H_
#define PAM_TWILIO_OTP_TWILIO_REPLY_H_

#include <nlohmann/json.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "twilio/http_transport.h"
#include "twilio/twilio_errors.h"

namespace twotp {

// The JSON object in `body`, or nothing. Wipes `body` either way: a Messages
// reply echoes the text (and the code), the account's its auth token.
std::optional<nlohmann::json> TakeJsonObject(std::string& body);
// object[key] when it is a string, else "".
std::string JsonString(const nlohmann::json& object, const char* key);
// "Twilio <call>: garbage reply (<what>)" as a `fault`.
Status GarbageReply(TwilioCall call, Fault fault, const char* what);
// Ok for a 2xx `reply`; any other is classified as `call`'s
// (twilio_errors.h) and its body wiped.
Status RefusalOf(TwilioCall call, HttpResponse& reply);
// The JSON object of `reply` (a 2xx, or the failure it holds); a body that
// is not one is kUnavailable ("garbage reply"). Wipes the body.
Result<nlohmann::json> JsonObjectOf(TwilioCall call, Result<HttpResponse> reply);
// GETs `url` and returns the JSON object of a 2xx reply; any other reply is
// classified as `call` (twilio_errors.h), a 2xx that is not an object is
// kUnavailable. No copy of the body stays behind.
Result<nlohmann::json> GetJsonObject(HttpTransport& transport, TwilioCall call, const std::string& url);
// GetJsonObject, then the array under `key` (a list reply's page:
// "factors", "rate_limits"...); an object without one is kUnavailable
// ("garbage reply (no list)").
Result<nlohmann::json> GetJsonList(HttpTransport& transport, TwilioCall call, const std::string& url,
                                   const char* key);
// A SID with any of `prefixes` (a message is "SM", or "MM" with media).
bool IsSidOf(const std::string& sid, std::initializer_list<std::string_view> prefixes);
// The JSON object of a 2xx reply to a create call, holding a well-formed
// "sid" with one of `prefixes`; kUnavailable ("no valid sid") otherwise.
Result<nlohmann::json> CreatedObject(TwilioCall call, Result<HttpResponse> reply,
                                     std::initializer_list<std::string_view> prefixes);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_TWILIO_REPLY_H_
