#include "twilio/message_template.h"
#include "base/text.h"

namespace twotp {

namespace {
constexpr size_t kMaxFieldLength = 64;
constexpr size_t kMaxCommandLength = 80;
}  // namespace

Secret RenderMessage(std::string_view tmpl, const Secret& code, const ChallengeContext& context,
                     int ttl_seconds) {
  Secret out;
  size_t i = 0;
  while (i < tmpl.size()) {
    const size_t open = tmpl.find('{', i);
    const size_t close = open == std::string_view::npos ? open : tmpl.find('}', open);
    if (close == std::string_view::npos) {
      out.Append(tmpl.substr(i));
      break;
    }
    out.Append(tmpl.substr(i, open - i));
    const std::string_view name = tmpl.substr(open + 1, close - open - 1);
    if (name == "code") {
      out.Append(code.view());
    } else if (name == "user") {
      out.Append(SanitizeForMessage(context.user, kMaxFieldLength));
    } else if (name == "host") {
      out.Append(SanitizeForMessage(context.host, kMaxFieldLength));
    } else if (name == "service") {
      out.Append(SanitizeForMessage(context.service, kMaxFieldLength));
    } else if (name == "rhost") {
      out.Append(SanitizeForMessage(context.rhost.empty() ? "local" : context.rhost, kMaxFieldLength));
    } else if (name == "minutes") {
      out.Append(std::to_string((ttl_seconds + 59) / 60));
    } else if (name == "command") {
      out.Append(SanitizeForMessage(context.command, kMaxCommandLength));
    } else {
      out.Append(tmpl.substr(open, close - open + 1));
    }
    i = close + 1;
  }
  return out;
}

Secret SpokenCode(const Secret& code) {
  Secret digits;
  for (size_t i = 0; i < code.size(); ++i) {
    if (i > 0) digits.Append(", ");
    digits.Append(code.view().substr(i, 1));
  }
  Secret spoken("Your verification code is ");
  spoken.Append(digits.view());
  spoken.Append(".");
  return spoken;
}

}  // namespace twotp
