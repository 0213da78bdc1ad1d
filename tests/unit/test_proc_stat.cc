// /proc/<pid>/stat as the module reads it (proc_stat.h): the parser against a
// process name the caller chose, whether a login still runs, and the
// terminal session grace binds to (session_identity.h), from a table of stat
// lines and from this test's own /proc.
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>

#include "base/proc_stat.h"
#include "login/session_identity.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

namespace {

// A stat line as Linux 6.1 writes it; `comm` goes between the parentheses.
std::string StatLine(int pid, const std::string& comm, int session, long long tty_nr,
                     unsigned long long start_time, char state = 'S') {
  return std::to_string(pid) + " (" + comm + ") " + state + " 1 " + std::to_string(pid) + " " + std::to_string(session) + " " +
         std::to_string(tty_nr) + " " + std::to_string(pid) + " 4194560 120 0 0 0 1 2 0 0 20 0 1 0 " +
         std::to_string(start_time) + " 2351104 220 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n";
}

void test_parse_reads_pid_session_tty_and_start_time(void**) {
  Result<ProcStat> stat = ParseProcStat(StatLine(4242, "sudo", 4100, 34819, 52000));
  if (!stat.ok()) fail_msg("%s", stat.status().message().c_str());
  assert_int_equal(stat->pid, 4242);
  assert_int_equal(stat->state, 'S');
  assert_int_equal(stat->session, 4100);
  assert_int_equal(stat->tty_nr, 34819);
  assert_int_equal(stat->start_time, 52000);
}

// The caller names its process (prctl, or the link it execs sudo through):
// a name that looks like the fields after it must not shift them.
void test_parse_reads_after_the_last_parenthesis_of_a_hostile_name(void**) {
  for (const std::string comm : {"a) (b", ") (", "x) S 1 1 1 0", "((", "))", "a b c", "su\ndo", ""}) {
    Result<ProcStat> stat = ParseProcStat(StatLine(77, comm, 4100, 34819, 52000));
    if (!stat.ok()) fail_msg("comm \"%s\": %s", comm.c_str(), stat.status().message().c_str());
    assert_int_equal(stat->pid, 77);
    assert_int_equal(stat->session, 4100);
    assert_int_equal(stat->tty_nr, 34819);
    assert_int_equal(stat->start_time, 52000);
  }
}

void test_parse_refuses_what_is_not_a_stat_line(void**) {
  const struct {
    std::string text;
    const char* problem;
  } rows[] = {
      {"", "no process name"},
      {"4242 sudo S 1 2 3", "no process name"},
      {"4242 )sudo( S 1", "no process name"},
      {"(sudo) S 1 2 3", "field 1"},
      {"-5 (sudo) S 1 2 3", "field 1"},
      {"x (sudo) S 1 2 3", "field 1"},
      {"4242 (sudo) S 1 4242 4100 34819", "fewer than 22"},
      {"4242 (sudo) SZ 1 4242 4100 34819 4242 4194560 120 0 0 0 1 2 0 0 20 0 1 0 52000 2351104", "field 3"},
      {"4242 (sudo) S 1 4242 s100 34819 4242 4194560 120 0 0 0 1 2 0 0 20 0 1 0 52000 2351104", "field 6"},
      {"4242 (sudo) S 1 4242 4100 tty1 4242 4194560 120 0 0 0 1 2 0 0 20 0 1 0 52000 2351104", "field 7"},
      {"4242 (sudo) S 1 4242 4100 34819 4242 4194560 120 0 0 0 1 2 0 0 20 0 1 0 -52000 2351104", "field 22"},
  };
  for (const auto& row : rows) {
    Result<ProcStat> stat = ParseProcStat(row.text);
    if (stat.ok()) fail_msg("accepted \"%s\"", row.text.c_str());
    if (stat.status().message().find(row.problem) == std::string::npos) {
      fail_msg("\"%s\": expected \"%s\" in \"%s\"", row.text.c_str(), row.problem, stat.status().message().c_str());
    }
  }
}

// This very process, through the real /proc: it runs; its pid with another
// start time (the pid reused) does not, nor an unknown process.
void test_this_process_is_alive_and_a_reused_pid_is_not(void**) {
  ProcProcesses processes;
  const ProcessId self = processes.Self();
  assert_int_equal(self.pid, getpid());
  assert_true(self.start_time > 0);
  assert_true(processes.Alive(self));
  assert_false(processes.Alive(ProcessId{self.pid, self.start_time + 1}));
  assert_false(processes.Alive(ProcessId{}));
  assert_false(processes.Alive(ProcessId{-1, 0}));
  assert_true(SystemProcesses().Self() == self);
}

void test_read_tells_a_missing_process_from_a_bad_name(void**) {
  assert_true(ReadProcStat("self").ok());
  assert_true(ReadProcStat("2147483647").status().Is(Fault::kNotFound));  // above pid_max
  assert_true(ReadProcStat("../1").status().Is(Fault::kBadInput));
  assert_true(ReadProcStat("self/task").status().Is(Fault::kBadInput));
  assert_true(ReadProcStat("0").status().Is(Fault::kBadInput));
}

// su killed at its prompt is a zombie until its parent reaps it: its pid
// and start time are still in /proc, yet the login has ended.
void test_a_zombie_is_not_alive(void**) {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  assert_true(child > 0);
  Result<ProcStat> stat = Status::NotFound("not read yet");
  for (int i = 0; i < 1000; ++i) {  // until it has exited (unreaped: a zombie)
    stat = ReadProcStat(std::to_string(child));
    if (stat.ok() && stat->state == 'Z') break;
    usleep(1000);
  }
  assert_true(stat.ok() && stat->state == 'Z');
  ProcProcesses processes;
  assert_false(processes.Alive(ProcessId{child, stat->start_time}));
  assert_int_equal(waitpid(child, nullptr, 0), child);

  // And from a table: the same line but for the state.
  ProcProcesses table([](const std::string&) -> Result<ProcStat> {
    return ParseProcStat(StatLine(900, "su", 900, 34819, 52000, 'Z'));
  });
  assert_false(table.Alive(ProcessId{900, 52000}));
  ProcProcesses running([](const std::string&) -> Result<ProcStat> {
    return ParseProcStat(StatLine(900, "su", 900, 34819, 52000, 'S'));
  });
  assert_true(running.Alive(ProcessId{900, 52000}));
}

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
      cmocka_unit_test(test_parse_reads_pid_session_tty_and_start_time),
      cmocka_unit_test(test_parse_reads_after_the_last_parenthesis_of_a_hostile_name),
      cmocka_unit_test(test_parse_refuses_what_is_not_a_stat_line),
      cmocka_unit_test(test_this_process_is_alive_and_a_reused_pid_is_not),
      cmocka_unit_test(test_read_tells_a_missing_process_from_a_bad_name),
      cmocka_unit_test(test_a_zombie_is_not_alive),
      cmocka_unit_test(test_session_is_terminal_sid_and_leader_start),
      cmocka_unit_test(test_no_session_without_terminal_or_leader),
      cmocka_unit_test(test_current_session_of_this_process),
  };
  return cmocka_run_group_tests_name("proc_stat", tests, nullptr, nullptr);
}
