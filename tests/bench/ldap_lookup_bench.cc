// ldap_lookup_bench: the time one login spends finding its user's number in
// a large LDAP directory. Runs the real twotp::LdapDirectory::Lookup, which
// opens one connection per call (connect, TLS, bind, search, unbind), so each
// figure is the whole cost a login pays, not just the search.
//
// tests/bench/ldap_lookup_bench.sh starts the slapd (tests/ldap/slapd_env.sh,
// SLAPD_EXTRA_USERS=N: user000000.. with mobile +1555NNNNNNN) and runs this:
//
//   ldap_lookup_bench --uri URI --base BASE --users N [--runs 100] [--warmup 5]
//                     [--ca FILE] [--bind-dn DN --password-file FILE]
//
// Looks up --runs users spread evenly over user000000..user(N-1) (first and
// last included), after --warmup untimed lookups, and prints one line:
//
//   ldap lookup, N entries: median M ms, p90 P ms, max X ms over R (ldap://, anonymous)
//
// Any lookup that fails or returns another number than the user's is an
// error (exit 1): a fast wrong answer is not a figure.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "config/config.h"
#include "base/file_trust.h"
#include "directory/ldap_directory.h"
#include "base/logger.h"

namespace {

// The directory's warnings (a server skipped, a retry) go to stderr: the
// bench must not hide that a figure includes a failover.
class BenchLogger : public twotp::Logger {
 public:
  void Write(twotp::LogLevel, const std::string& line) override {
    std::cerr << "ldap_lookup_bench: log: " << line << '\n';
  }
};

[[noreturn]] void Usage(const std::string& why) {
  std::cerr << "ldap_lookup_bench: " << why << "\n"
            << "usage: ldap_lookup_bench --uri URI --base BASE --users N [--runs R] [--warmup W]\n"
            << "                         [--ca FILE] [--bind-dn DN --password-file FILE]\n";
  std::exit(2);
}

int PositiveInt(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 1 || v > 100000000) Usage(flag + " wants a positive integer");
  return static_cast<int>(v);
}

std::string Name(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "user%06d", i);
  return buf;
}

// The number slapd_env.sh gives user i.
std::string Number(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "+1555%07d", i);
  return buf;
}

// Nearest-rank percentile of sorted values (p in (0, 100]).
double Percentile(const std::vector<double>& sorted, double p) {
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

double Median(const std::vector<double>& sorted) {
  size_t n = sorted.size();
  return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

// One lookup of user i; exits 1 unless it returns user i's number.
void LookupOrDie(twotp::LdapDirectory& dir, int i) {
  const std::string user = Name(i);
  twotp::Result<twotp::PhoneRecord> r = dir.Lookup(user);
  if (!r.ok()) {
    std::cerr << "ldap_lookup_bench: FAILED: lookup of " << user << ": " << r.status().ToString() << '\n';
    std::exit(1);
  }
  if (r->number != Number(i)) {
    std::cerr << "ldap_lookup_bench: FAILED: lookup of " << user << " returned " << r->number
              << ", expected " << Number(i) << '\n';
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  twotp::LdapConfig config;
  int users = 0;
  int runs = 100;
  int warmup = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Usage(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--uri") config.uri.push_back(value);
    else if (flag == "--base") config.base = value;
    else if (flag == "--users") users = PositiveInt(flag, value);
    else if (flag == "--runs") runs = PositiveInt(flag, value);
    else if (flag == "--warmup") warmup = PositiveInt(flag, value);
    else if (flag == "--ca") config.ca_file = value;
    else if (flag == "--bind-dn") config.bind_dn = value;
    else if (flag == "--password-file") config.bind_password_file = value;
    else Usage("unknown argument " + flag);
  }
  if (config.uri.empty() || config.base.empty() || users == 0) Usage("--uri, --base and --users are required");
  if (config.bind_dn.empty() != config.bind_password_file.empty())
    Usage("--bind-dn and --password-file go together");

  BenchLogger log;
  // The password file belongs to whoever runs the bench (slapd_env.sh makes
  // it 0600, ours), as it belongs to root in production.
  twotp::FileTrust trust(getuid());
  twotp::LdapDirectory dir(config, trust, log);

  // Warm-up: the first connection pays for loading libldap's and OpenSSL's
  // configuration, and slapd for paging in the index; a login on a busy
  // host finds both warm.
  for (int i = 0; i < warmup; ++i) LookupOrDie(dir, static_cast<int>((static_cast<long>(i) * 7919) % users));

  std::vector<double> ms;
  ms.reserve(runs);
  for (int k = 0; k < runs; ++k) {
    // Spread over the directory, first and last user included.
    const int i = runs == 1 ? 0 : static_cast<int>(static_cast<long>(k) * (users - 1) / (runs - 1));
    const auto start = std::chrono::steady_clock::now();
    LookupOrDie(dir, i);
    const auto end = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(ms.begin(), ms.end());

  const std::string& uri = config.uri.front();
  const size_t colon = uri.find("://");
  const std::string scheme = colon == std::string::npos ? uri : uri.substr(0, colon + 3);
  const std::string how = config.bind_dn.empty() ? "anonymous" : "simple bind";
  std::printf("ldap lookup, %d entries: median %.2f ms, p90 %.2f ms, max %.2f ms over %d (%s, %s%s)\n", users,
              Median(ms), Percentile(ms, 90), ms.back(), runs, scheme.c_str(), how.c_str(),
              config.ca_file.empty() ? "" : ", CA file");
  return 0;
}
