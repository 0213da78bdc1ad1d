// Logger: where core code reports. The module logs through pam_syslog
// (authpriv), the CLI to stderr, tests into a vector. Lines must never hold
// a secret or a full phone number (use MaskNumber from phone.h).
#ifndef PAM_TWILIO_OTP_LOGGER_H_
#define PAM_TWILIO_OTP_LOGGER_H_

#include <string>

namespace twotp {

enum class LogLevel { kDebug, kInfo, kNotice, kWarning, kError, kCritical };

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, const std::string& line) = 0;
  // Debug lines are dropped unless the module argument `debug` was given.
  virtual bool debug_enabled() const { return false; }
  void Debug(const std::string& l) { if (debug_enabled()) Log(LogLevel::kDebug, l); }
  void Info(const std::string& l) { Log(LogLevel::kInfo, l); }
  void Notice(const std::string& l) { Log(LogLevel::kNotice, l); }
  void Warning(const std::string& l) { Log(LogLevel::kWarning, l); }
  void Error(const std::string& l) { Log(LogLevel::kError, l); }
  void Critical(const std::string& l) { Log(LogLevel::kCritical, l); }
};

// Writes "twilio-otp: warning: ..." lines to stderr (the CLI's sink).
class StderrLogger : public Logger {
 public:
  explicit StderrLogger(bool debug = false) : debug_(debug) {}
  void Log(LogLevel level, const std::string& line) override;
  bool debug_enabled() const override { return debug_; }

 private:
  bool debug_;
};

// Drops everything (for callers that have nowhere to report).
class NullLogger : public Logger {
 public:
  void Log(LogLevel, const std::string&) override {}
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LOGGER_H_
