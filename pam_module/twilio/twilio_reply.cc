#include "twilio/twilio_reply.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "base/secret.h"
#include "base/text.h"

namespace twotp {

using nlohmann::json;

std::optional<json> TakeJsonObject(std::string& body) {
  std::optional<json> object;
  try {
    json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object()) object = std::move(parsed);
  } catch (const std::exception&) {
    object.reset();
  }
  Wipe(body);
  return object;
}

std::string JsonString(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Status GarbageReply(TwilioCall call, Fault fault, const char* what) {
  return Status::Error(fault, std::string("Twilio ") + TwilioCallName(call) + ": garbage reply (" + what + ")");
}

Result<nlohmann::json> GetJsonObject(HttpTransport& transport, TwilioCall call, const std::string& url) {
  Result<HttpResponse> reply = transport.Get(url);
  if (!reply.ok()) return reply.status().Prefixed(std::string("Twilio ") + TwilioCallName(call) + ": ");
  if (Status refused = RefusalOf(call, reply.value()); !refused.ok()) return refused;
  return JsonObjectOf(call, std::move(reply));
}

Result<nlohmann::json> GetJsonList(HttpTransport& transport, TwilioCall call, const std::string& url,
                                   const char* key) {
  Result<json> object = GetJsonObject(transport, call, url);
  if (!object.ok()) return object.status();
  auto list = object->find(key);
  if (list == object->end() || !list->is_array()) return GarbageReply(call, Fault::kUnavailable, "no list");
  return std::move(*list);
}

bool IsSidOf(const std::string& sid, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](std::string_view p) { return IsSid(sid, p); });
}

Result<nlohmann::json> CreatedObject(TwilioCall call, Result<HttpResponse> reply,
                                     std::initializer_list<std::string_view> prefixes) {
  Result<json> object = JsonObjectOf(call, std::move(reply));
  if (!object.ok()) return object.status();
  if (!IsSidOf(JsonString(object.value(), "sid"), prefixes)) {
    return GarbageReply(call, Fault::kUnavailable, "no valid sid");
  }
  return object;
}

Status RefusalOf(TwilioCall call, HttpResponse& reply) {
  if (reply.status >= 200 && reply.status <= 299) return Status::Ok();
  Status status = ClassifyTwilioError(call, reply.status, reply.body);
  Wipe(reply.body);
  return status;
}

Result<nlohmann::json> JsonObjectOf(TwilioCall call, Result<HttpResponse> reply) {
  if (!reply.ok()) return reply.status();
  std::optional<nlohmann::json> object = TakeJsonObject(reply->body);
  if (!object) return GarbageReply(call, Fault::kUnavailable, "not a JSON object");
  return std::move(*object);
}

}  // namespace twotp
