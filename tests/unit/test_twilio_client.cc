// twilio/twilio_client: TwilioClient over a scripted transport: what each call
// sends, how replies become typed results, and the one backed-off retry of a
// 429, proved on a fake clock.
#include <chrono>
#include <cstring>
#include <string>

#include "fake_clock.h"
#include "scripted_transport.h"
#include "twilio/twilio_client.h"
#include "twilio_test_ids.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;
using std::chrono::milliseconds;
using namespace twotp_test;  // the test SIDs and number

namespace {


const std::string kStarted =
    std::string(R"({"sid":")") + kVerification + R"(","status":"pending","channel":"sms","to":"+15005550006"})";

std::string CheckReply(const std::string& status) {
  return std::string(R"({"sid":")") + kVerification + R"(","status":")" + status + R"(","valid":)" +
         (status == "approved" ? "true" : "false") + "}";
}

TwilioConfig Config() {
  TwilioConfig twilio;
  twilio.account_sid = kAccount;
  twilio.verify_service_sid = kService;
  twilio.verify_url = "https://verify.example//";  // trailing slashes are dropped
  twilio.api_url = "https://api.example/";
  twilio.from = "+15005550001";
  return twilio;
}

// A client wired to a scripted transport and a fake clock.
struct Rig {
  TwilioConfig twilio = Config();
  ScriptedTransport transport;
  FakeClock clock;
  TwilioClient client{twilio, transport, clock};

  Result<CheckOutcome> Check(const char* code = "123456") {
    return client.CheckVerification(kVerification, Secret(code));
  }
};

const std::string kVerifyBase = std::string("https://verify.example/v2/Services/") + kService;
const std::string kAccountBase = std::string("https://api.example/2010-04-01/Accounts/") + kAccount;

}  // namespace

static void test_start_sends_to_and_channel_without_locale_when_not_configured(void**) {
  Rig rig;
  rig.transport.Reply(201, kStarted);
  Result<Verification> started = rig.client.StartVerification(kTo, Channel::kSms);
  assert_true(started.ok());
  assert_string_equal(started->sid.c_str(), kVerification);
  assert_string_equal(started->status.c_str(), "pending");
  assert_int_equal(rig.transport.requests.size(), 1);
  const auto& sent = rig.transport.requests[0];
  assert_string_equal(sent.url.c_str(), (kVerifyBase + "/Verifications").c_str());
  assert_string_equal(sent["To"].c_str(), kTo);
  assert_string_equal(sent["Channel"].c_str(), "sms");
  assert_false(sent.Has("Locale"));
  assert_false(sent.Has("CustomFriendlyName"));
}

static void test_start_sends_locale_and_friendly_name_when_configured(void**) {
  Rig rig;
  rig.twilio.locale = "pt-BR";
  rig.twilio.friendly_name = "bastion";
  rig.transport.Reply(201, kStarted);
  Result<Verification> started = rig.client.StartVerification(kTo, Channel::kCall);
  assert_true(started.ok());
  assert_true(started->channel == Channel::kCall);
  const auto& sent = rig.transport.requests[0];
  assert_string_equal(sent["Channel"].c_str(), "call");
  assert_string_equal(sent["Locale"].c_str(), "pt-BR");
  assert_string_equal(sent["CustomFriendlyName"].c_str(), "bastion");
}

static void test_start_names_whatsapp_channel(void**) {
  Rig rig;
  rig.transport.Reply(201, kStarted);
  assert_true(rig.client.StartVerification(kTo, Channel::kWhatsapp).ok());
  assert_string_equal(rig.transport.requests[0]["Channel"].c_str(), "whatsapp");
}

static void test_start_reply_without_valid_sid_is_unavailable(void**) {
  for (const char* body : {"", "<html>", R"({"status":"pending"})", R"({"sid":"VE/../x","status":"pending"})",
                           R"({"sid":"VE0123456789abcdef0123456789abcdef"})"}) {
    Rig rig;
    rig.transport.Reply(201, body);
    Result<Verification> started = rig.client.StartVerification(kTo, Channel::kSms);
    assert_false(started.ok());
    assert_true(started.status().Is(Fault::kUnavailable));
    assert_non_null(strstr(started.status().message().c_str(), "garbage reply"));
  }
}

static void test_check_sends_sid_and_code_and_approves(void**) {
  Rig rig;
  rig.transport.Reply(200, CheckReply("approved"));
  Result<CheckOutcome> checked = rig.Check("918273");
  assert_true(checked.ok());
  assert_true(checked.value() == CheckOutcome::kApproved);
  const auto& sent = rig.transport.requests[0];
  assert_string_equal(sent.url.c_str(), (kVerifyBase + "/VerificationCheck").c_str());
  assert_string_equal(sent["VerificationSid"].c_str(), kVerification);
  assert_string_equal(sent["Code"].c_str(), "918273");
}

static void test_check_pending_means_wrong_code(void**) {
  Rig rig;
  rig.transport.Reply(200, CheckReply("pending"));
  Result<CheckOutcome> checked = rig.Check();
  assert_true(checked.ok());
  assert_true(checked.value() == CheckOutcome::kWrongCode);
}

static void test_check_any_other_status_means_code_dead(void**) {
  for (const char* status : {"canceled", "max_attempts_reached", "expired", "deleted", "failed"}) {
    Rig rig;
    rig.transport.Reply(200, CheckReply(status));
    Result<CheckOutcome> checked = rig.Check();
    assert_false(checked.ok());
    assert_true(checked.status().Is(Fault::kCodeDead));
    assert_non_null(strstr(checked.status().message().c_str(), status));
  }
}

static void test_check_404_means_code_dead(void**) {
  Rig rig;
  rig.transport.Reply(404, R"({"code":20404,"message":"The requested resource was not found","status":404})");
  Result<CheckOutcome> checked = rig.Check();
  assert_false(checked.ok());
  assert_true(checked.status().Is(Fault::kCodeDead));
  assert_int_equal(checked.status().twilio_code(), 20404);
}

static void test_garbage_reply_to_check_never_approves(void**) {
  const std::string other = R"({"sid":"VEffffffffffffffffffffffffffffffff","status":"approved","valid":true})";
  for (const std::string& body :
       {std::string(""), std::string("approved"), std::string("[\"approved\"]"), std::string(R"({"valid":true})"),
        std::string(R"({"status":"approved","valid":true})"),
        std::string(R"({"status":true})"), other,
        std::string(R"({"status":"approved","valid":false})"), std::string(R"({"status":"approved","valid":"yes"})")}) {
    Rig rig;
    rig.transport.Reply(200, body);
    Result<CheckOutcome> checked = rig.Check();
    assert_false(checked.ok());
    // kRejected, not kUnavailable: failmode=safe must not turn this into a pass.
    assert_true(checked.status().Is(Fault::kRejected));
  }
}

static void test_check_is_not_retried_after_5xx_or_timeout(void**) {
  Rig rig;
  rig.transport.Reply(503, "");
  rig.transport.Fail(Status::Unavailable("HTTPS request to verify.example failed: Timeout was reached"));
  Result<CheckOutcome> first = rig.Check();
  assert_true(first.status().Is(Fault::kUnavailable));
  Result<CheckOutcome> second = rig.Check();
  assert_true(second.status().Is(Fault::kUnavailable));
  assert_non_null(strstr(second.status().message().c_str(), "Twilio verification check: HTTPS request"));
  assert_int_equal(rig.transport.requests.size(), 2);  // one each: Twilio may have spent the attempt
  assert_true(rig.clock.sleeps().empty());
}

static void test_check_429_is_retried_once(void**) {
  Rig rig;
  rig.transport.Reply(429, R"({"code":20429,"message":"Too many requests"})");
  rig.transport.Reply(200, CheckReply("approved"));
  Result<CheckOutcome> checked = rig.Check();
  assert_true(checked.ok());
  assert_int_equal(rig.transport.requests.size(), 2);
}

static void test_credentials_error_is_config_fault_whatever_failmode(void**) {
  Rig rig;
  rig.transport.Reply(401, R"({"code":20003,"message":"Authenticate","status":401})");
  Result<CheckOutcome> checked = rig.Check();
  assert_true(checked.status().Is(Fault::kConfig));
  assert_int_equal(checked.status().http_status(), 401);
}

static void test_cancel_posts_status_canceled_to_the_verification(void**) {
  Rig rig;
  rig.transport.Reply(200, CheckReply("canceled"));
  assert_true(rig.client.CancelVerification(kVerification).ok());
  const auto& sent = rig.transport.requests[0];
  assert_string_equal(sent.url.c_str(), (kVerifyBase + "/Verifications/" + kVerification).c_str());
  assert_string_equal(sent["Status"].c_str(), "canceled");
  assert_int_equal(sent.names.size(), 1);
}

static void test_cancel_refuses_malformed_sid_without_a_request(void**) {
  Rig rig;
  Status status = rig.client.CancelVerification("VE../../Accounts");
  assert_true(status.Is(Fault::kBadInput));
  assert_true(rig.transport.requests.empty());
}

static void test_message_goes_through_messaging_service_when_set(void**) {
  Rig rig;
  rig.twilio.messaging_service_sid = "MG0123456789abcdef0123456789abcdef";
  rig.transport.Reply(201, R"({"sid":"SM0123456789abcdef0123456789abcdef","body":"123456 is your code"})");
  Result<std::string> sent = rig.client.SendMessage(kTo, Secret("123456 is your code"));
  assert_true(sent.ok());
  assert_string_equal(sent.value().c_str(), "SM0123456789abcdef0123456789abcdef");
  const auto& request = rig.transport.requests[0];
  assert_string_equal(request.url.c_str(), (kAccountBase + "/Messages.json").c_str());
  assert_string_equal(request["Body"].c_str(), "123456 is your code");
  assert_string_equal(request["MessagingServiceSid"].c_str(), rig.twilio.messaging_service_sid.c_str());
  assert_false(request.Has("From"));
}

static void test_message_comes_from_number_without_messaging_service(void**) {
  Rig rig;
  rig.transport.Reply(201, R"({"sid":"MM0123456789abcdef0123456789abcdef"})");
  assert_true(rig.client.SendMessage(kTo, Secret("hi")).ok());
  const auto& request = rig.transport.requests[0];
  assert_string_equal(request["From"].c_str(), "+15005550001");
  assert_string_equal(request["To"].c_str(), kTo);
  assert_false(request.Has("MessagingServiceSid"));
}

static void test_message_without_sender_is_config_fault(void**) {
  Rig rig;
  rig.twilio.from.clear();
  assert_true(rig.client.SendMessage(kTo, Secret("hi")).status().Is(Fault::kConfig));
  assert_true(rig.transport.requests.empty());
}

static void test_call_says_escaped_text_twice_from_number(void**) {
  Rig rig;
  rig.transport.Reply(201, R"({"sid":"CA0123456789abcdef0123456789abcdef"})");
  Result<std::string> placed = rig.client.PlaceCall(kTo, Secret("1, 2 <&> \"3\"\n"));
  assert_true(placed.ok());
  const auto& request = rig.transport.requests[0];
  assert_string_equal(request.url.c_str(), (kAccountBase + "/Calls.json").c_str());
  assert_string_equal(request["From"].c_str(), "+15005550001");
  assert_string_equal(request["Twiml"].c_str(),
                      "<Response><Say loop=\"2\">1, 2 &lt;&amp;&gt; &quot;3&quot; </Say></Response>");
}

static void test_call_without_from_is_config_fault(void**) {
  Rig rig;
  rig.twilio.from.clear();
  rig.twilio.messaging_service_sid = "MG0123456789abcdef0123456789abcdef";
  assert_true(rig.client.PlaceCall(kTo, Secret("1 2 3")).status().Is(Fault::kConfig));
  assert_true(rig.transport.requests.empty());
}

static void test_429_then_success_retries_once_after_one_second(void**) {
  Rig rig;
  rig.transport.Reply(429, R"({"code":20429,"message":"Too many requests"})");
  rig.transport.Reply(201, kStarted);
  assert_true(rig.client.StartVerification(kTo, Channel::kSms).ok());
  assert_int_equal(rig.transport.requests.size(), 2);
  assert_int_equal(rig.clock.sleeps().size(), 1);
  assert_int_equal(rig.clock.sleeps()[0].count(), 1000);
  assert_int_equal(rig.transport.spent.count(), 1000);  // the sleep counts against the deadline
}

static void test_429_retry_waits_what_retry_after_asks(void**) {
  Rig rig;
  rig.transport.Reply(429, "", "2");
  rig.transport.Reply(201, kStarted);
  assert_true(rig.client.StartVerification(kTo, Channel::kSms).ok());
  assert_int_equal(rig.clock.sleeps().at(0).count(), 2000);
}

// The service's rate limits (or Verify's own guard) refuse the start: a
// refused send, never an outage failmode=safe would let through.
static void test_429_twice_on_a_start_is_a_refused_send(void**) {
  Rig rig;
  rig.transport.Reply(429, R"({"code":20429})");
  rig.transport.Reply(429, R"({"code":20429})");
  rig.transport.Reply(201, kStarted);
  Result<Verification> started = rig.client.StartVerification(kTo, Channel::kSms);
  assert_true(started.status().Is(Fault::kRejected));
  assert_false(started.status().witnessed());
  assert_true(started.status().user_message().has_value());
  assert_int_equal(started.status().http_status(), 429);
  assert_int_equal(rig.transport.requests.size(), 2);
  assert_int_equal(rig.clock.sleeps().size(), 1);
}

static void test_retry_after_beyond_budget_does_not_sleep(void**) {
  Rig rig;
  rig.transport.budget = milliseconds(1500);
  rig.transport.Reply(429, "", "2");
  rig.transport.Reply(201, kStarted);
  assert_true(rig.client.StartVerification(kTo, Channel::kSms).status().Is(Fault::kRejected));
  assert_int_equal(rig.transport.requests.size(), 1);
  assert_true(rig.clock.sleeps().empty());
}

static void test_retry_after_beyond_two_seconds_does_not_sleep(void**) {
  Rig rig;
  rig.transport.Reply(429, "", "30");
  rig.transport.Reply(201, kStarted);
  assert_true(rig.client.StartVerification(kTo, Channel::kSms).status().Is(Fault::kRejected));
  assert_true(rig.clock.sleeps().empty());
}

static void test_too_many_sends_is_not_retried_and_says_wait(void**) {
  Rig rig;
  rig.transport.Reply(429, R"({"code":60203,"message":"Max send attempts reached"})");
  rig.transport.Reply(201, kStarted);
  Result<Verification> started = rig.client.StartVerification(kTo, Channel::kSms);
  assert_true(started.status().Is(Fault::kRejected));
  assert_true(started.status().user_message().has_value());
  assert_int_equal(rig.transport.requests.size(), 1);
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_start_sends_to_and_channel_without_locale_when_not_configured),
      cmocka_unit_test(test_start_sends_locale_and_friendly_name_when_configured),
      cmocka_unit_test(test_start_names_whatsapp_channel),
      cmocka_unit_test(test_start_reply_without_valid_sid_is_unavailable),
      cmocka_unit_test(test_check_sends_sid_and_code_and_approves),
      cmocka_unit_test(test_check_pending_means_wrong_code),
      cmocka_unit_test(test_check_any_other_status_means_code_dead),
      cmocka_unit_test(test_check_404_means_code_dead),
      cmocka_unit_test(test_garbage_reply_to_check_never_approves),
      cmocka_unit_test(test_check_is_not_retried_after_5xx_or_timeout),
      cmocka_unit_test(test_check_429_is_retried_once),
      cmocka_unit_test(test_credentials_error_is_config_fault_whatever_failmode),
      cmocka_unit_test(test_cancel_posts_status_canceled_to_the_verification),
      cmocka_unit_test(test_cancel_refuses_malformed_sid_without_a_request),
      cmocka_unit_test(test_message_goes_through_messaging_service_when_set),
      cmocka_unit_test(test_message_comes_from_number_without_messaging_service),
      cmocka_unit_test(test_message_without_sender_is_config_fault),
      cmocka_unit_test(test_call_says_escaped_text_twice_from_number),
      cmocka_unit_test(test_call_without_from_is_config_fault),
      cmocka_unit_test(test_429_then_success_retries_once_after_one_second),
      cmocka_unit_test(test_429_retry_waits_what_retry_after_asks),
      cmocka_unit_test(test_429_twice_on_a_start_is_a_refused_send),
      cmocka_unit_test(test_retry_after_beyond_budget_does_not_sleep),
      cmocka_unit_test(test_retry_after_beyond_two_seconds_does_not_sleep),
      cmocka_unit_test(test_too_many_sends_is_not_retried_and_says_wait),
  };
  return cmocka_run_group_tests_name("twilio_client", tests, nullptr, nullptr);
}
