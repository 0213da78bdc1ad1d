// base/status and base/secret (one file for the two): Status, Result and
// Secret: the types every other part reports through.
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
  Status s = Status::ConfigError("Twilio rejected the credentials");
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

// value() of a failed Result is a bug: it throws (caught at the PAM boundary
// and the CLI's main), never reads an empty optional.
static void test_value_of_a_failed_result_throws(void**) {
  Result<std::string> failed = Status::NotFound("no such user");
  bool thrown = false;
  try {
    (void)failed.value();
  } catch (const twotp::BadResultAccess& e) {
    thrown = std::string(e.what()).find("no such user") != std::string::npos;
  }
  assert_true(thrown);
  thrown = false;
  try {
    (void)failed->size();
  } catch (const twotp::BadResultAccess&) {
    thrown = true;
  }
  assert_true(thrown);
}

// A Result made from an ok Status has neither a value nor a failure: it is
// made a kInternal failure rather than an ok() that lies.
static void test_result_from_an_ok_status_is_an_internal_failure(void**) {
  Result<int> odd = Status::Ok();
  assert_false(odd.ok());
  assert_true(odd.status().Is(Fault::kInternal));
}

// Every fault has its own factory.
static void test_every_fault_has_a_factory(void**) {
  assert_true(Status::BadInput("x").Is(Fault::kBadInput));
  assert_true(Status::ConfigError("x").Is(Fault::kConfig));
  assert_true(Status::DirectoryError("x").Is(Fault::kDirectory));
  assert_true(Status::StateError("x").Is(Fault::kState));
  assert_true(Status::NotFound("x").Is(Fault::kNotFound));
  assert_true(Status::Unavailable("x").Is(Fault::kUnavailable));
  assert_true(Status::CodeDead("x").Is(Fault::kCodeDead));
  assert_true(Status::Recipient("x").Is(Fault::kRecipient));
  assert_true(Status::Rejected("x").Is(Fault::kRejected));
  assert_true(Status::Internal("x").Is(Fault::kInternal));
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
      cmocka_unit_test(test_value_of_a_failed_result_throws),
      cmocka_unit_test(test_result_from_an_ok_status_is_an_internal_failure),
      cmocka_unit_test(test_every_fault_has_a_factory),
      cmocka_unit_test(test_error_status_names_fault_and_twilio_code),
      cmocka_unit_test(test_prefixed_status_keeps_fault_and_evidence),
      cmocka_unit_test(test_result_carries_value_or_status),
      cmocka_unit_test(test_secret_grows_and_clears),
      cmocka_unit_test(test_moved_from_secret_is_empty),
  };
  return cmocka_run_group_tests_name("status_secret", tests, nullptr, nullptr);
}
