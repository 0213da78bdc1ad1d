// twilio/message_template: policy.message rendering and the spoken form of a
// code.
#include <string>

#include "twilio/message_template.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

namespace {
ChallengeContext Context() { return {"alice", "sudo", "bastion", "192.0.2.7", "systemctl restart nginx"}; }
}  // namespace

static void test_every_placeholder_is_filled(void**) {
  const Secret out = RenderMessage("{code} {user} {host} {service} {rhost} {minutes} {command}",
                                   Secret("123456"), Context(), 300);
  assert_string_equal(out.c_str(), "123456 alice bastion sudo 192.0.2.7 5 systemctl restart nginx");
}

static void test_minutes_round_up(void**) {
  assert_string_equal(RenderMessage("{minutes}", Secret("1"), Context(), 61).c_str(), "2");
  assert_string_equal(RenderMessage("{minutes}", Secret("1"), Context(), 30).c_str(), "1");
}

static void test_local_login_has_no_rhost(void**) {
  ChallengeContext local = Context();
  local.rhost = "";
  assert_string_equal(RenderMessage("from {rhost}", Secret("1"), local, 60).c_str(), "from local");
}

static void test_unknown_placeholders_and_stray_braces_stay(void**) {
  assert_string_equal(RenderMessage("{nope} {code} {", Secret("42"), Context(), 60).c_str(), "{nope} 42 {");
}

static void test_outside_values_are_sanitized_and_cut(void**) {
  ChallengeContext hostile = Context();
  hostile.command = "rm -rf /\n\x1b[2Jpwned " + std::string(200, 'A');
  hostile.rhost = "h\xc3\xa9llo";
  const Secret out = RenderMessage("{rhost}|{command}", Secret("1"), hostile, 60);
  const std::string s = out.str();
  assert_true(s.find('\n') == std::string::npos);
  assert_true(s.find('\x1b') == std::string::npos);
  assert_true(s.find("h??llo|") == 0);
  assert_true(s.size() < 100);
  assert_true(s.find("...") != std::string::npos);
}

static void test_spoken_code_reads_digits_one_by_one(void**) {
  assert_string_equal(SpokenCode(Secret("4071")).c_str(), "Your verification code is 4, 0, 7, 1.");
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_placeholder_is_filled),
      cmocka_unit_test(test_minutes_round_up),
      cmocka_unit_test(test_local_login_has_no_rhost),
      cmocka_unit_test(test_unknown_placeholders_and_stray_braces_stay),
      cmocka_unit_test(test_outside_values_are_sanitized_and_cut),
      cmocka_unit_test(test_spoken_code_reads_digits_one_by_one),
  };
  return cmocka_run_group_tests_name("message_template", tests, nullptr, nullptr);
}
