// What the kernel says about a process in /proc/<pid>/stat, the only source
// the module believes for who a login is: the caller of a setuid su or sudo
// controls its environment and PAM_TTY's name, not these numbers. Used for
// the grace period's terminal session (session_identity.h) and for the owner
// of a pending code (login_state.h).
#ifndef PAM_TWILIO_OTP_PROC_STAT_H_
#define PAM_TWILIO_OTP_PROC_STAT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace twotp {

// The fields of /proc/<pid>/stat the module uses (man 5 proc).
struct ProcStat {
  int pid = 0;                  // field 1
  char state = '?';             // field 3: 'R', 'S', ... 'Z' (ended, not yet reaped)
  int session = 0;              // field 6: the session id (the leader's pid)
  std::int64_t tty_nr = 0;      // field 7: the controlling terminal's device number; 0 = none
  std::uint64_t start_time = 0; // field 22: clock ticks after boot the process started
};

// Parses the text of a stat file. The second field (comm) is the process
// name in parentheses, which the caller sets (prctl, or the name of the link
// it execs) and which may hold spaces and parentheses: the fields after it
// are read after the last ')'. kBadInput naming the problem.
Result<ProcStat> ParseProcStat(std::string_view text);

// Reads and parses /proc/<which>/stat (`which` is "self" or a pid).
// kNotFound when there is no such process; kInternal when it can't be read.
Result<ProcStat> ReadProcStat(const std::string& which);

// How the module reads stat files: ReadProcStat in production, a table in tests.
using ProcStatReader = std::function<Result<ProcStat>(const std::string& which)>;

// One process for as long as it runs: a pid is reused once its process is
// gone, the pair with the start time is not.
struct ProcessId {
  int pid = 0;  // 0: unknown (a state file written before owners were kept)
  std::uint64_t start_time = 0;
  bool operator==(const ProcessId&) const = default;
};

// The seam for "is that login still running?": /proc in production, a table
// in tests.
class Processes {
 public:
  virtual ~Processes() = default;
  // This process. pid 0 when /proc can't be read: then it is never Alive.
  virtual ProcessId Self() = 0;
  // True while `process` runs: /proc/<pid> exists, started at the same time
  // and is no zombie (ended, its parent not yet told). An unknown process
  // (pid 0) is never alive.
  virtual bool Alive(const ProcessId& process) = 0;
};

class ProcProcesses : public Processes {
 public:
  explicit ProcProcesses(ProcStatReader read = ReadProcStat) : read_(std::move(read)) {}
  ProcessId Self() override;
  bool Alive(const ProcessId& process) override;

 private:
  ProcStatReader read_;
};

// A shared ProcProcesses for production callers.
Processes& SystemProcesses();

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_PROC_STAT_H_
