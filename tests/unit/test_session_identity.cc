// login/session_identity: the terminal session grace binds to (CurrentSession),
// from a table of stat lines and from this test's own /proc.
#include <unistd.h>

#include <map>
#include <optional>
#include <string>

#include "base/proc_stat.h"
#include "login/session_identity.h"
#include "proc_stat_line.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;
using twotp_test::StatLine;

namespace {

// stat lines by "self" or pid, as CurrentSession reads them.
struct StatTable {
  std::map<std::string, std::string> lines;
  Result<ProcStat> operator()(const std::string& which) const {
    auto it = lines.find(which);
    if (it == lines.end()) return Status::NotFound("no such process");
    return ParseProcStat(it->second);
  }
};

void test_session_is_terminal_sid_and_leader_start(void**) {
  StatTable table;
  table.lines["self"] = StatLine(4242, "sudo", 4100, 34819, 60000);
  table.lines["4100"] = StatLine(4100, "bash", 4100, 34819, 52000);
  const std::optional<SessionIdentity> session = CurrentSession(table);
  assert_true(session.has_value());
  assert_true(*session == (SessionIdentity{34819, 4100, 52000}));  // the leader's start, not ours
}

// No controlling terminal, no leader any more, or a "leader" that leads
// another session: no session, so no grace.
void test_no_session_without_terminal_or_leader(void**) {
  StatTable no_tty;
  no_tty.lines["self"] = StatLine(4242, "sudo", 4100, 0, 60000);
  no_tty.lines["4100"] = StatLine(4100, "bash", 4100, 0, 52000);
  assert_false(CurrentSession(no_tty).has_value());

  StatTable leader_gone;
  leader_gone.lines["self"] = StatLine(4242, "sudo", 4100, 34819, 60000);
  assert_false(CurrentSession(leader_gone).has_value());

  StatTable not_a_leader;
  not_a_leader.lines["self"] = StatLine(4242, "sudo", 4100, 34819, 60000);
  not_a_leader.lines["4100"] = StatLine(4100, "bash", 3000, 34819, 52000);
  assert_false(CurrentSession(not_a_leader).has_value());

  StatTable unreadable;
  assert_false(CurrentSession(unreadable).has_value());
}

// The real thing, whatever this test runs under: a session exactly when
// this process has a controlling terminal.
void test_current_session_of_this_process(void**) {
  Result<ProcStat> self = ReadProcStat("self");
  assert_true(self.ok());
  const std::optional<SessionIdentity> session = CurrentSession();
  if (self->tty_nr == 0) {
    assert_false(session.has_value());
    return;
  }
  assert_true(session.has_value());
  assert_int_equal(session->tty_nr, self->tty_nr);
  assert_int_equal(session->session, getsid(0));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_session_is_terminal_sid_and_leader_start),
      cmocka_unit_test(test_no_session_without_terminal_or_leader),
      cmocka_unit_test(test_current_session_of_this_process),
  };
  return cmocka_run_group_tests_name("session_identity", tests, nullptr, nullptr);
}
