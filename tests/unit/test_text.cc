// base/text: the ASCII-only text checks (IsDigits), whatever the input holds.
#include <string>

#include "base/text.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

static void test_is_digits_rejects_everything_else(void**) {
  assert_true(IsDigits("0123", 4, 10));
  assert_false(IsDigits("012", 4, 10));
  assert_false(IsDigits("12345678901", 4, 10));
  assert_false(IsDigits("12a4", 4, 10));
  assert_false(IsDigits("１２３４", 4, 100));  // full-width digits are not ASCII digits
  assert_false(IsDigits(std::string("12\0" "4", 4), 4, 10));
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_is_digits_rejects_everything_else),
  };
  return cmocka_run_group_tests_name("text", tests, nullptr, nullptr);
}
