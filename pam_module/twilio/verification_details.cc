#include "twilio/verification_details.h"

#include <nlohmann/json.hpp>

#include <string>

#include "twilio/rate_limits.h"
#include "base/cidr.h"
#include "base/text.h"
#include "twilio/message_template.h"

namespace twotp {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxTag = 64;

// A detail's text: the template filled for this login. The config refuses
// {code} and {minutes} in these, so there is no code to give.
std::string Filled(const std::string& text, const ChallengeContext& context) {
  return RenderMessage(text, Secret(), context, 0).str();
}

// Compact JSON; a byte that isn't UTF-8 (a host name can hold anything)
// becomes U+FFFD instead of an exception.
std::string Dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

Form VerificationDetails(const TwilioConfig& twilio, const ChallengeContext& context) {
  Form form;
  if (!twilio.amount.empty()) AddField(form, "Amount", Filled(twilio.amount, context));
  if (!twilio.payee.empty()) AddField(form, "Payee", Filled(twilio.payee, context));
  if (!twilio.template_sid.empty()) {
    AddField(form, "TemplateSid", twilio.template_sid);
    if (!twilio.template_substitutions.empty()) {
      json substitutions = json::object();
      for (const auto& [variable, text] : twilio.template_substitutions) substitutions[variable] = Filled(text, context);
      AddField(form, "TemplateCustomSubstitutions", Dump(substitutions));
    }
  }
  // Twilio refuses a DeviceIp that is not an address; a host name from
  // reverse DNS is simply left out.
  if (IsIpAddress(context.rhost)) AddField(form, "DeviceIp", context.rhost);
  json tags = json::object();
  if (!context.host.empty()) tags["host"] = SanitizeForMessage(context.host, kMaxTag);
  if (!context.service.empty()) tags["service"] = SanitizeForMessage(context.service, kMaxTag);
  if (!tags.empty()) AddField(form, "Tags", Dump(tags));
  if (twilio.rate_limits) AddField(form, "RateLimits", RateLimitKeys(context.user, context.host));
  return form;
}

}  // namespace twotp
