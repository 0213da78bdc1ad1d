#include "logger.h"

#include <cstdio>

namespace twotp {

namespace {
const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kNotice: return "notice";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
    case LogLevel::kCritical: return "critical";
  }
  return "log";
}
}  // namespace

void StderrLogger::Log(LogLevel level, const std::string& line) {
  if (level == LogLevel::kDebug && !debug_) return;
  std::fprintf(stderr, "twilio-otp: %s: %s\n", LevelName(level), line.c_str());
}

}  // namespace twotp
