// twilio/verification_details: the fields a verification carries about the
// login, from the config's templates and the login's context.
#include <nlohmann/json.hpp>

#include <string>

#include "config/config.h"
#include "twilio/verification_details.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;
using nlohmann::json;

namespace {

// The value of `name` in `form`; "(absent)" when it isn't there.
std::string FieldOf(const Form& form, const std::string& name) {
  for (const FormField& field : form) {
    if (field.name == name) return field.value.str();
  }
  return "(absent)";
}

TwilioConfig Detailed() {
  TwilioConfig twilio;
  twilio.amount = "{command}";
  twilio.payee = "{user}@{host}";
  twilio.template_sid = "HJ0123456789abcdef0123456789abcdef";
  twilio.template_substitutions = {{"origin", "from {rhost}"}};
  return twilio;
}

}  // namespace

static void test_every_detail_is_filled_from_the_login(void**) {
  const ChallengeContext sudo{"alice", "sudo", "bastion", "203.0.113.7", "/usr/bin/apt update"};
  const Form form = VerificationDetails(Detailed(), sudo);
  assert_string_equal(FieldOf(form, "Amount").c_str(), "/usr/bin/apt update");
  assert_string_equal(FieldOf(form, "Payee").c_str(), "alice@bastion");
  assert_string_equal(FieldOf(form, "TemplateSid").c_str(), "HJ0123456789abcdef0123456789abcdef");
  assert_true(json::parse(FieldOf(form, "TemplateCustomSubstitutions")) == json({{"origin", "from 203.0.113.7"}}));
  assert_string_equal(FieldOf(form, "DeviceIp").c_str(), "203.0.113.7");
  assert_true(json::parse(FieldOf(form, "Tags")) == json({{"host", "bastion"}, {"service", "sudo"}}));
}

static void test_nothing_configured_sends_tags_only(void**) {
  const Form form = VerificationDetails(TwilioConfig{}, ChallengeContext{"bob", "sshd", "web1", "", ""});
  assert_int_equal(form.size(), 1);
  assert_string_equal(form[0].name.c_str(), "Tags");
}

static void test_a_remote_host_name_is_no_device_ip(void**) {
  for (const char* rhost : {"client.example.net", "", "10.0.0.1/8", "fe80::1%eth0", "::ffff:10.1.2.3"}) {
    const Form form = VerificationDetails(TwilioConfig{}, ChallengeContext{"bob", "sshd", "web1", rhost, ""});
    const bool is_address = std::string(rhost) == "::ffff:10.1.2.3";
    assert_string_equal(FieldOf(form, "DeviceIp").c_str(), is_address ? rhost : "(absent)");
  }
}

// What comes from outside is made safe as in a message: no control bytes,
// bounded, and bytes that aren't UTF-8 never make invalid JSON or throw.
static void test_hostile_fields_are_made_safe(void**) {
  const std::string command = "rm -rf /\n\x1b[31m" + std::string(5000, 'x');
  const ChallengeContext hostile{"eve", "sudo\xff", "host\r\nX-Injected: 1", "198.51.100.9", command};
  const Form form = VerificationDetails(Detailed(), hostile);
  const std::string amount = FieldOf(form, "Amount");
  assert_true(amount.find('\n') == std::string::npos && amount.find('\x1b') == std::string::npos);
  assert_true(amount.size() < 600);
  const json tags = json::parse(FieldOf(form, "Tags"));
  assert_true(tags["host"].get<std::string>().find('\n') == std::string::npos);
  assert_true(tags["service"].is_string());
}

static void test_rate_limits_name_the_user_and_host(void**) {
  TwilioConfig twilio;
  twilio.rate_limits = true;
  const Form form = VerificationDetails(twilio, ChallengeContext{"bob", "sshd", "web1", "", ""});
  const json keys = json::parse(FieldOf(form, "RateLimits"));
  assert_int_equal(keys.size(), 3);
  assert_true(keys.contains("pam_twilio_otp_user") && keys.contains("pam_twilio_otp_host"));
  // Off (the default): no RateLimits, which a service without the limits would refuse.
  assert_string_equal(FieldOf(VerificationDetails(TwilioConfig{}, ChallengeContext{"bob", "sshd", "web1", "", ""}),
                              "RateLimits").c_str(), "(absent)");
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_detail_is_filled_from_the_login),
      cmocka_unit_test(test_nothing_configured_sends_tags_only),
      cmocka_unit_test(test_a_remote_host_name_is_no_device_ip),
      cmocka_unit_test(test_hostile_fields_are_made_safe),
      cmocka_unit_test(test_rate_limits_name_the_user_and_host),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
