// base/proc_stat: /proc/<pid>/stat as the module reads it: the parser against a
// process name the caller chose, and whether a login still runs, from a table
// of stat lines and from this test's own /proc.
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "base/proc_stat.h"
#include "proc_stat_line.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;
using twotp_test::StatLine;

namespace {

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

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_reads_pid_session_tty_and_start_time),
      cmocka_unit_test(test_parse_reads_after_the_last_parenthesis_of_a_hostile_name),
      cmocka_unit_test(test_parse_refuses_what_is_not_a_stat_line),
      cmocka_unit_test(test_this_process_is_alive_and_a_reused_pid_is_not),
      cmocka_unit_test(test_read_tells_a_missing_process_from_a_bad_name),
      cmocka_unit_test(test_a_zombie_is_not_alive),
  };
  return cmocka_run_group_tests_name("proc_stat", tests, nullptr, nullptr);
}
