// base/email_address: which addresses the email channel takes, and the
// masked form prompts and logs show.
#include <string>

#include "base/email_address.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

static void test_addresses_people_type_are_taken(void**) {
  for (const char* good : {"alice@example.com", "carol.d+otp@mail.example.co.uk", "x@y.z", "a_b-c%d@ex-ample.org",
                           "o'neil@example.com"}) {
    if (!twotp::IsEmailAddress(good)) fail_msg("refused %s", good);
  }
}

static void test_anything_that_could_smuggle_text_is_refused(void**) {
  const std::string local64(64, 'a');
  const std::string long_domain = std::string(250, 'd') + ".com";
  const char* bad[] = {"", "alice", "@example.com", "alice@", "alice@localhost", "alice@example..com",
                       "alice@.example.com", "alice@example.com.", "a@b@example.com", "alice @example.com",
                       "alice@exa mple.com", "\"a b\"@example.com", "alice@[192.0.2.1]", "alice#x@example.com",
                       "al;ice@example.com", "al\\ice@example.com", "alice@example.com\n", "al\x01ice@example.com",
                       "ålice@example.com"};
  for (const char* address : bad) {
    if (twotp::IsEmailAddress(address)) fail_msg("took %s", address);
  }
  assert_true(twotp::IsEmailAddress(local64 + "@example.com"));
  assert_false(twotp::IsEmailAddress(local64 + "a@example.com"));  // local part over 64
  assert_false(twotp::IsEmailAddress("a@" + long_domain));         // over 254 in all
}

static void test_the_mask_shows_one_letter_and_the_domain(void**) {
  assert_string_equal(twotp::MaskEmail("alice@example.com").c_str(), "a\u2022\u2022\u2022@example.com");
  assert_string_equal(twotp::MaskEmail("x@y.z").c_str(), "x\u2022\u2022\u2022@y.z");
  assert_string_equal(twotp::MaskEmail("not an address").c_str(), "(address)");
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_addresses_people_type_are_taken),
      cmocka_unit_test(test_anything_that_could_smuggle_text_is_refused),
      cmocka_unit_test(test_the_mask_shows_one_letter_and_the_domain),
  };
  return cmocka_run_group_tests_name("email_address", tests, nullptr, nullptr);
}
