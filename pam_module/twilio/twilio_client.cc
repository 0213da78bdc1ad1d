#include "twilio/twilio_client.h"

#include <exception>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <utility>

#include "base/text.h"
#include "twilio/twilio_reply.h"

namespace twotp {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// A 429 is retried once after Retry-After, or this long when Twilio gives none.
constexpr milliseconds kDefaultBackoff{1000};
// A login can't wait longer than this for Twilio's rate limiter: a Retry-After
// beyond it means "not within this login", so we fail over at once.
constexpr milliseconds kMaxBackoff{2000};
// The retry only makes sense if some time is left for the request itself.
constexpr milliseconds kMinRequestTime{500};

std::string WithoutTrailingSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}


// Twilio's status words ("canceled", "max_attempts_reached") are safe to
// log; anything else in their place is not echoed.
std::string SafeWord(const std::string& word) {
  if (word.empty() || word.size() > 32) return "(unreadable)";
  for (char c : word) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-')) return "(unreadable)";
  }
  return word;
}

// How long to wait before retrying a 429, or nothing when the wait would not
// fit this login. Retry-After is in seconds; an HTTP-date (which Twilio does
// not send) falls back to the default.
std::optional<milliseconds> Backoff(const std::string& retry_after, milliseconds budget_left) {
  milliseconds wait = kDefaultBackoff;
  const bool seconds = !retry_after.empty() && retry_after.size() <= 6 &&
                       retry_after.find_first_not_of("0123456789") == std::string::npos;
  if (seconds) wait = std::chrono::seconds(std::stoi(retry_after));
  if (wait > kMaxBackoff || budget_left - wait < kMinRequestTime) return std::nullopt;
  return wait;
}

Result<std::string> CreatedSid(TwilioCall call, Result<HttpResponse> reply,
                               std::initializer_list<std::string_view> prefixes) {
  Result<json> object = CreatedObject(call, std::move(reply), prefixes);
  if (!object.ok()) return object.status();
  return JsonString(object.value(), "sid");
}

// Adds `text` to `out` with XML's five special characters escaped; control
// characters become spaces (TwiML is XML 1.0, which forbids most of them).
void AppendXmlEscaped(Secret& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out.Append("&amp;"); break;
      case '<': out.Append("&lt;"); break;
      case '>': out.Append("&gt;"); break;
      case '"': out.Append("&quot;"); break;
      case '\'': out.Append("&apos;"); break;
      default: out.Append(static_cast<unsigned char>(c) < 0x20 ? std::string_view(" ") : std::string_view(&c, 1));
    }
  }
}

}  // namespace

TwilioClient::TwilioClient(const TwilioConfig& twilio, HttpTransport& transport, Clock& clock)
    : twilio_(twilio), transport_(transport), clock_(clock) {}

std::string TwilioVerifyServiceUrl(const TwilioConfig& twilio) {
  return WithoutTrailingSlash(twilio.verify_url) + "/v2/Services/" + twilio.verify_service_sid;
}

std::string TwilioAccountUrl(const TwilioConfig& twilio) {
  return WithoutTrailingSlash(twilio.api_url) + "/2010-04-01/Accounts/" + twilio.account_sid;
}

std::string TwilioPhoneNumbersUrl(const TwilioConfig& twilio) {
  return WithoutTrailingSlash(twilio.lookup_url) + "/v2/PhoneNumbers";
}

std::string TwilioClient::VerifyServiceUrl() const { return TwilioVerifyServiceUrl(twilio_); }

std::string TwilioClient::AccountUrl() const { return TwilioAccountUrl(twilio_); }

Result<HttpResponse> TwilioClient::Post(TwilioCall call, const std::string& url, const Form& form) {
  for (int attempt = 1;; ++attempt) {
    Result<HttpResponse> reply = transport_.PostForm(url, form);
    if (!reply.ok()) {
      return reply.status().Prefixed(std::string("Twilio ") + TwilioCallName(call) + ": ");
    }
    HttpResponse& response = reply.value();
    if (response.status >= 200 && response.status <= 299) return reply;
    // A 429 was not processed by Twilio, so retrying even a check cannot
    // spend an attempt twice. 5xx and timeouts are never retried: Twilio may
    // have acted on them.
    if (attempt == 1 && RetryMayHelp(response.status, response.body)) {
      if (std::optional<milliseconds> wait = Backoff(response.retry_after, transport_.budget_left())) {
        Wipe(response.body);
        clock_.SleepFor(*wait);
        transport_.Spend(*wait);
        continue;
      }
    }
    return RefusalOf(call, response);
  }
}

Result<Verification> TwilioClient::StartVerification(const std::string& to, Channel channel, Form details) {
  constexpr TwilioCall kCall = TwilioCall::kStartVerification;
  Form form;
  AddField(form, "To", to);
  AddField(form, "Channel", ChannelName(channel));
  if (!twilio_.locale.empty()) AddField(form, "Locale", twilio_.locale);
  if (!twilio_.friendly_name.empty()) AddField(form, "CustomFriendlyName", twilio_.friendly_name);
  for (FormField& field : details) form.push_back(std::move(field));
  Result<json> object = CreatedObject(kCall, Post(kCall, VerifyServiceUrl() + "/Verifications", form), {"VE"});
  if (!object.ok()) return object.status();
  Verification verification{JsonString(object.value(), "sid"), JsonString(object.value(), "status"), channel};
  if (verification.status.empty()) return GarbageReply(kCall, Fault::kUnavailable, "no status");
  return verification;
}

