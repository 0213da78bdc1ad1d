// login/grace: grace keys (GraceKey) and the grace window's edges (InGrace).
#include <ctime>
#include <optional>
#include <string>

#include "login/grace.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

namespace {

// pts/0 (136:0) in the session led by pid 2210, which started at tick 81234.
const SessionIdentity kPts0{34816, 2210, 81234};

void test_grace_key_separates_ssh_from_sudo(void**) {
  const std::optional<std::string> ssh = GraceKey("sshd", "192.0.2.7", kPts0);
  const std::optional<std::string> sudo = GraceKey("sudo", "", kPts0);
  assert_string_equal(ssh->c_str(), "sshd|rhost:192.0.2.7");  // a remote login: the session plays no part
  assert_string_equal(sudo->c_str(), "sudo|session:tty=34816,sid=2210,leader=81234");
  assert_true(ssh == GraceKey("sshd", "192.0.2.7", std::nullopt));
  assert_true(ssh != GraceKey("sshd", "192.0.2.8", kPts0));
  assert_true(ssh != GraceKey("sudo", "192.0.2.7", kPts0));  // sudo over ssh: still another service
}

// The terminal's device, the session and its leader's start time each make
// another key: a new session that got the same /dev/pts/N is another login.
void test_grace_key_binds_the_terminal_session_not_its_name(void**) {
  const std::optional<std::string> key = GraceKey("sudo", "", kPts0);
  assert_true(key != GraceKey("sudo", "", SessionIdentity{34817, 2210, 81234}));
  assert_true(key != GraceKey("sudo", "", SessionIdentity{34816, 2211, 81234}));
  assert_true(key != GraceKey("sudo", "", SessionIdentity{34816, 2210, 81235}));  // the sid reused
  assert_false(GraceKey("sudo", "", std::nullopt).has_value());  // no terminal, no rhost: no grace
}

void test_in_grace_boundaries(void**) {
  UserState state;
  const std::string key = *GraceKey("sshd", "192.0.2.7", std::nullopt);
  const std::time_t at = 1'800'000'000;
  state.grace[key] = at;
  assert_true(InGrace(state, key, 600, at));            // just now
  assert_true(InGrace(state, key, 600, at + 599));      // less than 600 s ago
  assert_false(InGrace(state, key, 600, at + 600));     // exactly 600 s: over
  assert_false(InGrace(state, key, 600, at + 100000));
  assert_false(InGrace(state, key, 600, at - 1));       // stamped in the future: clock set back
  assert_false(InGrace(state, key, 0, at));             // grace off
  assert_false(InGrace(state, key, -5, at));
  assert_false(InGrace(state, *GraceKey("sudo", "", kPts0), 600, at));  // another key
  assert_false(InGrace(UserState{}, key, 600, at));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grace_key_separates_ssh_from_sudo),
      cmocka_unit_test(test_grace_key_binds_the_terminal_session_not_its_name),
      cmocka_unit_test(test_in_grace_boundaries),
  };
  return cmocka_run_group_tests_name("grace", tests, nullptr, nullptr);
}
