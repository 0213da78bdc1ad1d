// Helpers shared by the libFuzzer targets in tests/fuzz/: invariant checks
// that abort (libFuzzer then saves the input as a crash), and a private
// scratch directory for targets that go through files.
#ifndef PAM_TWILIO_OTP_TESTS_FUZZ_FUZZ_UTIL_H_
#define PAM_TWILIO_OTP_TESTS_FUZZ_FUZZ_UTIL_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace fuzz {

[[noreturn]] inline void Fail(const char* file, int line, const char* what, const std::string& detail) {
  std::fprintf(stderr, "\n==FUZZ INVARIANT== %s:%d: %s\n", file, line, what);
  if (!detail.empty()) std::fprintf(stderr, "==FUZZ INVARIANT== %s\n", detail.c_str());
  std::fflush(stderr);
  std::abort();
}

// `detail` is any expression convertible to std::string, evaluated only on failure.
#define FUZZ_CHECK(cond, detail)                                         \
  do {                                                                   \
    if (!(cond)) ::fuzz::Fail(__FILE__, __LINE__, #cond, (detail));      \
  } while (0)

// A value shown in an invariant message: printable, escaped, cut.
inline std::string Show(std::string_view s, size_t max = 200) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  if (s.size() > max) out += "...";
  return out + "\"";
}

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Printable ASCII only: what may go into one syslog line.
inline bool IsPrintableAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// No control character (bytes >= 0x80 allowed): still one line of a log.
inline bool IsOneLine(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

inline size_t Count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// A private directory for one fuzzing process, removed at exit. Under
// $TMPDIR if set (run_fuzz.sh sets it), else /dev/shm (tmpfs: the fsyncs of
// atomic rewrites cost nothing there), else /tmp.
class ScratchDir {
 public:
  ScratchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string root = base != nullptr && *base != '\0' ? base
                       : std::filesystem::is_directory("/dev/shm") ? "/dev/shm"
                                                                   : "/tmp";
    std::string pattern = root + "/twotp-fuzz.XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror(pattern.c_str());
      std::abort();
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Replaces `path` with `contents`, mode 0600, owned by the caller.
inline void WriteFile(const std::string& path, std::string_view contents) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  bool ok = fd >= 0 && ::fchmod(fd, 0600) == 0;
  size_t done = 0;
  while (ok && done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  if (fd >= 0) ::close(fd);
  if (!ok) {
    std::perror(path.c_str());
    std::abort();
  }
}

}  // namespace fuzz

#endif  // PAM_TWILIO_OTP_TESTS_FUZZ_FUZZ_UTIL_H_
