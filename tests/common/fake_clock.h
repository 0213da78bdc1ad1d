// FakeClock: a Clock for tests. Time moves only when a test says so
// (Advance) or when the code under test sleeps (SleepFor), so expiry and
// backoff are proved without waiting.
#ifndef PAM_TWILIO_OTP_TESTS_FAKE_CLOCK_H_
#define PAM_TWILIO_OTP_TESTS_FAKE_CLOCK_H_

#include <chrono>
#include <ctime>
#include <vector>

#include "base/clock.h"

namespace twotp {

class FakeClock : public Clock {
 public:
  // Starts at an arbitrary steady time and at `wall_start` on the wall clock.
  explicit FakeClock(std::time_t wall_start = 1700000000) : wall_start_(wall_start) {}

  std::chrono::steady_clock::time_point Now() override { return std::chrono::steady_clock::time_point() + elapsed_; }
  std::time_t WallNow() override {
    return wall_start_ + static_cast<std::time_t>(std::chrono::duration_cast<std::chrono::seconds>(elapsed_).count());
  }
  // Advances time by `d` at once and remembers the sleep.
  void SleepFor(std::chrono::milliseconds d) override {
    sleeps_.push_back(d);
    elapsed_ += d;
  }

  void Advance(std::chrono::milliseconds d) { elapsed_ += d; }
  // Every SleepFor the code under test made, in order.
  const std::vector<std::chrono::milliseconds>& sleeps() const { return sleeps_; }

 private:
  std::time_t wall_start_;
  std::chrono::milliseconds elapsed_{0};
  std::vector<std::chrono::milliseconds> sleeps_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_TESTS_FAKE_CLOCK_H_
