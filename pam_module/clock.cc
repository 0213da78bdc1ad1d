#include "clock.h"

#include <thread>

namespace twotp {

std::chrono::steady_clock::time_point SystemClock::Now() { return std::chrono::steady_clock::now(); }

std::time_t SystemClock::WallNow() { return std::time(nullptr); }

void SystemClock::SleepFor(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

Clock& DefaultClock() {
  static SystemClock clock;
  return clock;
}

}  // namespace twotp
