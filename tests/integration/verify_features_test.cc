// Verify mode's features beyond "send a code, check a code", through real
// Linux-PAM against the stand-in: a verification that names what it
// approves (twilio.amount, twilio.payee, templates, DeviceIp, Tags), and
// custom codes the module makes, checks and reports back (Verify's feedback),
// and codes by email.
// Each test skips itself in messaging mode.
#include <security/pam_appl.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "harness.h"
#include "twilio/totp_factors.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using itest::ConfigOptions;
using itest::CountRecords;
using itest::Dialogue;
using itest::Field;
using itest::Isolated;
using itest::LastRecord;
using itest::LoginLog;
using itest::MakeService;
using itest::Right;
using itest::RunLogin;
using itest::TestEnv;
using itest::Wrong;

namespace {

bool VerifyMode() { return TestEnv().mode == "verify"; }

int ClearFault(void**) {
  itest::SetFault("");
  itest::SetRemoteHost("");
  return 0;
}

void test_a_verification_names_what_is_approved(void**) {
  if (!VerifyMode()) skip();
  ConfigOptions o = Isolated("details", "payer", "+15550100031");
  o.twilio = "amount = \"{service}: {command}\"; payee = \"{user}@{host}\";\n"
             "template_sid = \"HJ0123456789abcdef0123456789abcdef\";\n"
             "template_substitutions = { origin = \"from {rhost}\"; };";
  const std::string service = MakeService("details", o, /*set_items=*/true);
  char host[256] = {};
  gethostname(host, sizeof host - 1);

  itest::SetRemoteHost("198.51.100.23");
  Dialogue d{"+15550100031", {Right()}};
  assert_int_equal(RunLogin(service, "payer", d), PAM_SUCCESS);
  const nlohmann::json sent = LastRecord("verification", "+15550100031");
  assert_string_equal(Field(sent, "amount").c_str(), (service + ": ").c_str());
  assert_string_equal(Field(sent, "payee").c_str(), (std::string("payer@") + host).c_str());
  assert_string_equal(Field(sent, "template_sid").c_str(), "HJ0123456789abcdef0123456789abcdef");
  assert_true(sent["template_substitutions"] == nlohmann::json({{"origin", "from 198.51.100.23"}}));
  assert_string_equal(Field(sent, "device_ip").c_str(), "198.51.100.23");
  assert_true(sent["tags"] == nlohmann::json({{"host", host}, {"service", service}}));

  // A remote host that is a name, not an address, is no DeviceIp (Twilio
  // would refuse the request).
  itest::SetRemoteHost("client.example.net");
  Dialogue named{"+15550100031", {Right()}};
  assert_int_equal(RunLogin(service, "payer", named), PAM_SUCCESS);
  assert_false(LastRecord("verification", "+15550100031").contains("device_ip"));
  itest::SetRemoteHost("");
}

// The module makes the code, Verify delivers it, the module checks it (no
// VerificationCheck ever goes out) and reports the outcome as the
// verification's Status: approved after a right code, canceled when the
// attempts run out.
void test_a_custom_code_is_checked_here_and_reported(void**) {
  if (!VerifyMode()) skip();
  const std::string to = "+15550100032";
  ConfigOptions o = Isolated("custom_code", "custom", to);
  o.twilio = "verify_custom_code = true;";
  o.policy = "code_length = 8;";
  const std::string service = MakeService("custom_code", o);

  Dialogue d{to, {Wrong(), Right()}};
  assert_int_equal(RunLogin(service, "custom", d), PAM_SUCCESS);
  assert_true(d.Showed("Wrong code"));
  const nlohmann::json sent = LastRecord("verification", to);
  assert_true(sent.value("custom_code", false));
  assert_int_equal(Field(sent, "code").size(), 8);  // policy.code_length, not the service's 6
  assert_int_equal(CountRecords("verification_check", to), 0);
  const nlohmann::json approved = LastRecord("verification_update", to);
  assert_string_equal(Field(approved, "verification_status").c_str(), "approved");
  assert_string_equal(Field(approved, "sid").c_str(), Field(sent, "sid").c_str());

  Dialogue used_up{to, {Wrong(), Wrong(), Wrong()}};
  assert_int_equal(RunLogin(service, "custom", used_up), PAM_AUTH_ERR);
  const nlohmann::json canceled = LastRecord("verification_update", to);
  assert_string_equal(Field(canceled, "verification_status").c_str(), "canceled");
  assert_string_equal(Field(canceled, "sid").c_str(), Field(LastRecord("verification", to), "sid").c_str());
  assert_int_equal(CountRecords("verification_check", to), 0);
}

// A service without "Enable Custom Verification Code" refuses CustomCode
// (403 / 60204): a configuration error, never a pass, whatever failmode says,
// and the log says what to turn on.
void test_a_service_without_custom_codes_refuses_even_failsafe(void**) {
  if (!VerifyMode()) skip();
  const std::string to = "+15550100033";
  ConfigOptions o = Isolated("custom_code_off", "nocustom", to);
  o.twilio = "verify_custom_code = true;";
  o.failmode = "safe";
  const std::string service = MakeService("custom_code_off", o);
  itest::SetFault(R"({"custom_code_enabled": false})");
  Dialogue d{to, {Right()}};
  LoginLog log;
  assert_int_equal(itest::RunLoginLogged(service, "nocustom", d, &log), PAM_AUTHINFO_UNAVAIL);
  assert_true(log.Has("Enable Custom Verification Code"));
  assert_true(log.Has("60204"));
}

// Verify's rate limits (twilio.rate_limits), made by `twilio-otp rate-limits
// setup`: two hosts (two state directories) share the per-user cap, which
// Twilio enforces; the send it refuses is a refusal, even under failmode =
// "safe", never an outage that lets the login through.
void test_rate_limits_cap_a_user_across_hosts(void**) {
  if (!VerifyMode()) skip();
  // The stand-in serves every run; each run's user is a key of its own.
  const std::string user = "rate" + TestEnv().backend;
  const std::string to = TestEnv().backend == "ldap" ? "+15550100036" : "+15550100035";
  ConfigOptions o = Isolated("rate_limits_a", user, to);
  o.twilio = "rate_limits = true;";
  o.failmode = "safe";
  o.limits = "resend_cooldown = 0; sends_per_window = 2; send_window = 900;";
  const std::string host_a = MakeService("rate_limits_a", o);
  o.state = "state-rate_limits_b";
  const std::string host_b = MakeService("rate_limits_b", o);
  const std::string setup = itest::RunCli(itest::ConfigPathOf(host_a), "rate-limits setup");
  assert_true(setup.find("pam_twilio_otp_user: 2 per 900 s") != std::string::npos);

  for (const std::string& host : {host_a, host_a}) {
    Dialogue d{to, {Right()}};
    assert_int_equal(RunLogin(host, user, d), PAM_SUCCESS);
  }
  // Host B has sent nothing itself; Twilio counts the user's sends from every host.
  Dialogue refused{to, {Right()}};
  LoginLog log;
  assert_int_equal(itest::RunLoginLogged(host_b, user, refused, &log), PAM_AUTH_ERR);
  assert_true(refused.Showed("Too many codes have been sent for now"));
  assert_true(log.Has("(HTTP 429, Twilio 20429)"));
  bool named = false;
  for (const auto& r : itest::Records()) {
    if (Field(r, "kind") == "verification" && r.contains("rate_limited")) named = true;
  }
  assert_true(named);
  // Idempotent: a second setup changes nothing.
  assert_true(itest::RunCli(itest::ConfigPathOf(host_b), "rate-limits setup").find("created") == std::string::npos);
}

// Email, a channel of its own: the code goes to the record's address, the
// prompt masks it, and the user can still switch to the phone.
void test_a_code_goes_by_email_to_the_users_address(void**) {
  if (!VerifyMode() || TestEnv().backend == "ldap") skip();  // LDAP's email_attribute: unit-tested
  const std::string to = "+15550100034";
  const std::string address = "mailer@example.com";
  ConfigOptions o = Isolated("email", "mailer", to);
  itest::WriteUsers(o.users_file, "mailer " + to + " email - " + address + "\n");
  o.channels = "\"email\", \"sms\"";
  const std::string service = MakeService("email", o);

  Dialogue d{address, {Right()}};
  assert_int_equal(RunLogin(service, "mailer", d), PAM_SUCCESS);
  const nlohmann::json sent = LastRecord("verification", address);
  assert_string_equal(Field(sent, "channel").c_str(), "email");
  assert_true(d.prompts.at(0).starts_with("Code sent by email to m\u2022\u2022\u2022@example.com ("));
  assert_true(d.prompts.at(0).find("'sms' for a text message") != std::string::npos);

  // A service without an email integration: 60217, a configuration error.
  itest::SetFault(R"({"email_integration": false})");
  Dialogue refused{address, {Right()}};
  assert_int_equal(RunLogin(service, "mailer", refused), PAM_AUTHINFO_UNAVAIL);
}

// An authenticator app through Verify: `twilio-otp enroll --totp` for real,
// then logins that type the app's code (checked by a Challenge; nothing is
// sent), a wrong one first, and the SMS fallback by asking for it.
void test_an_authenticator_app_through_verify(void**) {
  if (!VerifyMode() || TestEnv().backend == "ldap") skip();  // LDAP's "totp" channel: unit-tested
  const std::string to = "+15550100037";
  ConfigOptions o = Isolated("totp", "appuser", to);
  o.channels = "\"totp\", \"sms\"";
  const std::string service = MakeService("totp", o);
  if (itest::EnrollAuthenticatorApp(service, "appuser") != 0) {
    std::ifstream out(TestEnv().dir + "/enroll-totp.out");
    fail_msg("enroll --totp failed:\n%s", std::string(std::istreambuf_iterator<char>(out), {}).c_str());
  }
  const nlohmann::json shown =
      nlohmann::json::parse(itest::RunCli(itest::ConfigPathOf(service), "show appuser --json"));
  assert_string_equal(Field(shown, "channel").c_str(), "totp");
  assert_string_equal(Field(shown, "number").c_str(), to.c_str());  // kept: the fallback

  // The enrolment used this window's code: the app's next one logs in.
  const int sends = itest::CountSends(to);
  Dialogue d{to, {itest::Say("000000"), itest::Say(itest::AppCode("appuser", 1))}};
  assert_int_equal(RunLogin(service, "appuser", d), PAM_SUCCESS);
  assert_true(d.prompts.at(0).starts_with("Code from your authenticator app (or 'sms' for a text message)."));
  assert_true(d.Showed("Wrong code"));
  assert_int_equal(itest::CountSends(to), sends);  // nothing sent
  std::vector<std::string> outcomes;
  for (const auto& r : itest::Records()) {
    if (Field(r, "kind") == "challenge" && Field(r, "identity") == twotp::TotpIdentity("appuser")) {
      outcomes.push_back(Field(r, "challenge_status"));
    }
  }
  assert_true(outcomes == (std::vector<std::string>{"pending", "approved"}));

  Dialogue fallback{to, {itest::Say("sms"), Right()}};
  assert_int_equal(RunLogin(service, "appuser", fallback), PAM_SUCCESS);
  assert_int_equal(itest::CountSends(to), sends + 1);
}

}  // namespace

int RunVerifyFeatureTests() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_a_verification_names_what_is_approved, ClearFault),
      cmocka_unit_test_teardown(test_a_custom_code_is_checked_here_and_reported, ClearFault),
      cmocka_unit_test_teardown(test_a_service_without_custom_codes_refuses_even_failsafe, ClearFault),
      cmocka_unit_test_teardown(test_rate_limits_cap_a_user_across_hosts, ClearFault),
      cmocka_unit_test_teardown(test_a_code_goes_by_email_to_the_users_address, ClearFault),
      cmocka_unit_test_teardown(test_an_authenticator_app_through_verify, ClearFault),
  };
  const std::string group = "verify_features_" + TestEnv().mode + (TestEnv().backend == "ldap" ? "_ldap" : "");
  return cmocka_run_group_tests_name(group.c_str(), tests, nullptr, nullptr);
}
