// twilio/twilio_errors: the Twilio error table (twilio_errors.h), row by row,
// and what a Status message may quote from Twilio's reply.
#include <cstring>
#include <string>

#include "twilio/twilio_errors.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

namespace {

constexpr TwilioCall kStart = TwilioCall::kStartVerification;
constexpr TwilioCall kCheck = TwilioCall::kCheckVerification;
constexpr TwilioCall kCancel = TwilioCall::kCancelVerification;
constexpr TwilioCall kMessage = TwilioCall::kSendMessage;
constexpr TwilioCall kVoice = TwilioCall::kPlaceCall;

struct Row {
  TwilioCall call;
  long http;
  int code;                 // Twilio code in the body; 0: body is `raw`
  const char* raw;          // a body that is not Twilio's JSON
  Fault fault;
  const char* meaning;      // must appear in the Status message
  const char* advice;       // must appear in user_message; nullptr: none set
};

constexpr Row kTable[] = {
    {kStart, 500, 0, "<html>oops</html>", Fault::kUnavailable, "server error", nullptr},
    {kCheck, 503, 20500, nullptr, Fault::kUnavailable, "server error", nullptr},
    // A start's 429 is a refused send: whoever has the password can cause it.
    {kStart, 429, 20429, nullptr, Fault::kRejected, "a rate limit", "try again later"},
    {kMessage, 429, 0, "", Fault::kUnavailable, "rate limited", nullptr},
    {kStart, 401, 20003, nullptr, Fault::kConfig, "rejected the credentials", nullptr},
    {kCheck, 401, 0, "Unauthorized", Fault::kConfig, "rejected the credentials", nullptr},
    {kMessage, 403, 20003, nullptr, Fault::kConfig, "rejected the credentials", nullptr},
    {kMessage, 400, 21608, nullptr, Fault::kConfig, "trial account", nullptr},
    {kStart, 403, 60605, nullptr, Fault::kConfig, "geo permissions", nullptr},
    {kMessage, 400, 21408, nullptr, Fault::kConfig, "geo permissions", nullptr},
    {kStart, 404, 20404, nullptr, Fault::kConfig, "Verify service not found", nullptr},
    {kCancel, 404, 20404, nullptr, Fault::kCodeDead, "verification not found", "new one"},
    {kVoice, 404, 20404, nullptr, Fault::kConfig, "account not found", nullptr},
    {kCheck, 404, 20404, nullptr, Fault::kCodeDead, "verification not found", "new one"},
    {kCheck, 404, 0, "Not Found", Fault::kCodeDead, "verification not found", "new one"},
    {kCheck, 429, 60202, nullptr, Fault::kCodeDead, "max check attempts reached", "new one"},
    {kStart, 403, 60410, nullptr, Fault::kRecipient, "blocked by Fraud Guard", "fraud protection"},
    {kMessage, 400, 21610, nullptr, Fault::kRecipient, "opted out (STOP)", "reply START"},
    {kStart, 400, 60205, nullptr, Fault::kRecipient, "can't receive SMS", "try a voice call"},
    {kMessage, 400, 21614, nullptr, Fault::kRecipient, "can't receive SMS", "try a voice call"},
    {kMessage, 400, 21211, nullptr, Fault::kRecipient, "invalid phone number", "administrator"},
    {kStart, 400, 60200, nullptr, Fault::kRecipient, "invalid phone number", "administrator"},
    {kCheck, 400, 60200, nullptr, Fault::kRejected, "4-10 digits", nullptr},
    {kStart, 429, 60203, nullptr, Fault::kRejected, "too many codes sent", "wait 10 minutes"},
    {kVoice, 400, 13224, nullptr, Fault::kRejected, "request refused", nullptr},
    {kStart, 418, 0, "not json at all", Fault::kRejected, "request refused", nullptr},
    {kStart, 400, 0, R"({"code":"20003"})", Fault::kRejected, "request refused", nullptr},
    {kMessage, 302, 0, "", Fault::kConfig, "redirected", nullptr},
};

std::string Body(int code, const char* message) {
  return "{\"code\":" + std::to_string(code) + ",\"message\":\"" + message + "\",\"status\":400}";
}

}  // namespace

static void test_every_row_of_the_table(void**) {
  for (const Row& row : kTable) {
    const std::string body = row.code != 0 ? Body(row.code, "Twilio said so") : row.raw;
    Status status = ClassifyTwilioError(row.call, row.http, body);
    assert_int_equal(static_cast<int>(status.fault()), static_cast<int>(row.fault));
    assert_int_equal(status.http_status(), row.http);
    assert_int_equal(status.twilio_code(), row.code);
    assert_non_null(strstr(status.message().c_str(), row.meaning));
    assert_non_null(strstr(status.message().c_str(), TwilioCallName(row.call)));
    if (row.advice == nullptr) {
      assert_false(status.user_message().has_value());
    } else {
      assert_true(status.user_message().has_value());
      assert_non_null(strstr(status.user_message()->c_str(), row.advice));
    }
  }
}

