// Logger: where core code reports. The module logs through pam_syslog
// (authpriv), the CLI to stderr, tests into a vector. Lines must never hold
// a secret or a full phone number (use MaskNumber from phone.h).
//
// Every line passes Log, which escapes it once for every sink: callers put
// user names, paths, commands and server replies into lines as they are,
// and a newline in any of them can't forge a second syslog line.
#ifndef PAM_TWILIO_OTP_LOGGER_H_
#define PAM_TWILIO_OTP_LOGGER_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace twotp {

enum class LogLevel { kDebug, kInfo, kNotice, kWarning, kError, kCritical };

// The longest line a sink receives, in bytes, escapes included: syslog
// daemons cut longer messages anywhere, and one caller-made field must not
// push the rest of the line out.
inline constexpr size_t kMaxLogLine = 2048;

// `text` as one unambiguous line of printable text: control bytes (< 0x20,
// DEL), C1 controls and bytes that are not valid UTF-8 become "\xNN" (or
// "\n", "\r", "\t"), and '\' becomes "\\", so an escape in the output always
// stands for a byte of the input. Valid UTF-8 letters pass unchanged. The
// result is at most `max_bytes` long; a cut one ends in "...[cut]", never
// inside an escape or a character.
std::string EscapeLogLine(std::string_view text, size_t max_bytes = kMaxLogLine);

// At most `max_bytes` of a caller's value ("..." marks a cut), for a field
// of a log line that must leave room for the rest ("user=... service=...").
// Escaping is Log's job; this only bounds the length.
std::string LogField(std::string_view value, size_t max_bytes = 64);

class Logger {
 public:
  virtual ~Logger() = default;
  // Escapes `line` (EscapeLogLine) and hands it to the sink. Not virtual:
  // no sink can skip the escaping.
  void Log(LogLevel level, std::string_view line) { Write(level, EscapeLogLine(line)); }
  // Debug lines are dropped unless the module argument `debug` was given.
  virtual bool debug_enabled() const { return false; }
  void Debug(std::string_view l) { if (debug_enabled()) Log(LogLevel::kDebug, l); }
  void Info(std::string_view l) { Log(LogLevel::kInfo, l); }
  void Notice(std::string_view l) { Log(LogLevel::kNotice, l); }
  void Warning(std::string_view l) { Log(LogLevel::kWarning, l); }
  void Error(std::string_view l) { Log(LogLevel::kError, l); }
  void Critical(std::string_view l) { Log(LogLevel::kCritical, l); }

 protected:
  // The sink: writes one line that Log has escaped and bounded already.
  virtual void Write(LogLevel level, const std::string& escaped_line) = 0;
  // For sinks that pass lines on to another logger (the CLI's counter):
  // the line is escaped already, so it must not be escaped twice.
  static void Forward(Logger& to, LogLevel level, const std::string& escaped_line) {
    to.Write(level, escaped_line);
  }
};

// Writes "twilio-otp: warning: ..." lines to stderr (the CLI's sink).
class StderrLogger : public Logger {
 public:
  explicit StderrLogger(bool debug = false) : debug_(debug) {}
  bool debug_enabled() const override { return debug_; }

 protected:
  void Write(LogLevel level, const std::string& escaped_line) override;

 private:
  bool debug_;
};

// Drops everything (for callers that have nowhere to report).
class NullLogger : public Logger {
 protected:
  void Write(LogLevel, const std::string&) override {}
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LOGGER_H_
