#include "base/proc_stat.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "base/unique_fd.h"

namespace twotp {

namespace {

// A stat line is a few hundred bytes; anything past this is not one.
constexpr size_t kMaxStatBytes = 4096;

// Positions after the last ')', counted from field 3 (the state).
constexpr size_t kStateAt = 3 - 3;
constexpr size_t kSessionAt = 6 - 3;
constexpr size_t kTtyAt = 7 - 3;
constexpr size_t kStartTimeAt = 22 - 3;

// The whole of `text` as a decimal number, or false.
template <typename T>
bool ToNumber(std::string_view text, T* out) {
  const char* end = text.data() + text.size();
  const std::from_chars_result r = std::from_chars(text.data(), end, *out);
  return !text.empty() && r.ec == std::errc() && r.ptr == end;
}

std::vector<std::string_view> Fields(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = std::min(text.find_first_of(" \n", at), text.size());
    if (end > at) fields.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return fields;
}

bool IsPidName(const std::string& which) {
  if (which == "self") return true;
  int pid = 0;
  return ToNumber(std::string_view(which), &pid) && pid > 0;
}

}  // namespace

Result<ProcStat> ParseProcStat(std::string_view text) {
  const size_t open = text.find('(');
  const size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return Status::BadInput("stat: no process name in parentheses");
  }
  ProcStat stat;
  if (open < 2 || text[open - 1] != ' ' || !ToNumber(text.substr(0, open - 1), &stat.pid) || stat.pid <= 0) {
    return Status::BadInput("stat: field 1 (pid) is not a process id");
  }
  const std::vector<std::string_view> after = Fields(text.substr(close + 1));
  if (after.size() <= kStartTimeAt) {
    return Status::BadInput("stat: " + std::to_string(after.size() + 2) + " fields, fewer than 22");
  }
  if (after[kStateAt].size() != 1) return Status::BadInput("stat: field 3 (state) is not one letter");
  stat.state = after[kStateAt][0];
  if (!ToNumber(after[kSessionAt], &stat.session) || stat.session < 0) {
    return Status::BadInput("stat: field 6 (session) is not a number");
  }
  if (!ToNumber(after[kTtyAt], &stat.tty_nr)) return Status::BadInput("stat: field 7 (tty_nr) is not a number");
  if (!ToNumber(after[kStartTimeAt], &stat.start_time)) {
    return Status::BadInput("stat: field 22 (starttime) is not a number");
  }
  return stat;
}

Result<ProcStat> ReadProcStat(const std::string& which) {
  if (!IsPidName(which)) return Status::BadInput("stat: \"" + which + "\" is not a process");
  const std::string path = "/proc/" + which + "/stat";
  const UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    if (err == ENOENT || err == ESRCH) return Status::NotFound(path + ": no such process");
    return Status::Internal(path + ": " + std::strerror(err));
  }
  std::string text(kMaxStatBytes, '\0');
  size_t used = 0;
  ssize_t got = 0;
  while (used < text.size() && (got = read(fd.get(), text.data() + used, text.size() - used)) != 0) {
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) break;
    used += static_cast<size_t>(got);
  }
  const int err = errno;
  // A process that exits between open and read reads as ESRCH.
  if (got < 0) {
    if (err == ESRCH) return Status::NotFound(path + ": no such process");
    return Status::Internal(path + ": " + std::strerror(err));
  }
  text.resize(used);
  Result<ProcStat> parsed = ParseProcStat(text);
  if (!parsed.ok()) return Status::Internal(path + ": " + parsed.status().message());
  return parsed;
}

ProcessId ProcProcesses::Self() {
  Result<ProcStat> self = read_("self");
  if (!self.ok()) return ProcessId{};
  return ProcessId{self->pid, self->start_time};
}

bool ProcProcesses::Alive(const ProcessId& process) {
  if (process.pid <= 0) return false;
  Result<ProcStat> stat = read_(std::to_string(process.pid));
  if (!stat.ok()) return false;
  // A login killed at its prompt stays a zombie until its parent reaps it:
  // it has ended all the same.
  if (stat->state == 'Z' || stat->state == 'X') return false;
  return stat->pid == process.pid && stat->start_time == process.start_time;
}

Processes& SystemProcesses() {
  static ProcProcesses processes;
  return processes;
}

}  // namespace twotp
