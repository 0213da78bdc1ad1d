// TWOTP_SOAK=N: N full logins in one process (real PAM, real TLS to the
// stand-in), measuring the heap in use after the first tenth and at the
// end (resident size is printed too). A leak of even a few hundred bytes
// per login shows as growth; the run fails when the heap grows by more than
// kAllowedGrowthKiB.
#include <malloc.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "harness.h"

namespace {

// Room for allocator noise (arenas, TLS session caches), far below what
// 900 leaking logins would add.
constexpr long kAllowedGrowthKiB = 1024;

// Heap bytes in use (glibc): what a leak grows, without the allocator's
// fragmentation that RSS also counts.
long HeapInUseKiB() { return static_cast<long>(mallinfo2().uordblks / 1024); }

long ResidentKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

int RunSoak(int logins) {
  // Logins take a few ms each: ten users in turn stay under the cap of
  // limits.sends_per_window (at most 100) in the shortest send_window (1 s).
  constexpr int kUsers = 10;
  std::string users;
  for (int u = 0; u < kUsers; ++u) users += "soak" + std::to_string(u) + " +1555030010" + std::to_string(u) + " sms -\n";
  itest::WriteUsers(itest::UsersFilePath(), users);
  itest::ConfigOptions options;
  options.limits = "resend_cooldown = 0; sends_per_window = 100; send_window = 1; global_sends_per_hour = 100000;";
  const std::string service = itest::MakeService("soak", options);
  const int warmup = logins / 10;
  long after_warmup = 0, heap_after_warmup = 0;
  for (int i = 0; i < logins; ++i) {
    if (i == warmup) {
      after_warmup = ResidentKiB();
      heap_after_warmup = HeapInUseKiB();
    }
    const std::string u = std::to_string(i % kUsers);
    itest::Dialogue dialogue{"+1555030010" + u, {itest::Right()}};
    const int rc = itest::RunLogin(service, "soak" + u, dialogue);
    if (rc != PAM_SUCCESS) {
      std::printf("[  FAILED  ] soak: login %d returned %d\n", i + 1, rc);
      return 1;
    }
  }
  const long at_end = ResidentKiB();
  const long heap_at_end = HeapInUseKiB();
  const long growth = heap_at_end - heap_after_warmup;
  std::printf("soak: %d logins in one process; heap in use %ld KiB after %d, %ld KiB after %d (%+ld KiB); "
              "resident %ld KiB, then %ld KiB\n",
              logins, heap_after_warmup, warmup, heap_at_end, logins, growth, after_warmup, at_end);
  if (growth > kAllowedGrowthKiB) {
    std::printf("[  FAILED  ] soak: memory grew by %ld KiB (allowed %ld)\n", growth, kAllowedGrowthKiB);
    return 1;
  }
  std::printf("[  PASSED  ] 1 test(s).\n");
  return 0;
}
