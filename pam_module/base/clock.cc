#include "base/clock.h"

#include <thread>

namespace twotp {

std::chrono::steady_clock::time_point SystemClock::Now() { return std::chrono::steady_clock::now(); }

std::time_t SystemClock::WallNow() { return std::time(nullptr); }

void SystemClock::SleepFor(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

std::string IsoUtc(std::time_t t) {
  struct tm tm = {};
  gmtime_r(&t, &tm);
  char buf[32] = {};
  const size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

Clock& DefaultClock() {
  static SystemClock clock;
  return clock;
}

}  // namespace twotp
