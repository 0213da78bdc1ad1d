// login/sudo_command: the command sudo runs, read from its argv
// (ParseSudoArgv), and whether a program is sudo (IsSudoProgram).
#include <string>

#include "login/sudo_command.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

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
      cmocka_unit_test(test_sudo_command_skips_options),
      cmocka_unit_test(test_sudo_is_recognised_by_program),
      cmocka_unit_test(test_sudo_stdin_option_is_found),
  };
  return cmocka_run_group_tests_name("sudo_command", tests, nullptr, nullptr);
}
