// Status, Result and Secret: the types every other part reports through.
#include "cmocka_cxx.h"

#include <string>

#include "base/secret.h"
#include "base/status.h"

using twotp::Fault;
using twotp::Result;
using twotp::Secret;
using twotp::Status;

static void test_ok_status_has_no_fault(void**) {
  Status s = Status::Ok();
  assert_true(s.ok());
  assert_string_equal(s.ToString().c_str(), "ok");
}

static void test_error_status_names_fault_and_twilio_code(void**) {
  Status s = Status::Error(Fault::kConfig, "Twilio rejected the credentials");
  s.WithHttp(401, 20003);
  assert_false(s.ok());
  assert_true(s.Is(Fault::kConfig));
  assert_string_equal(s.ToString().c_str(),
                      "config: Twilio rejected the credentials (HTTP 401, Twilio 20003)");
}

// A message given context keeps everything else, the witness above all:
// dropping it would turn a refused connect into a refusal under safe mode.
static void test_prefixed_status_keeps_fault_and_evidence(void**) {
  Status refused = Status::Unavailable("connection refused").Witnessed();
  refused.WithHttp(503, 20503).WithUserMessage("try later");
  const Status named = refused.Prefixed("Twilio verification start: ");
  assert_string_equal(named.message().c_str(), "Twilio verification start: connection refused");
  assert_true(named.Is(Fault::kUnavailable));
  assert_true(named.witnessed());
  assert_int_equal(named.http_status(), 503);
  assert_int_equal(named.twilio_code(), 20503);
  assert_string_equal(named.user_message()->c_str(), "try later");
  assert_false(Status::Unavailable("timed out").Prefixed("x: ").witnessed());
}

static void test_result_carries_value_or_status(void**) {
  Result<int> good(7);
  assert_true(good.ok());
  assert_int_equal(good.value(), 7);
  Result<int> bad(Status::NotFound("no such user"));
  assert_false(bad.ok());
  assert_true(bad.status().Is(Fault::kNotFound));
}

static void test_secret_grows_and_clears(void**) {
  Secret s("12");
  std::string big(1000, '7');
  s.Append(big);
  assert_int_equal(s.size(), 1002);
  assert_memory_equal(s.c_str(), "127", 3);
  s.Clear();
  assert_true(s.empty());
}

static void test_moved_from_secret_is_empty(void**) {
  Secret a("123456");
  Secret b(std::move(a));
  assert_true(a.empty());  // NOLINT: checking the moved-from state on purpose
  assert_string_equal(b.c_str(), "123456");
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ok_status_has_no_fault),
      cmocka_unit_test(test_error_status_names_fault_and_twilio_code),
      cmocka_unit_test(test_prefixed_status_keeps_fault_and_evidence),
      cmocka_unit_test(test_result_carries_value_or_status),
      cmocka_unit_test(test_secret_grows_and_clears),
      cmocka_unit_test(test_moved_from_secret_is_empty),
  };
  return cmocka_run_group_tests_name("status_secret", tests, nullptr, nullptr);
}
