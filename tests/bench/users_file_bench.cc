// users_file_bench: the CPU one login spends finding its user in a users
// file of 1, 1k, 100k and 1M lines (make bench). Runs the real
// twotp::UsersFile::Lookup on a file it writes in a scratch directory, for
// the first, middle and last user and one who is absent, and prints one line
// per size with the median CPU time (CLOCK_PROCESS_CPUTIME_ID) of --runs
// lookups each, and the ratio to the 1-line file:
//
//   users_file_bench [--runs 15] [--dir /tmp]
//
// A lookup that finds another number than the user's, or finds the absent
// user, is an error (exit 1): a fast wrong answer is not a figure.
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/file_trust.h"
#include "base/logger.h"
#include "directory/users_file.h"

namespace {

class QuietLogger : public twotp::Logger {
 public:
  void Write(twotp::LogLevel, const std::string&) override {}
};

std::string Name(long i) {
  char name[16];
  std::snprintf(name, sizeof name, "user%07ld", i);
  return name;
}

std::string Number(long i) {
  char number[16];
  std::snprintf(number, sizeof number, "+1555%07ld", i);
  return number;
}

bool WriteUsers(const std::string& path, long lines) {
  FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) return false;
  for (long i = 0; i < lines; ++i) {
    std::fprintf(out, "%s %s sms 2026-11-23T19:00:00Z\n", Name(i).c_str(), Number(i).c_str());
  }
  return std::fclose(out) == 0 && chmod(path.c_str(), 0600) == 0;
}

double CpuMs() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// The median CPU time of `runs` lookups of `user`; -1 when an answer is wrong.
double MedianLookupMs(twotp::UsersFile& users, const std::string& user, const std::string& number, int runs) {
  std::vector<double> times;
  for (int r = 0; r < runs; ++r) {
    const double start = CpuMs();
    twotp::Result<twotp::PhoneRecord> found = users.Lookup(user);
    times.push_back(CpuMs() - start);
    const bool right = number.empty() ? found.status().Is(twotp::Fault::kNotFound)
                                      : found.ok() && found->number == number;
    if (!right) return -1;
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 15;
  std::string dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
  }
  std::string scratch = dir + "/users_file_bench.XXXXXX";
  if (mkdtemp(scratch.data()) == nullptr) return 1;
  const std::string path = scratch + "/users";
  const twotp::FileTrust trust(getuid());
  QuietLogger log;
  double one_line = 0;
  int status = 0;
  std::printf("users file lookup, median CPU of %d lookups (ms): first, middle, last, absent; last / 1-line file\n",
              runs);
  for (long lines : {1L, 1000L, 100000L, 1000000L}) {
    if (!WriteUsers(path, lines)) return 1;
    twotp::UsersFile users(path, trust, log);
    const long middle = lines / 2;
    const double first = MedianLookupMs(users, Name(0), Number(0), runs);
    const double mid = MedianLookupMs(users, Name(middle), Number(middle), runs);
    const double last = MedianLookupMs(users, Name(lines - 1), Number(lines - 1), runs);
    const double absent = MedianLookupMs(users, "nobody", "", runs);
    if (first < 0 || mid < 0 || last < 0 || absent < 0) {
      std::fprintf(stderr, "users_file_bench: a wrong answer at %ld lines\n", lines);
      status = 1;
      break;
    }
    if (lines == 1) one_line = last;
    std::printf("  %8ld lines: %8.3f %8.3f %8.3f %8.3f   %6.1fx\n", lines, first, mid, last, absent,
                one_line > 0 ? last / one_line : 0.0);
  }
  unlink(path.c_str());
  rmdir(scratch.c_str());
  return status;
}
