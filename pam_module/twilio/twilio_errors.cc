#include "twilio/twilio_errors.h"
#include "base/text.h"

#include <cstdint>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>
#include <string_view>

namespace twotp {

namespace {

constexpr size_t kMaxQuotedMessage = 200;
constexpr int kMinNumberDigits = 7;

// Twilio error codes that steer the logic below; the codes that only pick a
// row are in kCodeRows (twilio.com/docs/api/errors/<code>).
constexpr int kAuthFailure = 20003;
constexpr int kNotFound = 20404;
constexpr int kInvalidParameter = 60200;  // To not E.164, or Code not 4-10 digits
constexpr int kMaxChecks = 60202;
constexpr int kMaxSends = 60203;
constexpr int kMaxTotpChecks = 60308;  // a TOTP factor's challenges: too many wrong codes
constexpr int kLandline = 60205;
constexpr int kNotMobile = 21614;

constexpr char kAdviseStart[] = "This number has opted out of SMS: reply START to the sender, or choose a voice call.";
constexpr char kAdviseFraud[] =
    "Twilio blocked SMS to this number range for now (fraud protection); try a voice call or ask your "
    "administrator.";
constexpr char kAdviseNotMobile[] =
    "This number can't receive SMS; try a voice call or ask your administrator to change it.";
constexpr char kAdviseInvalid[] = "The phone number on file is not valid; ask your administrator to correct it.";
constexpr char kAdviseWait[] = "Too many codes were sent to this number; wait 10 minutes and try again.";
constexpr char kAdviseRateLimited[] = "Too many codes have been sent for now; try again later.";
constexpr char kAdviseNewCode[] = "This code has expired or was tried too often; ask for a new one.";
constexpr char kAdviseWaitApp[] = "Too many wrong codes from your authenticator app; wait 10 minutes and try again.";
constexpr char kAdviseNoApp[] = "Your authenticator app is not enrolled any more; ask your administrator.";

// What the table says about one reply.
struct Verdict {
  Fault fault;
  const char* meaning;           // for the syslog line
  const char* advice = nullptr;  // for the user, when they can act on it
};

// Rows keyed by code alone; call-specific rows are decided before these.
struct CodeRow {
  int code;
  Verdict verdict;
};
constexpr CodeRow kCodeRows[] = {
    {21608, {Fault::kConfig, "trial account: only verified numbers can receive messages"}},
    {60204, {Fault::kConfig,
             "the Verify service does not have a feature this request uses (custom codes: Enable Custom "
             "Verification Code in the service's settings; amount and payee: PSD2)"}},
    {60217, {Fault::kConfig, "the Verify service has no email integration (add one before using the email channel)"}},
    {60223, {Fault::kConfig, "the channel is disabled in the Verify service's settings"}},
    {60605, {Fault::kConfig, "geo permissions do not allow this country"}},
    {21408, {Fault::kConfig, "geo permissions do not allow this country"}},
    {60410, {Fault::kRecipient, "blocked by Fraud Guard", kAdviseFraud}},
    {21610, {Fault::kRecipient, "recipient opted out (STOP)", kAdviseStart}},
    {kLandline, {Fault::kRecipient, "number can't receive SMS (landline or not mobile)", kAdviseNotMobile}},
    {kNotMobile, {Fault::kRecipient, "number can't receive SMS (landline or not mobile)", kAdviseNotMobile}},
    {21211, {Fault::kRecipient, "invalid phone number", kAdviseInvalid}},
    {kInvalidParameter, {Fault::kRecipient, "invalid phone number", kAdviseInvalid}},
    {kMaxSends, {Fault::kRejected, "too many codes sent to this number", kAdviseWait}},
    {kMaxChecks, {Fault::kCodeDead, "max check attempts reached", kAdviseNewCode}},
    {kMaxTotpChecks, {Fault::kRejected, "too many wrong authenticator app codes", kAdviseWaitApp}},
    {60318, {Fault::kRecipient, "the TOTP factor is not verified", kAdviseNoApp}},
};

// The fields of Twilio's error JSON we use; zero / empty when absent.
struct TwilioError {
  int code = 0;
  std::string message;  // sanitized
};


// Length of a phone-number-like run at `text` (digits, maybe a leading '+',
// groups joined by up to two of " -.()"), or 0 when it holds fewer than
// kMinNumberDigits digits. Over-redacting a long code or date is harmless.
size_t NumberRunAt(std::string_view text) {
  size_t i = (text[0] == '+' || text[0] == '(') ? 1 : 0;
  size_t end = 0;
  int digits = 0;
  while (i < text.size()) {
    if (IsDigit(text[i])) {
      ++digits;
      end = ++i;
      continue;
    }
    size_t gap = 0;
    while (gap < 2 && i + gap < text.size() && std::strchr(" -.()", text[i + gap]) != nullptr) ++gap;
    if (gap == 0 || end == 0 || i + gap >= text.size() || !IsDigit(text[i + gap])) break;
    i += gap;
  }
  return digits >= kMinNumberDigits ? end : 0;
}

// Twilio's `message` made fit for one syslog line: printable ASCII only, any
// phone number replaced (Twilio sometimes quotes the To number), truncated.
std::string Sanitize(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size() && out.size() < kMaxQuotedMessage) {
    if (IsDigit(text[i]) || text[i] == '+' || text[i] == '(') {
      if (size_t run = NumberRunAt(text.substr(i)); run > 0) {
        out += "[number]";
        i += run;
        continue;
      }
    }
    unsigned char c = static_cast<unsigned char>(text[i++]);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  if (i < text.size()) out += "...";
  return out;
}

// Never throws: a body that is not Twilio's JSON just yields no code.
TwilioError ParseError(const std::string& body) {
  TwilioError error;
  try {
    const nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object()) return error;
    if (auto code = json.find("code"); code != json.end() && code->is_number_integer()) {
      const int64_t value = code->get<int64_t>();
      if (value > 0 && value < 1000000) error.code = static_cast<int>(value);
    }
    if (auto message = json.find("message"); message != json.end() && message->is_string()) {
      error.message = Sanitize(message->get_ref<const std::string&>());
    }
  } catch (const std::exception&) {
    return TwilioError{};
  }
  return error;
}

bool IsVerifyCall(TwilioCall call) {
  return call == TwilioCall::kStartVerification || call == TwilioCall::kCheckVerification ||
         call == TwilioCall::kCancelVerification || call == TwilioCall::kApproveVerification ||
         call == TwilioCall::kFetchVerifyService || call == TwilioCall::kCreateFactor ||
         call == TwilioCall::kVerifyFactor || call == TwilioCall::kListFactors || call == TwilioCall::kDeleteFactor ||
         call == TwilioCall::kCheckTotp || call == TwilioCall::kListRateLimits ||
         call == TwilioCall::kCreateRateLimit || call == TwilioCall::kListBuckets ||
         call == TwilioCall::kCreateBucket || call == TwilioCall::kUpdateBucket || call == TwilioCall::kDeleteBucket;
}

// The table itself, HTTP class first (see twilio_errors.h).
Verdict Decide(TwilioCall call, long http_status, int code) {
  // A check or cancel names one verification: a 404 there means that
  // verification is gone (expired, approved, canceled), not a bad service.
  const bool check = call == TwilioCall::kCheckVerification;
  const bool names_verification =
      check || call == TwilioCall::kCancelVerification || call == TwilioCall::kApproveVerification;
  if (http_status >= 500) return {Fault::kUnavailable, "Twilio server error"};
  // A start refused for its rate (the service's rate limits, Verify's own
  // per-number guard), still after the client's retry: whoever has the
  // password can make Twilio say it, so it is a refused send, never an
  // outage failmode=safe would wave through.
  if (http_status == 429 && call == TwilioCall::kStartVerification && code != kMaxSends) {
    return {Fault::kRejected, "Twilio refused another verification for now (429: a rate limit)",
            kAdviseRateLimited};
  }
  // 429 with a code that counts the user's tries is a refusal, never an
  // outage: failmode=safe must not let a guesser through.
  if (http_status == 429 && code != kMaxChecks && code != kMaxSends && code != kMaxTotpChecks) {
    return {Fault::kUnavailable, "rate limited"};
  }
  if (http_status == 401 || code == kAuthFailure) {
    return {Fault::kConfig, "Twilio rejected the credentials (auth failure)"};
  }
  // Twilio never redirects: a 3xx means the URL in the config is wrong.
  if (http_status >= 300 && http_status < 400) return {Fault::kConfig, "redirected (check api_url/verify_url)"};
  if (http_status < 400 || http_status > 499) return {Fault::kUnavailable, "unexpected HTTP status"};
  if (http_status == 404 || code == kNotFound) {
    // A TOTP factor that is gone: the user's app was removed at Twilio.
    if (call == TwilioCall::kCheckTotp || call == TwilioCall::kVerifyFactor) {
      return {Fault::kRecipient, "TOTP factor not found (deleted at Twilio?)", kAdviseNoApp};
    }
    if (names_verification) {
      return {Fault::kCodeDead, "verification not found (expired, approved or canceled)", kAdviseNewCode};
    }
    return {Fault::kConfig, IsVerifyCall(call) ? "Twilio Verify service not found" : "Twilio account not found"};
  }
  // On a check, 60200 is about the Code (not 4-10 digits), not the number.
  if (check && code == kInvalidParameter) return {Fault::kRejected, "code not in Twilio's format (4-10 digits)"};
  for (const CodeRow& row : kCodeRows) {
    if (row.code == code) return row.verdict;
  }
  return {Fault::kRejected, "request refused"};
}

}  // namespace

