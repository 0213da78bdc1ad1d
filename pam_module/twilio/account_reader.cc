#include "twilio/account_reader.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "twilio/http_message.h"
#include "twilio/twilio_client.h"
#include "twilio/twilio_errors.h"
#include "twilio/twilio_reply.h"

namespace twotp {

namespace {

using nlohmann::json;

// "?PhoneNumber=%2B15551234567": the number form-encoded, as a query.
std::string NumberQuery(const std::string& number) {
  Form query;
  AddField(query, "PhoneNumber", number);
  return "?" + EncodeForm(query).str();
}

}  // namespace

// The account's reply holds its auth token: GetJsonObject keeps no copy.
Result<json> AccountReader::Read(TwilioCall call, const std::string& url) {
  return GetJsonObject(transport_, call, url);
}

Result<AccountInfo> AccountReader::FetchAccount() {
  constexpr TwilioCall kCall = TwilioCall::kFetchAccount;
  Result<json> object = Read(kCall, TwilioAccountUrl(twilio_) + ".json");
  if (!object.ok()) return object.status();
  if (auto token = object->find("auth_token"); token != object->end() && token->is_string()) {
    Wipe(token->get_ref<std::string&>());
  }
  AccountInfo info{JsonString(object.value(), "status"), JsonString(object.value(), "type")};
  if (info.status.empty() || info.type.empty()) return GarbageReply(kCall, Fault::kUnavailable, "no status or type");
  return info;
}

Result<VerifyServiceInfo> AccountReader::FetchVerifyService() {
  constexpr TwilioCall kCall = TwilioCall::kFetchVerifyService;
  Result<json> object = Read(kCall, TwilioVerifyServiceUrl(twilio_));
  if (!object.ok()) return object.status();
  if (JsonString(object.value(), "sid") != twilio_.verify_service_sid) {
    return GarbageReply(kCall, Fault::kUnavailable, "not this service's sid");
  }
  auto flag = [&object](const char* key) {
    auto value = object->find(key);
    return value != object->end() && value->is_boolean() && value->get<bool>();
  };
  return VerifyServiceInfo{flag("custom_code_enabled"), flag("psd2_enabled")};
}

Result<bool> AccountReader::ListHasItem(TwilioCall call, const std::string& url, const char* list_key) {
  Result<json> list = GetJsonList(transport_, call, url, list_key);
  if (!list.ok()) return list.status();
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
