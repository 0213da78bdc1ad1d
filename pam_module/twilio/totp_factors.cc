#include "twilio/totp_factors.h"

#include <nlohmann/json.hpp>

#include "base/hex.h"
#include "base/text.h"
#include "twilio/twilio_reply.h"

namespace twotp {

namespace {

using nlohmann::json;

constexpr size_t kIdentityHexDigits = 32;
// Verify's TOTP codes are 3 to 8 digits; the module creates 6-digit factors.
constexpr size_t kMinTotpCode = 6;
constexpr size_t kMaxTotpCode = 8;

}  // namespace

std::string TotpIdentity(std::string_view user) { return "pam-totp-" + Sha256Hex(user, kIdentityHexDigits); }

std::string TotpFactors::EntityUrl(const std::string& identity) const {
  return TwilioVerifyServiceUrl(client_.config()) + "/Entities/" + identity;
}

Result<NewTotpFactor> TotpFactors::Create(const std::string& identity, const std::string& friendly_name) {
  constexpr TwilioCall kCall = TwilioCall::kCreateFactor;
  Form form;
  AddField(form, "FriendlyName", friendly_name);
  AddField(form, "FactorType", "totp");
  Result<json> object = JsonObjectOf(kCall, client_.Post(kCall, EntityUrl(identity) + "/Factors", form));
  if (!object.ok()) return object.status();
  NewTotpFactor factor{JsonString(object.value(), "sid"), Secret()};
  if (auto binding = object->find("binding"); binding != object->end() && binding->is_object()) {
    if (auto uri = binding->find("uri"); uri != binding->end() && uri->is_string()) {
      factor.uri = Secret(uri->get_ref<const std::string&>());
      Wipe(uri->get_ref<std::string&>());
    }
    if (auto secret = binding->find("secret"); secret != binding->end() && secret->is_string()) {
      Wipe(secret->get_ref<std::string&>());
    }
  }
  if (!IsSid(factor.sid, "YF")) return GarbageReply(kCall, Fault::kUnavailable, "no valid sid");
  if (!factor.uri.view().starts_with("otpauth://totp/")) {
    return GarbageReply(kCall, Fault::kUnavailable, "no otpauth URI");
  }
  return factor;
}

Result<bool> TotpFactors::Verify(const std::string& identity, const std::string& factor_sid, const Secret& code) {
  constexpr TwilioCall kCall = TwilioCall::kVerifyFactor;
  if (!IsSid(factor_sid, "YF")) return Status::BadInput("factor verify: malformed factor SID");
  Form form;
  AddField(form, "AuthPayload", code.view());
  Result<json> object = JsonObjectOf(kCall, client_.Post(kCall, EntityUrl(identity) + "/Factors/" + factor_sid, form));
  if (!object.ok()) return object.status();
  const std::string status = JsonString(object.value(), "status");
  if (status.empty()) return GarbageReply(kCall, Fault::kUnavailable, "no status");
  return status == "verified";
}

Result<std::vector<std::string>> TotpFactors::Verified(const std::string& identity) {
  constexpr TwilioCall kCall = TwilioCall::kListFactors;
  Result<json> list = GetJsonList(client_.transport(), kCall, EntityUrl(identity) + "/Factors?PageSize=20", "factors");
  // No entity yet is Twilio's way of saying "no factors".
  if (!list.ok() && list.status().http_status() == 404) return std::vector<std::string>{};
  if (!list.ok()) return list.status();
  std::vector<std::string> sids;
  for (const json& factor : list.value()) {
    if (!factor.is_object()) continue;
    const std::string sid = JsonString(factor, "sid");
    if (IsSid(sid, "YF") && JsonString(factor, "factor_type") == "totp" && JsonString(factor, "status") == "verified") {
      sids.push_back(sid);
    }
  }
  return sids;
}

Status TotpFactors::Delete(const std::string& identity, const std::string& factor_sid) {
  constexpr TwilioCall kCall = TwilioCall::kDeleteFactor;
  if (!IsSid(factor_sid, "YF")) return Status::BadInput("factor delete: malformed factor SID");
  Result<HttpResponse> reply = client_.transport().Delete(EntityUrl(identity) + "/Factors/" + factor_sid);
  if (!reply.ok()) return reply.status().Prefixed(std::string("Twilio ") + TwilioCallName(kCall) + ": ");
  return RefusalOf(kCall, reply.value());
}

Result<CheckOutcome> TotpFactors::Check(const std::string& identity, const std::string& factor_sid,
                                        const Secret& code) {
  constexpr TwilioCall kCall = TwilioCall::kCheckTotp;
  if (!IsDigits(code.view(), kMinTotpCode, kMaxTotpCode)) return CheckOutcome::kWrongCode;
  if (!IsSid(factor_sid, "YF")) return Status::BadInput("TOTP check: malformed factor SID");
  Form form;
  AddField(form, "FactorSid", factor_sid);
  AddField(form, "AuthPayload", code.view());
  Result<HttpResponse> reply = client_.Post(kCall, EntityUrl(identity) + "/Challenges", form);
  if (!reply.ok()) return reply.status();
  // As with a verification check, a 2xx that can't be read is a denial:
  // kUnavailable would let failmode=safe approve it.
  std::optional<json> object = TakeJsonObject(reply->body);
  if (!object) return GarbageReply(kCall, Fault::kRejected, "not a JSON object");
  const std::string status = JsonString(*object, "status");
  if (status == "approved") return CheckOutcome::kApproved;
  if (status == "pending") return CheckOutcome::kWrongCode;
  return GarbageReply(kCall, Fault::kRejected, "not approved and not pending");
}

}  // namespace twotp