Result<CheckOutcome> TwilioClient::CheckVerification(const std::string& verification_sid, const Secret& code) {
  constexpr TwilioCall kCall = TwilioCall::kCheckVerification;
  Form form;
  AddField(form, "VerificationSid", verification_sid);
  AddField(form, "Code", code.view());
  Result<HttpResponse> reply = Post(kCall, VerifyServiceUrl() + "/VerificationCheck", form);
  if (!reply.ok()) return reply.status();
  // From here on Twilio has answered 2xx. Whatever we can't read is a denial
  // (kRejected): kUnavailable would let failmode=safe approve a garbage reply.
  std::optional<json> object = TakeJsonObject(reply->body);
  if (!object) return GarbageReply(kCall, Fault::kRejected, "not a JSON object");
  const std::string status = JsonString(*object, "status");
  const std::string sid = JsonString(*object, "sid");
  if (status.empty()) return GarbageReply(kCall, Fault::kRejected, "no status");
  // An answer about another verification (or none) says nothing about this code.
  if (sid != verification_sid) return GarbageReply(kCall, Fault::kRejected, "not about this verification");
  if (status == "approved") {
    // Twilio sets valid=true with approved; a reply that contradicts itself is not a pass.
    auto valid = object->find("valid");
    if (valid != object->end() && !(valid->is_boolean() && valid->get<bool>())) {
      return GarbageReply(kCall, Fault::kRejected, "approved but not valid");
    }
    return CheckOutcome::kApproved;
  }
  if (status == "pending") return CheckOutcome::kWrongCode;
  return Status::CodeDead("Twilio verification check: verification is " + SafeWord(status))
      .WithUserMessage("This code is no longer valid; ask for a new one.");
}

Status TwilioClient::CancelVerification(const std::string& verification_sid) {
  return SetVerificationStatus(TwilioCall::kCancelVerification, verification_sid, "canceled");
}

Status TwilioClient::ApproveVerification(const std::string& verification_sid) {
  return SetVerificationStatus(TwilioCall::kApproveVerification, verification_sid, "approved");
}

Status TwilioClient::SetVerificationStatus(TwilioCall call, const std::string& verification_sid,
                                           const char* status) {
  if (!IsSid(verification_sid, "VE")) {
    return Status::BadInput(std::string(TwilioCallName(call)) + ": malformed verification SID");
  }
  Form form;
  AddField(form, "Status", status);
  Result<HttpResponse> reply = Post(call, VerifyServiceUrl() + "/Verifications/" + verification_sid, form);
  if (!reply.ok()) return reply.status();
  // Nothing depends on the body: any 2xx means the verification has ended.
  Wipe(reply.value().body);
  return Status::Ok();
}

Result<std::string> TwilioClient::SendMessage(const std::string& to, const Secret& body) {
  Form form;
  AddField(form, "To", to);
  AddField(form, "Body", body.view());
  if (!twilio_.messaging_service_sid.empty()) {
    AddField(form, "MessagingServiceSid", twilio_.messaging_service_sid);
  } else if (!twilio_.from.empty()) {
    AddField(form, "From", twilio_.from);
  } else {
    return Status::ConfigError("message send: twilio.from or twilio.messaging_service_sid is needed");
  }
  constexpr TwilioCall kCall = TwilioCall::kSendMessage;
  return CreatedSid(kCall, Post(kCall, AccountUrl() + "/Messages.json", form), {"SM", "MM"});
}

Result<std::string> TwilioClient::PlaceCall(const std::string& to, const Secret& spoken) {
  if (twilio_.from.empty()) return Status::ConfigError("voice call: twilio.from is needed to place calls");
  Secret twiml;
  // Said twice: the callee often misses the start while lifting the phone.
  twiml.Append("<Response><Say loop=\"2\">");
  AppendXmlEscaped(twiml, spoken.view());
  twiml.Append("</Say></Response>");
  Form form;
  AddField(form, "To", to);
  AddField(form, "From", twilio_.from);
  form.push_back({"Twiml", std::move(twiml)});
  constexpr TwilioCall kCall = TwilioCall::kPlaceCall;
  return CreatedSid(kCall, Post(kCall, AccountUrl() + "/Calls.json", form), {"CA"});
}

Status TwilioClient::Reach() {
  const std::string url =
      twilio_.mode == Mode::kVerify ? VerifyServiceUrl() + "/Verifications" : AccountUrl() + "/Messages.json";
  Result<HttpResponse> reply = transport_.PostForm(url, Form{});
  if (!reply.ok()) return reply.status();
  const long http_status = reply->status;
  Wipe(reply->body);
  if (http_status >= 500) return Status::Unavailable("Twilio answered HTTP " + std::to_string(http_status));
  if (http_status == 401) return Status::ConfigError("Twilio rejected the credentials (HTTP 401)");
  return Status::Ok();
}

}  // namespace twotp
