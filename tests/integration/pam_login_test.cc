// Full logins through real Linux-PAM against the local Twilio stand-in, in
// the mode run.sh names (verify or messaging). Each test uses its own user
// and number so the stand-in's records of one test never answer another.
#include <security/pam_appl.h>
#include <unistd.h>

#include <string>

#include "harness.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using itest::ConfigOptions;
using itest::CountRecords;
using itest::CountSends;
using itest::Field;
using itest::Isolated;
using itest::LastRecord;
using itest::Dialogue;
using itest::MakeService;
using itest::RunLogin;
using itest::Step;
using itest::TestEnv;
using itest::Right;
using itest::Say;
using itest::Wrong;
using itest::kOnlyIgnored;

namespace {

bool VerifyMode() { return TestEnv().mode == "verify"; }



// The users every test may log in as; numbers are unique per test.
const char kUsers[] =
    "# test users\n"
    "right      +15550100001 sms  2026-11-23T19:00:00Z\n"
    "wrongright +15550100002 sms  2026-11-23T19:00:00Z\n"
    "threewrong +15550100003 sms  2026-11-23T19:00:00Z\n"
    "expired    +15550100004 sms  2026-11-23T19:00:00Z\n"
    "resender   +15550100005 sms  2026-11-23T19:00:00Z\n"
    "caller     +15550100006 sms  2026-11-23T19:00:00Z\n"
    "down       +15550100007 sms  2026-11-23T19:00:00Z\n"
    "hang       +15550100008 sms  2026-11-23T19:00:00Z\n"
    "badcreds   +15550100009 sms  2026-11-23T19:00:00Z\n"
    "noconv     +15550100010 sms  2026-11-23T19:00:00Z\n"
    "garbage    +15550100011 sms  2026-11-23T19:00:00Z\n"
    "apikey     +15550100012 sms  2026-11-23T19:00:00Z\n"
    "aborter    +15550100013 sms  2026-11-23T19:00:00Z\n"
    "throttled  +15550100014 sms  2026-11-23T19:00:00Z\n"
    "prefcall   +15550100015 call 2026-11-23T19:00:00Z\n"
    "optedout   +15005550004 sms  2026-11-23T19:00:00Z\n"
    "landline   +15005550009 sms  2026-11-23T19:00:00Z\n"
    "fraudguard +15005550010 sms  2026-11-23T19:00:00Z\n";

int Setup(void**) {
  itest::WriteUsers(itest::UsersFilePath(), kUsers);
  itest::SetFault("");
  itest::ForgetRecords();
  return 0;
}

int ClearFault(void**) {
  itest::SetFault("");
  return 0;
}

void test_right_code_logs_in(void**) {
  const std::string service = MakeService("default", {});
  Dialogue d{"+15550100001", {Right()}};
  assert_int_equal(RunLogin(service, "right", d), PAM_SUCCESS);
  assert_int_equal(CountSends("+15550100001"), 1);
  // The prompt says where the code went, masked, and how to ask for another.
  assert_true(d.Showed("Code sent by SMS to +1 "));
  assert_true(d.Showed("0001"));
  assert_false(d.Showed("5550100001"));
  assert_true(d.Showed("'resend'"));
  assert_true(d.Showed("'call'"));
}

void test_wrong_then_right_code_logs_in(void**) {
  const std::string service = MakeService("default", {});
  Dialogue d{"+15550100002", {Wrong(), Right()}};
  assert_int_equal(RunLogin(service, "wrongright", d), PAM_SUCCESS);
  assert_true(d.Showed("Wrong code"));
}

void test_attempts_used_up_deny_and_cancel_the_verification(void**) {
  const std::string service = MakeService("default", {});
  Dialogue d{"+15550100003", {Wrong(), Wrong(), Wrong(), Right()}};
  assert_int_equal(RunLogin(service, "threewrong", d), PAM_AUTH_ERR);
  assert_int_equal(d.next, 3);  // the fourth answer was never asked for
  if (VerifyMode()) assert_int_equal(CountRecords("verification_update", "+15550100003"), 1);
}

void test_expired_code_is_refused_and_resend_recovers(void**) {
  if (!VerifyMode()) {
    // Messaging-mode expiry runs on the module's own clock: proved on a fake
    // clock in tests/unit/test_challenge.cc, not by sleeping here.
    skip();
  }
  const std::string service = MakeService("default", {});
  itest::SetFault(R"({"fault":"twilio_error","error_http":404,"error_code":20404,"only":"verification_check","times":1})");
  Dialogue d{"+15550100004", {Right(), Say("resend"), Right()}};
  assert_int_equal(RunLogin(service, "expired", d), PAM_SUCCESS);
  assert_true(d.Showed("expired"));
}

void test_resend_sends_a_second_code(void**) {
  const std::string service = MakeService("default", {});
  Dialogue d{"+15550100005", {Say("resend"), Right()}};
  assert_int_equal(RunLogin(service, "resender", d), PAM_SUCCESS);
  assert_int_equal(CountSends("+15550100005"), 2);
}

void test_call_switches_to_a_voice_call(void**) {
  const std::string service = MakeService("default", {});
  Dialogue d{"+15550100006", {Say("call"), Right()}};
  assert_int_equal(RunLogin(service, "caller", d), PAM_SUCCESS);
  if (VerifyMode()) {
    bool called = false;
    for (const auto& r : itest::Records()) {
      if (itest::Field(r, "to") == "+15550100006" && itest::Field(r, "channel") == "call") called = true;
    }
    assert_true(called);
  } else {
    assert_int_equal(CountRecords("call", "+15550100006"), 1);
  }
  assert_true(d.Showed("Code sent by voice call"));
}

void test_preferred_channel_is_used_first(void**) {
  const std::string service = MakeService("default", {});
  Dialogue d{"+15550100015", {Right()}};
  assert_int_equal(RunLogin(service, "prefcall", d), PAM_SUCCESS);
  assert_true(d.Showed("Code sent by voice call"));
  assert_true(d.Showed("'sms'"));
}

void test_voice_is_refused_when_not_allowed(void**) {
  ConfigOptions sms_only;
  sms_only.channels = "\"sms\"";
  const std::string service = MakeService("sms_only", sms_only);
  Dialogue d{"+15550100001", {Say("call"), Right()}};
  assert_int_equal(RunLogin(service, "right", d), PAM_SUCCESS);
  assert_false(d.Showed("'call'"));
  assert_true(d.Showed("can't be sent by voice call"));
}

void test_unenrolled_user_is_denied_without_a_send(void**) {
  const std::string service = MakeService("default", {});
  const size_t before = itest::Records().size();
  Dialogue d{"", {Right()}};
  assert_int_equal(RunLogin(service, "nobody", d), PAM_AUTH_ERR);
  assert_int_equal(itest::Records().size(), before);
  assert_true(d.Showed("no phone number"));
}

void test_unenrolled_user_is_ignored_under_allow(void**) {
  ConfigOptions allow;
  allow.unenrolled = "allow";
  const std::string service = MakeService("allow", allow);
  Dialogue d{"", {}};
  assert_int_equal(RunLogin(service, "nobody", d), kOnlyIgnored);
  assert_true(d.prompts.empty());
}

void test_unreadable_users_file_refuses_even_under_allow(void**) {
  if (TestEnv().backend != "file") skip();  // its ldap counterpart is the next test
  ConfigOptions allow;
  allow.unenrolled = "allow";
  allow.users_file = TestEnv().dir + "/no-such-users-file";
  const std::string service = MakeService("missing_users", allow);
  Dialogue d{"", {}};
  assert_int_equal(RunLogin(service, "nobody", d), PAM_AUTHINFO_UNAVAIL);

  // A users file others may write is not believed either.
  const std::string open_file = TestEnv().dir + "/users-world-writable";
  itest::WriteFile(open_file, kUsers, 0666);
  allow.users_file = open_file;
  const std::string service2 = MakeService("open_users", allow);
  Dialogue d2{"", {}};
  assert_int_equal(RunLogin(service2, "nobody", d2), PAM_AUTHINFO_UNAVAIL);
}

// LDAP: a directory nobody can contact is an outage nothing witnesses (the
// caller could have starved or stopped its own process), so it is refused
// under failmode=safe too; a dead first server only fails over.
void test_directory_nobody_can_contact_refuses_under_both_failmodes(void**) {
  if (TestEnv().backend != "ldap") skip();
  const std::string dead = "\"ldaps://127.0.0.1:1\"";
  const int sent_before = CountSends("+15550100001");
  ConfigOptions secure;
  secure.ldap_uris = dead;
  Dialogue d{"+15550100001", {Right()}};
  assert_int_equal(RunLogin(MakeService("ldap_down_secure", secure), "right", d), PAM_AUTHINFO_UNAVAIL);
  assert_true(d.prompts.empty());
  ConfigOptions safe = secure;
  safe.failmode = "safe";
  Dialogue d2{"+15550100001", {Right()}};
  assert_int_equal(RunLogin(MakeService("ldap_down_safe", safe), "right", d2), PAM_AUTHINFO_UNAVAIL);
  assert_true(d2.prompts.empty());
  assert_int_equal(CountSends("+15550100001"), sent_before);
  ConfigOptions failover;
  failover.ldap_uris = dead + ", \"" + TestEnv().ldap.uri + "\"";
  Dialogue d3{"+15550100001", {Right()}};
  assert_int_equal(RunLogin(MakeService("ldap_failover", failover), "right", d3), PAM_SUCCESS);
}

void test_bad_config_refuses_the_login(void**) {
  const std::string service =
      itest::MakeServiceWithConfigText("bad_config", "policy = { colour = \"blue\"; };\n");
  Dialogue d{"+15550100001", {Right()}};
  assert_int_equal(RunLogin(service, "right", d), PAM_AUTHINFO_UNAVAIL);
  assert_true(d.prompts.empty());
}

void test_twilio_down_failsecure_refuses(void**) {
  const std::string service = MakeService("default", {});
  itest::SetFault(R"({"fault":"http503"})");
  Dialogue d{"+15550100007", {Right()}};
  assert_int_equal(RunLogin(service, "down", d), PAM_AUTHINFO_UNAVAIL);
  assert_true(d.prompts.empty());
}

void test_twilio_down_failsafe_lets_through_with_ignore(void**) {
  ConfigOptions safe;
  safe.failmode = "safe";
  const std::string service = MakeService("safe", safe);
  itest::SetFault(R"({"fault":"http500"})");
  Dialogue d{"+15550100007", {Right()}};
  assert_int_equal(RunLogin(service, "down", d), kOnlyIgnored);
}

void test_twilio_that_never_answers_is_bounded_by_the_timeout(void**) {
  ConfigOptions quick;
  quick.timeout = 1;
  quick.total_timeout = 2;
  const std::string service = MakeService("quick", quick);
  itest::SetFault(R"({"fault":"hang"})");
  Dialogue d{"+15550100008", {Right()}};
  assert_int_equal(RunLogin(service, "hang", d), PAM_AUTHINFO_UNAVAIL);
}

void test_bad_credentials_refuse_even_under_failsafe(void**) {
  const std::string wrong_token = TestEnv().dir + "/wrong-token";
  itest::WriteFile(wrong_token, "0123456789abcdef0123456789abcdef\n", 0600);
  ConfigOptions safe;
  safe.failmode = "safe";
  safe.token_file = wrong_token;
  const std::string service = MakeService("bad_token", safe);
  Dialogue d{"+15550100009", {Right()}};
  assert_int_equal(RunLogin(service, "badcreds", d), PAM_AUTHINFO_UNAVAIL);
}

void test_opted_out_or_blocked_number_is_denied_with_advice(void**) {
  ConfigOptions safe;  // even fail-open must not open for a blocked number
  safe.failmode = "safe";
  const std::string service = MakeService("safe", safe);
  const std::string user = VerifyMode() ? "fraudguard" : "optedout";
  Dialogue d{"", {Right()}};
  assert_int_equal(RunLogin(service, user, d), PAM_AUTH_ERR);
  assert_true(d.Showed(VerifyMode() ? "voice call" : "START"));
}

void test_no_conversation_sends_nothing(void**) {
  const std::string service = MakeService("default", {});
  Dialogue d{"+15550100010", {}};
  d.fail_everything = true;
  assert_int_equal(RunLogin(service, "noconv", d), PAM_CONV_ERR);
  assert_int_equal(CountSends("+15550100010"), 0);
}

void test_garbage_answers_never_crash_and_never_spend_checks(void**) {
  const std::string service = MakeService("default", {});
  Dialogue d{"+15550100011", {Say(std::string(10000, 'x')), Say("12ab\x01\xff"), Right()}};
  assert_int_equal(RunLogin(service, "garbage", d), PAM_SUCCESS);
  if (VerifyMode()) assert_int_equal(CountRecords("verification_check", "+15550100011"), 1);
}

void test_api_key_credentials_work(void**) {
  ConfigOptions key;
  key.use_api_key = true;
  const std::string service = MakeService("api_key", key);
  Dialogue d{"+15550100012", {Right()}};
  assert_int_equal(RunLogin(service, "apikey", d), PAM_SUCCESS);
}

void test_abandoned_login_cancels_the_verification(void**) {
  const std::string service = MakeService("default", {});
  Dialogue d{"+15550100013", {{Step::kFail, ""}}};
  assert_int_equal(RunLogin(service, "aborter", d), PAM_CONV_ERR);
  assert_int_equal(CountSends("+15550100013"), 1);
  if (VerifyMode()) assert_int_equal(CountRecords("verification_update", "+15550100013"), 1);
}

void test_one_rate_limit_reply_is_retried(void**) {
  const std::string service = MakeService("default", {});
  itest::SetFault(R"({"fault":"http429","retry_after":1,"times":1})");
  Dialogue d{"+15550100014", {Right()}};
  assert_int_equal(RunLogin(service, "throttled", d), PAM_SUCCESS);
}

}  // namespace

