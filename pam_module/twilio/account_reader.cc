#include "twilio/account_reader.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "twilio/http_message.h"
#include "twilio/twilio_client.h"
#include "twilio/twilio_errors.h"

namespace twotp {

namespace {

using nlohmann::json;

std::optional<json> ObjectOf(const std::string& body) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return std::nullopt;
  return parsed;
}

std::string StringAt(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Status Garbage(TwilioCall call) {
  return Status::Unavailable(std::string("Twilio ") + TwilioCallName(call) + ": garbage reply (not the JSON expected)");
}

// "?PhoneNumber=%2B15551234567": the number form-encoded, as a query.
std::string NumberQuery(const std::string& number) {
  Form query;
  query.push_back({"PhoneNumber", Secret(number)});
  return "?" + EncodeForm(query).str();
}

}  // namespace

Result<std::string> AccountReader::Read(TwilioCall call, const std::string& url) {
  Result<HttpResponse> reply = transport_.Get(url);
  if (!reply.ok()) return reply.status().Prefixed(std::string("Twilio ") + TwilioCallName(call) + ": ");
  // The account's reply holds its auth token: no copy of it stays behind.
  std::string body = std::move(reply->body);
  Wipe(reply->body);
  if (reply->status < 200 || reply->status > 299) {
    Status status = ClassifyTwilioError(call, reply->status, body);
    Wipe(body);
    return status;
  }
  return body;
}

Result<AccountInfo> AccountReader::FetchAccount() {
  constexpr TwilioCall kCall = TwilioCall::kFetchAccount;
  Result<std::string> body = Read(kCall, TwilioAccountUrl(twilio_) + ".json");
  if (!body.ok()) return body.status();
  std::optional<json> object = ObjectOf(body.value());
  Wipe(body.value());
  if (!object) return Garbage(kCall);
  if (auto token = object->find("auth_token"); token != object->end() && token->is_string()) {
    Wipe(token->get_ref<std::string&>());
  }
  AccountInfo info{StringAt(*object, "status"), StringAt(*object, "type")};
  if (info.status.empty() || info.type.empty()) return Garbage(kCall);
  return info;
}

Status AccountReader::FetchVerifyService() {
  constexpr TwilioCall kCall = TwilioCall::kFetchVerifyService;
  Result<std::string> body = Read(kCall, TwilioVerifyServiceUrl(twilio_));
  if (!body.ok()) return body.status();
  std::optional<json> object = ObjectOf(body.value());
  if (!object || StringAt(*object, "sid") != twilio_.verify_service_sid) return Garbage(kCall);
  return Status::Ok();
}

Result<bool> AccountReader::ListHasItem(TwilioCall call, const std::string& url, const char* list_key) {
  Result<std::string> body = Read(call, url);
  if (!body.ok()) return body.status();
  std::optional<json> object = ObjectOf(body.value());
  if (!object) return Garbage(call);
  auto list = object->find(list_key);
  if (list == object->end() || !list->is_array()) return Garbage(call);
  return !list->empty();
}

Status AccountReader::ReadNumbers() {
  Result<bool> listed = ListHasItem(TwilioCall::kListNumbers,
                                    TwilioAccountUrl(twilio_) + "/IncomingPhoneNumbers.json?PageSize=1",
                                    "incoming_phone_numbers");
  return listed.ok() ? Status::Ok() : listed.status();
}

Result<bool> AccountReader::OwnsNumber(const std::string& number) {
  return ListHasItem(TwilioCall::kListNumbers,
                     TwilioAccountUrl(twilio_) + "/IncomingPhoneNumbers.json" + NumberQuery(number),
                     "incoming_phone_numbers");
}

Result<bool> AccountReader::IsVerifiedCallerId(const std::string& number) {
  return ListHasItem(TwilioCall::kListCallerIds,
                     TwilioAccountUrl(twilio_) + "/OutgoingCallerIds.json" + NumberQuery(number),
                     "outgoing_caller_ids");
}

}  // namespace twotp
