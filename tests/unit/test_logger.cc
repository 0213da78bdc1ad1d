// base/logger: the logger escapes every line once, whatever sink it goes to: a
// newline, a CR or an ESC sequence in a user name, a path or a server reply can
// neither forge a syslog line nor rewrite what an administrator's terminal
// shows, and the output says unambiguously which bytes came in.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "base/logger.h"

// Last: cmocka defines macros (fail) that clash with the C++ library.
#include "cmocka_cxx.h"

using twotp::EscapeLogLine;
using twotp::kMaxLogLine;
using twotp::Logger;
using twotp::LogLevel;

namespace {

class CapturingLogger : public Logger {
 public:
  std::vector<std::string> lines;

 protected:
  void Write(LogLevel, const std::string& line) override { lines.push_back(line); }
};

// Passes lines on as the CLI's CountingLogger does.
class ForwardingLogger : public Logger {
 public:
  explicit ForwardingLogger(Logger& next) : next_(next) {}

 protected:
  void Write(LogLevel level, const std::string& line) override { Forward(next_, level, line); }

 private:
  Logger& next_;
};

// What `log` writes to stderr while it runs, read back from a temp file.
template <typename Body>
std::string CaptureStderr(Body log) {
  char path[] = "/tmp/test_logger.XXXXXX";
  const int fd = mkstemp(path);
  assert_true(fd >= 0);
  unlink(path);
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  assert_true(saved >= 0 && dup2(fd, STDERR_FILENO) >= 0);
  log();
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string text;
  char buffer[4096];
  ssize_t n;
  lseek(fd, 0, SEEK_SET);
  while ((n = read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  close(fd);
  return text;
}

void ExpectEscaped(const std::string& in, const std::string& expected) {
  const std::string out = EscapeLogLine(in);
  if (out != expected) {
    print_error("escaped: [%s]\nexpected: [%s]\n", out.c_str(), expected.c_str());
    fail();
  }
}

void test_control_bytes_become_escapes(void**) {
  const struct {
    std::string in, out;
  } rows[] = {
      {"user=alice service=sshd", "user=alice service=sshd"},
      {"user=a\nb result=success", "user=a\\nb result=success"},
      {"a\r\tb", "a\\r\\tb"},
      {"\x1b[2J\x1b]0;root\x07", "\\x1b[2J\\x1b]0;root\\x07"},
      {"del\x7f", "del\\x7f"},
      {std::string("nul\0byte", 8), "nul\\x00byte"},
      // The backslash itself, so "\\n" in the output can only come from a backslash and an n.
      {"C:\\new", "C:\\\\new"},
      {"\\x41", "\\\\x41"},
  };
  for (const auto& row : rows) ExpectEscaped(row.in, row.out);
}

void test_utf8_passes_and_bad_bytes_become_escapes(void**) {
  const struct {
    std::string in, out;
  } rows[] = {
      {"Jos\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91", "Jos\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91"},  // é € key
      {"\xff\xfe\xfd", "\\xff\\xfe\\xfd"},
      {"cut\xc3", "cut\\xc3"},                            // a character's lead byte alone
      {"\xc0\xae\xc0\xae/", "\\xc0\\xae\\xc0\\xae/"},      // overlong "../"
      {"\xed\xa0\x80", "\\xed\\xa0\\x80"},                // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},       // above U+10FFFF
      {"\xc2\x9b" "2J", "\\xc2\\x9b2J"},                  // C1 CSI: ESC [ in one character
      {"a\xe2\x80\xa8" "b", "a\\xe2\\x80\\xa8b"},         // U+2028 LINE SEPARATOR
      {"\xe2\x80\xaeroot", "\\xe2\\x80\\xaeroot"},        // U+202E RIGHT-TO-LEFT OVERRIDE
  };
  for (const auto& row : rows) ExpectEscaped(row.in, row.out);
}

void test_long_lines_are_cut_between_escapes(void**) {
  const std::string fits(kMaxLogLine, 'a');
  assert_true(EscapeLogLine(fits) == fits);

  const std::string out = EscapeLogLine(std::string(kMaxLogLine + 1, 'a'));
  assert_int_equal(out.size(), kMaxLogLine);
  assert_true(out.ends_with("...[cut]"));

  // Each newline is two bytes out: the cut never leaves half an escape.
  const std::string newlines = EscapeLogLine(std::string(5000, '\n'));
  assert_true(newlines.size() <= kMaxLogLine);
  assert_true(newlines.ends_with("...[cut]"));
  const std::string kept = newlines.substr(0, newlines.size() - 8);
  assert_int_equal(kept.size() % 2, 0);
  for (size_t i = 0; i < kept.size(); i += 2) assert_true(kept.compare(i, 2, "\\n") == 0);

  // Nor half a character.
  std::string accents;
  for (int i = 0; i < 3000; ++i) accents += "\xc3\xa9";
  const std::string cut = EscapeLogLine(accents, 101);
  assert_true(cut.ends_with("...[cut]"));
  assert_int_equal((cut.size() - 8) % 2, 0);
  assert_true(cut.find('\\') == std::string::npos);
}

void test_log_field_bounds_without_splitting_a_character(void**) {
  assert_string_equal(twotp::LogField("alice").c_str(), "alice");
  assert_string_equal(twotp::LogField(std::string(70, 'x'), 64).c_str(), (std::string(64, 'x') + "...").c_str());
  assert_string_equal(twotp::LogField("\xc3\xa9\xc3\xa9", 3).c_str(), "\xc3\xa9...");
}

// Every sink a test can read gets the escaped line, and only once.
void test_every_sink_gets_the_line_escaped_once(void**) {
  const std::string forged = "user=mallory\nMay  1 00:00:00 host sshd[1]: Accepted password for root \x1b[8m";
  const std::string escaped = "user=mallory\\nMay  1 00:00:00 host sshd[1]: Accepted password for root \\x1b[8m";

  CapturingLogger captured;
  captured.Warning(forged);
  assert_int_equal(captured.lines.size(), 1);
  assert_string_equal(captured.lines[0].c_str(), escaped.c_str());

  CapturingLogger behind;
  ForwardingLogger forwarding(behind);
  forwarding.Error(forged);
  assert_int_equal(behind.lines.size(), 1);
  assert_string_equal(behind.lines[0].c_str(), escaped.c_str());  // not "\\\\n"

  const std::string stderr_text = CaptureStderr([&] {
    twotp::StderrLogger logger;
    logger.Warning(forged);
  });
  assert_string_equal(stderr_text.c_str(), ("twilio-otp: warning: " + escaped + "\n").c_str());

  const std::string nothing = CaptureStderr([&] {
    twotp::NullLogger logger;
    logger.Critical(forged);
  });
  assert_true(nothing.empty());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_control_bytes_become_escapes),
      cmocka_unit_test(test_utf8_passes_and_bad_bytes_become_escapes),
      cmocka_unit_test(test_long_lines_are_cut_between_escapes),
      cmocka_unit_test(test_log_field_bounds_without_splitting_a_character),
      cmocka_unit_test(test_every_sink_gets_the_line_escaped_once),
  };
  return cmocka_run_group_tests_name("logger", tests, nullptr, nullptr);
}