static void test_credentials_error_is_config_fault_whatever_failmode(void**) {
  // Failmode only ever sees kUnavailable; a bad token must never let anyone through.
  for (TwilioCall call : {kStart, kCheck, kCancel, kMessage, kVoice}) {
    assert_true(ClassifyTwilioError(call, 401, "").Is(Fault::kConfig));
    assert_true(ClassifyTwilioError(call, 401, Body(20003, "Authenticate")).Is(Fault::kConfig));
  }
}

static void test_twilio_message_is_quoted_without_phone_numbers(void**) {
  const char* numbers[] = {"+15005550001", "15005550001", "+1 (415) 867-5309", "415-867-5309", "+44 20 7946 0958"};
  for (const char* number : numbers) {
    std::string message = std::string("The 'To' number ") + number + " is not a valid phone number.";
    Status status = ClassifyTwilioError(kMessage, 400, Body(21211, message.c_str()));
    assert_non_null(strstr(status.message().c_str(), "\"The 'To' number [number] is not a valid phone number.\""));
    assert_null(strstr(status.message().c_str(), "867"));
    assert_null(strstr(status.message().c_str(), "555"));
    assert_null(strstr(status.message().c_str(), "7946"));
  }
}

static void test_short_numbers_in_twilio_message_are_kept(void**) {
  Status status = ClassifyTwilioError(kStart, 400, Body(60200, "Invalid parameter `To`: error 60200 at line 12"));
  assert_non_null(strstr(status.message().c_str(), "error 60200 at line 12"));
}

static void test_twilio_message_is_printable_and_truncated(void**) {
  std::string message(500, 'x');
  message.replace(0, 6, "a\\tb\\u00e9");  // JSON escapes for a tab and a non-ASCII letter
  Status status = ClassifyTwilioError(kStart, 400, Body(99999, message.c_str()));
  const std::string& text = status.message();
  assert_non_null(strstr(text.c_str(), "\"a?b??xxx"));
  assert_non_null(strstr(text.c_str(), "...\""));
  assert_true(text.size() < 300);
  for (char c : text) assert_true(c >= 0x20 && c < 0x7f);
}

static void test_retry_may_help_only_a_plain_429(void**) {
  assert_true(RetryMayHelp(429, Body(20429, "Too many requests")));
  assert_true(RetryMayHelp(429, ""));
  assert_false(RetryMayHelp(429, Body(60202, "Max check attempts reached")));
  assert_false(RetryMayHelp(429, Body(60203, "Max send attempts reached")));
  assert_false(RetryMayHelp(503, ""));
  assert_false(RetryMayHelp(400, Body(20429, "x")));
}

static void test_only_twilio_saying_down_or_busy_is_witnessed(void**) {
  // Twilio's own word that it is down or busy: failmode=safe may act on it.
  assert_true(ClassifyTwilioError(kStart, 500, "<html>oops</html>").witnessed());
  assert_true(ClassifyTwilioError(kCheck, 503, Body(20503, "Service unavailable")).witnessed());
  assert_true(ClassifyTwilioError(kMessage, 429, Body(20429, "Too many requests")).witnessed());
  // Anything else is no outage, or not Twilio saying so.
  assert_false(ClassifyTwilioError(kStart, 401, Body(20003, "Authenticate")).witnessed());
  assert_false(ClassifyTwilioError(kCheck, 404, Body(20404, "Not found")).witnessed());
  assert_false(ClassifyTwilioError(kCheck, 429, Body(60202, "Max check attempts reached")).witnessed());
  assert_false(ClassifyTwilioError(kStart, 429, Body(60203, "Max send attempts reached")).witnessed());
  assert_false(ClassifyTwilioError(kMessage, 302, "").witnessed());
  Status interim = ClassifyTwilioError(kStart, 102, "");
  assert_true(interim.Is(Fault::kUnavailable));
  assert_false(interim.witnessed());
  assert_false(ClassifyTwilioError(kStart, 600, "").witnessed());
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_row_of_the_table),
      cmocka_unit_test(test_credentials_error_is_config_fault_whatever_failmode),
      cmocka_unit_test(test_twilio_message_is_quoted_without_phone_numbers),
      cmocka_unit_test(test_short_numbers_in_twilio_message_are_kept),
      cmocka_unit_test(test_twilio_message_is_printable_and_truncated),
      cmocka_unit_test(test_retry_may_help_only_a_plain_429),
      cmocka_unit_test(test_only_twilio_saying_down_or_busy_is_witnessed),
  };
  return cmocka_run_group_tests_name("twilio_errors", tests, nullptr, nullptr);
}