// What a verification says about the login besides the number
// (twilio/verification_details.h): what is approved and for whom (PSD2
// dynamic linking), the message template and its variables, the device's
// address when PAM_RHOST is one, and tags naming the host and the service.
// Twilio says the number can't take SMS (verify 60205, messaging 21614):
// the login calls it instead, and says so.
void test_a_landline_gets_a_call_instead(void**) {
  const std::string service = MakeService("default", {});
  Dialogue d{"+15005550009", {Right()}};
  assert_int_equal(RunLogin(service, "landline", d), PAM_SUCCESS);
  assert_true(d.Showed("This number can't receive SMS; the code was sent by voice call instead."));
  assert_true(d.prompts.at(0).starts_with("Code sent by voice call"));
  assert_int_equal(CountSends("+15005550009"), 1);  // the refused SMS is no send
}

// twilio.region: the login goes to {product}.dublin.ie1.twilio.com. The
// stand-in, as the config's CONNECT proxy, sees the regional host name, and
// TLS verifies the stand-in's certificate for that name.
void test_a_regional_account_uses_its_regions_hosts(void**) {
  const std::string to = "+15550100035";
  ConfigOptions o = Isolated("regional", "regional", to);
  o.write_urls = false;
  const std::string& url = TestEnv().url;
  o.twilio = "region = \"ie1\"; proxy = \"http://127.0.0.1:" + url.substr(url.rfind(':') + 1) + "\";";
  const std::string service = MakeService("regional", o);
  Dialogue d{to, {Right()}};
  assert_int_equal(RunLogin(service, "regional", d), PAM_SUCCESS);
  const std::string host = (VerifyMode() ? "verify" : "api") + std::string(".dublin.ie1.twilio.com:443");
  int tunnels = 0;
  for (const auto& r : itest::Records()) {
    if (Field(r, "kind") == "connect") {
      assert_string_equal(Field(r, "target").c_str(), host.c_str());
      ++tunnels;
    }
  }
  assert_int_equal(tunnels, 1);  // the login's requests share one connection
}

