#include "code_prompt.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "base/unique_fd.h"

namespace twotp::cli {

namespace {

constexpr size_t kMaxCodeChars = 64;  // longer input is cut (it is no code anyway)
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

volatile sig_atomic_t g_interrupted = 0;
void NoteSignal(int) { g_interrupted = 1; }

// While alive: echo off on a terminal, and the signals that would end us
// interrupt read(2) instead (no SA_RESTART), so the destructors restore the
// terminal and the caller can cancel the pending code before exiting.
class QuietTerminal {
 public:
  explicit QuietTerminal(int fd) : fd_(fd) {
    g_interrupted = 0;
    struct sigaction sa = {};
    sa.sa_handler = NoteSignal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &sa, &old_actions_[i]);
    if (::isatty(fd_) && ::tcgetattr(fd_, &saved_) == 0) {
      struct termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      quiet.c_lflag |= ECHONL;  // the Enter key still moves to a new line
      restore_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
    }
  }
  ~QuietTerminal() {
    if (restore_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    for (size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &old_actions_[i], nullptr);
  }
  QuietTerminal(const QuietTerminal&) = delete;
  QuietTerminal& operator=(const QuietTerminal&) = delete;

 private:
  int fd_;
  struct termios saved_ = {};
  bool restore_ = false;
  struct sigaction old_actions_[std::size(kSignals)] = {};
};

void WriteAll(int fd, const std::string& text) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Reads one line from `fd` into `code`: leading blanks skipped, at most
// kMaxCodeChars kept, trailing blanks (and a CR from a CRLF line) trimmed.
Status ReadLine(int fd, Secret& code) {
  for (;;) {
    if (g_interrupted) return Status::BadInput("interrupted");  // a signal between reads
    char c;
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;  // the check above decides
    if (n < 0) return Status::BadInput(std::string("reading the code: ") + std::strerror(errno));
    if (n == 0 && code.empty()) return Status::BadInput("no code given (end of input)");
    if (n == 0 || c == '\n') break;
    if (code.size() < kMaxCodeChars && !(IsBlank(c) && code.empty())) code.Append(std::string_view(&c, 1));
    c = 0;
  }
  // Trim by rebuilding, so a Secret's buffer is the only one that ever held the digits.
  size_t end = code.size();
  while (end > 0 && IsBlank(code.str()[end - 1])) --end;
  if (end != code.size()) {
    Secret trimmed(code.view().substr(0, end));
    code = std::move(trimmed);
  }
  return Status::Ok();
}

}  // namespace

Status ReadCode(const std::string& prompt, Secret& code) {
  code.Clear();
  const bool terminal = ::isatty(STDIN_FILENO);
  UniqueFd tty;  // the terminal we open is ours to close; stdin is not
  if (terminal) {
    tty.Reset(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
    if (!tty.valid()) return Status::BadInput(std::string("/dev/tty: ") + std::strerror(errno));
  }
  const int in = terminal ? tty.get() : STDIN_FILENO;
  const int out = terminal ? tty.get() : STDERR_FILENO;
  Status read;
  {
    QuietTerminal quiet(in);
    WriteAll(out, prompt);
    read = ReadLine(in, code);
  }
  // End the prompt's line where nothing echoed a newline: piped input, or
  // Ctrl-C / Ctrl-D at the terminal (ECHONL covers only the Enter key).
  if (!terminal || !read.ok()) WriteAll(out, "\n");
  if (!read.ok()) code.Clear();
  return read;
}

}  // namespace twotp::cli
