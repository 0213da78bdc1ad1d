#include "twilio/line_type.h"

#include <nlohmann/json.hpp>
#include <string_view>

#include "base/phone.h"
#include "base/text.h"
#include "twilio/twilio_client.h"
#include "twilio/twilio_reply.h"

namespace twotp {

namespace {

// Twilio's type words that can never take a login code, and why.
struct Refused {
  std::string_view type;
  const char* why;
};
constexpr Refused kRefusedTypes[] = {
    {"premium", "a premium-rate number: sending codes there is how toll fraud bills you"},
    {"tollFree", "a toll-free number: it can't receive codes reliably, and calls to it bill you"},
    {"sharedCost", "a shared-cost number: calls to it bill you"},
    {"uan", "a universal access number (a company switchboard), not a person's phone"},
    {"pager", "a pager: it can't send a code back"},
    {"voicemail", "a voicemail-only number: nobody can read a code from it at the login"},
};

}  // namespace

Result<LineType> LookUpLineType(const TwilioConfig& twilio, HttpTransport& transport, const std::string& e164) {
  constexpr TwilioCall kCall = TwilioCall::kLookUpNumber;
  if (!IsE164(e164)) return Status::BadInput("number lookup: not an E.164 number");
  // The number is a path segment: its "+" goes as %2B, the digits as they are.
  Result<nlohmann::json> object =
      GetJsonObject(transport, kCall,
                    TwilioPhoneNumbersUrl(twilio) + "/%2B" + e164.substr(1) + "?Fields=line_type_intelligence");
  if (!object.ok()) return object.status();
  auto valid = object->find("valid");
  if (valid == object->end() || !valid->is_boolean()) return GarbageReply(kCall, Fault::kUnavailable, "no valid");
  LineType line;
  line.valid = valid->get<bool>();
  if (auto info = object->find("line_type_intelligence"); info != object->end() && info->is_object()) {
    // Twilio's own words, made safe for a log line.
    line.type = SanitizeForMessage(JsonString(*info, "type"), 32);
    line.carrier = SanitizeForMessage(JsonString(*info, "carrier_name"), 64);
  }
  return line;
}

LineAdvice JudgeLineType(const LineType& line, Channel channel) {
  if (!line.valid) return {LineVerdict::kRefuse, "Twilio says this is not a valid phone number"};
  for (const Refused& refused : kRefusedTypes) {
    if (line.type == refused.type) return {LineVerdict::kRefuse, std::string("it is ") + refused.why};
  }
  if (line.type == "mobile") return {};
  if (line.type == "landline") {
    if (channel == Channel::kSms || channel == Channel::kWhatsapp) {
      return {LineVerdict::kRefuse, std::string("it is a landline, which can't receive ") +
                                        ChannelDescription(channel) + "; enrol it for voice calls, or a mobile"};
    }
    return {LineVerdict::kWarn, "it is a landline: only voice calls reach it"};
  }
  if (line.type == "nonFixedVoip") {
    return {LineVerdict::kWarn,
            "it is a non-fixed VoIP number (anyone can create one online, with no identity check): weaker than a "
            "mobile"};
  }
  if (line.type == "fixedVoip") return {LineVerdict::kWarn, "it is a fixed VoIP line: it may not receive SMS"};
  return {LineVerdict::kWarn, "Twilio could not tell what kind of line it is" +
                                  (line.type.empty() ? std::string() : " (" + line.type + ")")};
}

}  // namespace twotp
