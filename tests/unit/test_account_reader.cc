// twilio/account_reader: the reads of `twilio-otp check-config --online`
// over a scripted transport: each is a GET of the right URL (never a POST,
// which could send or create), and each reply becomes the right answer.
#include <cstring>
#include <string>

#include "scripted_transport.h"
#include "twilio/account_reader.h"
#include "twilio_test_ids.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;
using namespace twotp_test;

namespace {

TwilioConfig Config() {
  TwilioConfig twilio;
  twilio.account_sid = kAccount;
  twilio.verify_service_sid = kService;
  twilio.verify_url = "https://verify.example/";
  twilio.api_url = "https://api.example";
  return twilio;
}

struct Rig {
  TwilioConfig twilio = Config();
  ScriptedTransport transport;
  AccountReader reader{twilio, transport};
};

const std::string kAccountUrl = std::string("https://api.example/2010-04-01/Accounts/") + kAccount;

}  // namespace

static void test_account_is_read_by_get_and_its_type_returned(void**) {
  Rig rig;
  rig.transport.Reply(200, R"({"sid":"AC1","status":"active","type":"Trial","auth_token":"s3cr3t"})");
  Result<AccountInfo> account = rig.reader.FetchAccount();
  assert_true(account.ok());
  assert_string_equal(account->type.c_str(), "Trial");
  assert_string_equal(account->status.c_str(), "active");
  assert_int_equal(rig.transport.requests.size(), 1);
  assert_string_equal(rig.transport.requests[0].method.c_str(), "GET");
  assert_string_equal(rig.transport.requests[0].url.c_str(), (kAccountUrl + ".json").c_str());
}

static void test_rejected_credentials_are_a_config_fault_with_twilios_code(void**) {
  Rig rig;
  rig.transport.Reply(401, R"({"code":20003,"message":"Authenticate","status":401})");
  Result<AccountInfo> account = rig.reader.FetchAccount();
  assert_false(account.ok());
  assert_true(account.status().Is(Fault::kConfig));
  assert_int_equal(account.status().twilio_code(), 20003);
}

static void test_an_account_reply_without_a_type_is_garbage(void**) {
  Rig rig;
  rig.transport.Reply(200, R"({"sid":"AC1","status":"active"})");
  assert_false(rig.reader.FetchAccount().ok());
  rig.transport.Reply(200, "<html>");
  assert_false(rig.reader.FetchAccount().ok());
}

static void test_verify_service_exists_only_when_twilio_returns_it(void**) {
  Rig rig;
  rig.transport.Reply(200, std::string(R"({"sid":")") + kService + R"("})");
  Result<VerifyServiceInfo> bare = rig.reader.FetchVerifyService();
  assert_true(bare.ok());
  assert_false(bare->custom_code_enabled);  // not in the reply: off
  assert_false(bare->psd2_enabled);
  rig.transport.Reply(200, std::string(R"({"sid":")") + kService +
                               R"(","custom_code_enabled":true,"psd2_enabled":"true"})");
  Result<VerifyServiceInfo> settings = rig.reader.FetchVerifyService();
  assert_true(settings.ok());
  assert_true(settings->custom_code_enabled);
  assert_false(settings->psd2_enabled);  // a string is not a JSON true
  assert_string_equal(rig.transport.requests[0].url.c_str(),
                      (std::string("https://verify.example/v2/Services/") + kService).c_str());
  rig.transport.Reply(404, R"({"code":20404,"message":"not found","status":404})");
  Status missing = rig.reader.FetchVerifyService().status();
  assert_true(missing.Is(Fault::kConfig));
  assert_non_null(std::strstr(missing.message().c_str(), "Verify service not found"));
  rig.transport.Reply(200, R"({"sid":"VAsomeoneelse"})");
  assert_false(rig.reader.FetchVerifyService().ok());
}

static void test_number_lookups_encode_the_number_and_read_the_list(void**) {
  Rig rig;
  rig.transport.Reply(200, R"({"incoming_phone_numbers":[{"phone_number":"+15005550006"}]})");
  rig.transport.Reply(200, R"({"outgoing_caller_ids":[]})");
  Result<bool> owned = rig.reader.OwnsNumber("+15005550006");
  Result<bool> verified = rig.reader.IsVerifiedCallerId("+15550001111");
  assert_true(owned.ok() && owned.value());
  assert_true(verified.ok() && !verified.value());
  assert_string_equal(rig.transport.requests[0].url.c_str(),
                      (kAccountUrl + "/IncomingPhoneNumbers.json?PhoneNumber=%2B15005550006").c_str());
  assert_string_equal(rig.transport.requests[1].url.c_str(),
                      (kAccountUrl + "/OutgoingCallerIds.json?PhoneNumber=%2B15550001111").c_str());
  rig.transport.Reply(200, R"({"outgoing_caller_ids":"no"})");
  assert_false(rig.reader.IsVerifiedCallerId("+15550001111").ok());
}

static void test_no_reply_is_unavailable_and_names_the_read(void**) {
  Rig rig;
  rig.transport.Fail(Status::Unavailable("HTTPS request to api.example failed: certificate verify failed"));
  Status failed = rig.reader.ReadNumbers();
  assert_true(failed.Is(Fault::kUnavailable));
  assert_non_null(std::strstr(failed.message().c_str(), "phone number lookup"));
  assert_non_null(std::strstr(failed.message().c_str(), "certificate verify failed"));
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_account_is_read_by_get_and_its_type_returned),
      cmocka_unit_test(test_rejected_credentials_are_a_config_fault_with_twilios_code),
      cmocka_unit_test(test_an_account_reply_without_a_type_is_garbage),
      cmocka_unit_test(test_verify_service_exists_only_when_twilio_returns_it),
      cmocka_unit_test(test_number_lookups_encode_the_number_and_read_the_list),
      cmocka_unit_test(test_no_reply_is_unavailable_and_names_the_read),
  };
  return cmocka_run_group_tests_name("account_reader", tests, nullptr, nullptr);
}