int RunLoginTests() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_right_code_logs_in, ClearFault),
      cmocka_unit_test_teardown(test_wrong_then_right_code_logs_in, ClearFault),
      cmocka_unit_test_teardown(test_attempts_used_up_deny_and_cancel_the_verification, ClearFault),
      cmocka_unit_test_teardown(test_expired_code_is_refused_and_resend_recovers, ClearFault),
      cmocka_unit_test_teardown(test_resend_sends_a_second_code, ClearFault),
      cmocka_unit_test_teardown(test_call_switches_to_a_voice_call, ClearFault),
      cmocka_unit_test_teardown(test_a_landline_gets_a_call_instead, ClearFault),
      cmocka_unit_test_teardown(test_a_regional_account_uses_its_regions_hosts, ClearFault),
      cmocka_unit_test_teardown(test_preferred_channel_is_used_first, ClearFault),
      cmocka_unit_test_teardown(test_voice_is_refused_when_not_allowed, ClearFault),
      cmocka_unit_test_teardown(test_unenrolled_user_is_denied_without_a_send, ClearFault),
      cmocka_unit_test_teardown(test_unenrolled_user_is_ignored_under_allow, ClearFault),
      cmocka_unit_test_teardown(test_unreadable_users_file_refuses_even_under_allow, ClearFault),
      cmocka_unit_test_teardown(test_directory_nobody_can_contact_refuses_under_both_failmodes, ClearFault),
      cmocka_unit_test_teardown(test_bad_config_refuses_the_login, ClearFault),
      cmocka_unit_test_teardown(test_twilio_down_failsecure_refuses, ClearFault),
      cmocka_unit_test_teardown(test_twilio_down_failsafe_lets_through_with_ignore, ClearFault),
      cmocka_unit_test_teardown(test_twilio_that_never_answers_is_bounded_by_the_timeout, ClearFault),
      cmocka_unit_test_teardown(test_bad_credentials_refuse_even_under_failsafe, ClearFault),
      cmocka_unit_test_teardown(test_opted_out_or_blocked_number_is_denied_with_advice, ClearFault),
      cmocka_unit_test_teardown(test_no_conversation_sends_nothing, ClearFault),
      cmocka_unit_test_teardown(test_garbage_answers_never_crash_and_never_spend_checks, ClearFault),
      cmocka_unit_test_teardown(test_api_key_credentials_work, ClearFault),
      cmocka_unit_test_teardown(test_abandoned_login_cancels_the_verification, ClearFault),
      cmocka_unit_test_teardown(test_one_rate_limit_reply_is_retried, ClearFault),
  };
  const std::string group = "pam_login_" + TestEnv().mode + (TestEnv().backend == "ldap" ? "_ldap" : "");
  return cmocka_run_group_tests_name(group.c_str(), tests, Setup, nullptr);
}
