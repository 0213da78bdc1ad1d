// Clock: the one seam for time, so tests can prove expiry and backoff on a
// fake clock instead of sleeping.
#ifndef PAM_TWILIO_OTP_CLOCK_H_
#define PAM_TWILIO_OTP_CLOCK_H_

#include <chrono>
#include <ctime>
#include <string>

namespace twotp {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for TTLs and deadlines within one process.
  virtual std::chrono::steady_clock::time_point Now() = 0;
  // Wall-clock seconds since the epoch, for what is written to disk.
  virtual std::time_t WallNow() = 0;
  virtual void SleepFor(std::chrono::milliseconds d) = 0;
};

class SystemClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override;
  std::time_t WallNow() override;
  void SleepFor(std::chrono::milliseconds d) override;
};

// A shared SystemClock for production callers.
Clock& DefaultClock();

// `t` (epoch seconds) as UTC "2026-11-23T19:00:00Z", the form of the users
// file's VERIFIED_AT and of the CLI's times.
std::string IsoUtc(std::time_t t);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_CLOCK_H_