const char* TwilioCallName(TwilioCall call) {
  switch (call) {
    case TwilioCall::kStartVerification:
      return "verification start";
    case TwilioCall::kCheckVerification:
      return "verification check";
    case TwilioCall::kCancelVerification:
      return "verification cancel";
    case TwilioCall::kApproveVerification:
      return "verification approval";
    case TwilioCall::kSendMessage:
      return "message send";
    case TwilioCall::kPlaceCall:
      return "voice call";
    case TwilioCall::kFetchAccount:
      return "account fetch";
    case TwilioCall::kFetchVerifyService:
      return "Verify service fetch";
    case TwilioCall::kListNumbers:
      return "phone number lookup";
    case TwilioCall::kListCallerIds:
      return "verified caller ID lookup";
    case TwilioCall::kLookUpNumber:
      return "number lookup";
    case TwilioCall::kCreateFactor:
      return "TOTP factor create";
    case TwilioCall::kVerifyFactor:
      return "TOTP factor verify";
    case TwilioCall::kListFactors:
      return "TOTP factor list";
    case TwilioCall::kDeleteFactor:
      return "TOTP factor delete";
    case TwilioCall::kCheckTotp:
      return "TOTP check";
    case TwilioCall::kListRateLimits:
      return "rate limit list";
    case TwilioCall::kCreateRateLimit:
      return "rate limit create";
    case TwilioCall::kListBuckets:
      return "rate limit bucket list";
    case TwilioCall::kCreateBucket:
      return "rate limit bucket create";
    case TwilioCall::kUpdateBucket:
      return "rate limit bucket update";
    case TwilioCall::kDeleteBucket:
      return "rate limit bucket delete";
  }
  return "request";
}

