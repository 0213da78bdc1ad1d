// twilio/otp_code: code generation (CSPRNG, uniform digits) and the HMAC
// digest.
#include <array>
#include <string>

#include "base/text.h"
#include "twilio/otp_code.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

static void test_codes_have_the_asked_length_and_only_digits(void**) {
  for (int length = 4; length <= 10; ++length) {
    Result<Secret> code = GenerateCode(length);
    assert_true(code.ok());
    assert_int_equal(code->size(), length);
    assert_true(IsDigits(code->view(), length, length));
  }
}

static void test_out_of_range_lengths_are_refused(void**) {
  assert_false(GenerateCode(3).ok());
  assert_false(GenerateCode(11).ok());
}

// 1,000,000 digits. Unbiased: each digit 100,000 ± 300 (one sigma), digits
// 0-5 together 600,000 ± 490. The classic bug, byte % 10 over 0..255, puts
// 609,375 in 0-5 (19 sigma off); the bounds below sit at ~6 sigma, so they
// catch it (and a stuck generator) without ever flaking.
static void test_digits_are_uniform_without_modulo_bias(void**) {
  std::array<long, 10> counts{};
  for (int i = 0; i < 100000; ++i) {
    Result<Secret> code = GenerateCode(10);
    assert_true(code.ok());
    for (char c : code->view()) counts[c - '0']++;
  }
  long low_digits = 0;
  for (int d = 0; d < 10; ++d) {
    assert_in_range(counts[d], 98000, 102000);
    if (d <= 5) low_digits += counts[d];
  }
  assert_in_range(low_digits, 597000, 603000);
}

static void test_consecutive_codes_differ(void**) {
  Result<Secret> a = GenerateCode(10);
  Result<Secret> b = GenerateCode(10);
  assert_string_not_equal(a->c_str(), b->c_str());
}

static void test_digest_matches_only_the_same_code(void**) {
  Secret code("123456");
  Result<CodeDigest> digest = CodeDigest::Of(code);
  assert_true(digest.ok());
  assert_true(digest->Matches(Secret("123456")));
  assert_false(digest->Matches(Secret("123457")));
  assert_false(digest->Matches(Secret("12345")));
  assert_false(digest->Matches(Secret("")));
}

static void test_moved_digest_still_matches(void**) {
  Result<CodeDigest> digest = CodeDigest::Of(Secret("987654"));
  CodeDigest moved = std::move(digest.value());
  assert_true(moved.Matches(Secret("987654")));
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_codes_have_the_asked_length_and_only_digits),
      cmocka_unit_test(test_out_of_range_lengths_are_refused),
      cmocka_unit_test(test_digits_are_uniform_without_modulo_bias),
      cmocka_unit_test(test_consecutive_codes_differ),
      cmocka_unit_test(test_digest_matches_only_the_same_code),
      cmocka_unit_test(test_moved_digest_still_matches),
  };
  return cmocka_run_group_tests_name("otp_code", tests, nullptr, nullptr);
}
