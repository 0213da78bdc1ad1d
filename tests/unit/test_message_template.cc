// policy.message rendering, the spoken form of a code, and the sudo command.
#include <string>

#include "twilio/message_template.h"
#include "login/sudo_command.h"
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

static void test_sudo_command_skips_options(void**) {
  using std::string_literals::operator""s;
  const struct {
    std::string argv;
    const char* command;
  } rows[] = {
      {"sudo\0ls\0/root"s, "ls /root"},
      {"sudo\0-u\0postgres\0psql"s, "psql"},
      {"sudo\0-uroot\0id"s, "id"},
      {"sudo\0-k\0-u\0root\0--\0-weird"s, "-weird"},
      {"sudo\0--user=root\0whoami"s, "whoami"},
      {"sudo\0--user\0root\0whoami"s, "whoami"},
      {"sudo\0-ku\0root\0true"s, "true"},
      {"sudo\0-v"s, ""},
      {"sudo"s, ""},
  };
  for (const auto& row : rows) {
    assert_string_equal(ParseSudoArgv(row.argv).command.c_str(), row.command);
  }
}

// sudo -S reads the code from standard input: the module sends nothing when
// that is a pipe (found by the e2e tests), so -S must be found in any spelling.
static void test_sudo_stdin_option_is_found(void**) {
  using std::string_literals::operator""s;
  const struct {
    std::string argv;
    bool reads_stdin;
  } rows[] = {
      {"sudo\0-S\0true"s, true},       {"sudo\0-kS\0true"s, true},   {"sudo\0--stdin\0true"s, true},
      {"sudo\0-Su\0root\0id"s, true}, {"sudo\0-u\0S\0id"s, false}, {"sudo\0-uS\0id"s, false},
      {"sudo\0ls\0-S"s, false},        {"sudo\0--\0-S"s, false},     {"sudo\0-p\0-S\0true"s, false},
      {"sudo\0true"s, false},
  };
  for (const auto& row : rows) {
    assert_int_equal(ParseSudoArgv(row.argv).reads_stdin, row.reads_stdin);
  }
  assert_string_equal(ParseSudoArgv("sudo\0-Su\0root\0id"s).command.c_str(), "id");
}

// sudo runs the module under whatever PAM service sudoers names, so the
// command is looked up by program, not by service (found by the e2e tests).
static void test_sudo_is_recognised_by_program(void**) {
  assert_true(IsSudoProgram("/usr/bin/sudo"));
  assert_true(IsSudoProgram("/usr/local/bin/sudo"));
  assert_true(IsSudoProgram("/usr/bin/sudo (deleted)"));
  assert_true(IsSudoProgram("sudo"));
  assert_false(IsSudoProgram("/usr/sbin/sshd"));
  assert_false(IsSudoProgram("/usr/bin/pseudo"));
  assert_false(IsSudoProgram("/usr/bin/sudo/"));
  assert_false(IsSudoProgram(""));
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_placeholder_is_filled),
      cmocka_unit_test(test_minutes_round_up),
      cmocka_unit_test(test_local_login_has_no_rhost),
      cmocka_unit_test(test_unknown_placeholders_and_stray_braces_stay),
      cmocka_unit_test(test_outside_values_are_sanitized_and_cut),
      cmocka_unit_test(test_spoken_code_reads_digits_one_by_one),
      cmocka_unit_test(test_sudo_command_skips_options),
      cmocka_unit_test(test_sudo_is_recognised_by_program),
      cmocka_unit_test(test_sudo_stdin_option_is_found),
  };
  return cmocka_run_group_tests_name("message_template", tests, nullptr, nullptr);
}