Status ClassifyTwilioError(TwilioCall call, long http_status, const std::string& body) {
  const TwilioError error = ParseError(body);
  const Verdict verdict = Decide(call, http_status, error.code);
  std::string message = std::string("Twilio ") + TwilioCallName(call) + ": " + verdict.meaning;
  if (!error.message.empty()) message += ": \"" + error.message + "\"";
  Status status = Status::Error(verdict.fault, std::move(message));
  status.WithHttp(static_cast<int>(http_status), error.code);
  if (verdict.advice != nullptr) status.WithUserMessage(verdict.advice);
  // A whole reply from Twilio saying it is down (5xx) or busy (429, still
  // after the client's retry) is Twilio's own word: the caller of the login
  // can't make Twilio say it.
  const bool twilio_says_down = (http_status >= 500 && http_status <= 599) || http_status == 429;
  if (verdict.fault == Fault::kUnavailable && twilio_says_down) status.Witnessed();
  return status;
}

bool RetryMayHelp(long http_status, const std::string& body) {
  if (http_status != 429) return false;
  const int code = ParseError(body).code;
  return code != kMaxChecks && code != kMaxSends && code != kMaxTotpChecks;
}

bool ChannelCantReachNumber(const Status& status) {
  return status.Is(Fault::kRecipient) && (status.twilio_code() == kLandline || status.twilio_code() == kNotMobile);
}

}  // namespace twotp
