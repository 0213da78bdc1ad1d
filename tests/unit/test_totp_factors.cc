// twilio/totp_factors: Verify's TOTP factors as the module uses them: the
// requests, what each reply is read as, and the identity of a user.
#include <string>

#include "base/clock.h"
#include "twilio/totp_factors.h"
#include "scripted_transport.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

namespace {

constexpr char kFactor[] = "YF0123456789abcdef0123456789abcdef";
const std::string kEntity = "https://verify.example/v2/Services/VA0123456789abcdef0123456789abcdef/Entities/";

struct Rig {
  Rig() {
    twilio.verify_url = "https://verify.example";
    twilio.verify_service_sid = "VA0123456789abcdef0123456789abcdef";
  }
  TwilioConfig twilio;
  ScriptedTransport transport;
  SystemClock clock;
  TwilioClient client{twilio, transport, clock};
  TotpFactors factors{client};
};

void test_the_identity_is_a_stable_hash_of_the_name(void**) {
  const std::string alice = TotpIdentity("alice");
  assert_string_equal(alice.c_str(), TotpIdentity("alice").c_str());
  assert_string_not_equal(alice.c_str(), TotpIdentity("alicf").c_str());
  assert_int_equal(alice.size(), 9 + 32);
  assert_true(alice.starts_with("pam-totp-"));
  assert_true(alice.find("alice") == std::string::npos);  // no personal data at Twilio
  assert_true(alice.find_first_not_of("pam-totp0123456789abcdef") == std::string::npos);
}

void test_create_reads_the_sid_and_uri_and_keeps_no_seed(void**) {
  Rig rig;
  const std::string uri = "otpauth://totp/pam_twilio_otp:alice?secret=JBSWY3DPEHPK3PXP&issuer=pam_twilio_otp";
  rig.transport.Reply(201, std::string(R"({"sid":")") + kFactor + R"(","status":"unverified","binding":{"secret":)"
                               R"("JBSWY3DPEHPK3PXP","uri":")" + uri + R"("}})");
  Result<NewTotpFactor> factor = rig.factors.Create("pam-totp-00", "alice");
  assert_true(factor.ok());
  assert_string_equal(factor->sid.c_str(), kFactor);
  assert_string_equal(factor->uri.str().c_str(), uri.c_str());
  const auto& sent = rig.transport.requests.at(0);
  assert_string_equal(sent.url.c_str(), (kEntity + "pam-totp-00/Factors").c_str());
  assert_string_equal(sent["FactorType"].c_str(), "totp");
  assert_string_equal(sent["FriendlyName"].c_str(), "alice");

  rig.transport.Reply(201, std::string(R"({"sid":")") + kFactor + R"(","binding":{"uri":"https://x"}})");
  assert_true(rig.factors.Create("pam-totp-00", "alice").status().Is(Fault::kUnavailable));
  rig.transport.Reply(201, R"({"sid":"XX1","binding":{"uri":"otpauth://totp/a"}})");
  assert_true(rig.factors.Create("pam-totp-00", "alice").status().Is(Fault::kUnavailable));
}

void test_verify_list_and_delete(void**) {
  Rig rig;
  rig.transport.Reply(200, R"({"status":"verified"})");
  rig.transport.Reply(200, R"({"status":"unverified"})");
  assert_true(rig.factors.Verify("pam-totp-00", kFactor, Secret("123456")).value());
  assert_false(rig.factors.Verify("pam-totp-00", kFactor, Secret("654321")).value());
  assert_string_equal(rig.transport.requests.at(0)["AuthPayload"].c_str(), "123456");
  assert_true(rig.transport.requests.at(0).url.ends_with(std::string("/Factors/") + kFactor));

  rig.transport.Reply(200, std::string(R"({"factors":[{"sid":")") + kFactor +
                               R"(","factor_type":"totp","status":"verified"},)"
                               R"({"sid":"YF0123456789abcdef0123456789abcdee","factor_type":"totp","status":"unverified"},)"
                               R"({"sid":"YF0123456789abcdef0123456789abcded","factor_type":"push","status":"verified"}],)"
                               R"("meta":{}})");
  Result<std::vector<std::string>> verified = rig.factors.Verified("pam-totp-00");
  assert_true(verified.ok() && verified->size() == 1 && verified->front() == kFactor);
  assert_string_equal(rig.transport.requests.back().method.c_str(), "GET");
  rig.transport.Reply(404, R"({"code":20404,"message":"not found","status":404})");
  assert_true(rig.factors.Verified("pam-totp-unknown").value().empty());  // no entity: no factors

  rig.transport.Reply(204, "");
  assert_true(rig.factors.Delete("pam-totp-00", kFactor).ok());
  assert_string_equal(rig.transport.requests.back().method.c_str(), "DELETE");
  assert_true(rig.transport.requests.back().url.ends_with(std::string("/Factors/") + kFactor));
  assert_true(rig.factors.Delete("pam-totp-00", "YF../../x").Is(Fault::kBadInput));
}

// A login's check: approved, pending (wrong), and what can never be a pass.
void test_check_approves_only_an_approved_challenge(void**) {
  Rig rig;
  rig.transport.Reply(201, R"({"sid":"YC1","status":"approved"})");
  assert_int_equal(rig.factors.Check("pam-totp-00", kFactor, Secret("123456")).value(), CheckOutcome::kApproved);
  const auto& sent = rig.transport.requests.back();
  assert_true(sent.url.ends_with("/Entities/pam-totp-00/Challenges"));
  assert_string_equal(sent["FactorSid"].c_str(), kFactor);
  assert_string_equal(sent["AuthPayload"].c_str(), "123456");
  rig.transport.Reply(201, R"({"sid":"YC2","status":"pending"})");
  assert_int_equal(rig.factors.Check("pam-totp-00", kFactor, Secret("123456")).value(), CheckOutcome::kWrongCode);
  rig.transport.Reply(201, "<html>");
  assert_true(rig.factors.Check("pam-totp-00", kFactor, Secret("123456")).status().Is(Fault::kRejected));
  rig.transport.Reply(201, R"({"status":"expired"})");
  assert_true(rig.factors.Check("pam-totp-00", kFactor, Secret("123456")).status().Is(Fault::kRejected));
  // Twilio's limit on wrong codes is a refusal, never an outage failmode=safe would pass.
  rig.transport.Reply(429, R"({"code":60308,"message":"Challenge verification attempts limit reached"})");
  Result<CheckOutcome> limited = rig.factors.Check("pam-totp-00", kFactor, Secret("123456"));
  assert_true(limited.status().Is(Fault::kRejected));
  rig.transport.Reply(403, R"({"code":60318,"message":"Factor is unverified"})");
  assert_true(rig.factors.Check("pam-totp-00", kFactor, Secret("123456")).status().Is(Fault::kRecipient));
  const size_t before = rig.transport.requests.size();
  for (const char* typed : {"12345", "123456789", "12a456", ""}) {
    assert_int_equal(rig.factors.Check("pam-totp-00", kFactor, Secret(typed)).value(), CheckOutcome::kWrongCode);
  }
  assert_int_equal(rig.transport.requests.size(), before);  // malformed input never reaches Twilio
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_the_identity_is_a_stable_hash_of_the_name),
      cmocka_unit_test(test_create_reads_the_sid_and_uri_and_keeps_no_seed),
      cmocka_unit_test(test_verify_list_and_delete),
      cmocka_unit_test(test_check_approves_only_an_approved_challenge),
  };
  return cmocka_run_group_tests_name("totp_factors", tests, nullptr, nullptr);
}
