// Helpers every subcommand uses: reporting, config, the directory, time.
#include <time.h>

#include <array>
#include <cstdio>

#include "cli.h"
#include "base/clock.h"
#include "base/nss_account.h"
#include "directory/open_directory.h"

namespace twotp::cli {

namespace {

// Root owns the users file, the LDAP bind password and the state in
// production; the trust object must outlive every Directory and StateStore,
// so one static serves them all.
const FileTrust& RootTrust() {
  static const FileTrust kRootTrust(0);
  return kRootTrust;
}

}  // namespace

int Refuse(const Status& status) {
  std::fprintf(stderr, "twilio-otp: %s\n", status.ToString().c_str());
  if (status.user_message()) std::fprintf(stderr, "twilio-otp: %s\n", status.user_message()->c_str());
  return kExitRefused;
}

std::optional<Config> LoadConfigOrReport(const std::string& path) {
  Result<Config> config = LoadConfig(path, FileTrust(0));
  if (!config.ok()) {
    Refuse(config.status());
    return std::nullopt;
  }
  return std::move(config.value());
}

std::unique_ptr<Directory> OpenPhoneDirectory(const Config& config, Logger& log) {
  return OpenDirectory(config.directory, RootTrust(), log);
}

StateStore OpenStateStore(const Config& config) { return StateStore(config.state_dir, RootTrust()); }

std::string NowIso8601() { return IsoUtc(DefaultClock().WallNow()); }

Logger& CliLogger() {
  static StderrLogger logger;
  return logger;
}

std::string AccountArgument(const std::string& typed) {
  Result<std::string> account = CanonicalAccountName(typed);
  if (!account.ok()) {
    if (!account.status().Is(Fault::kNotFound)) {
      std::fprintf(stderr, "twilio-otp: warning: %s; using the name as typed\n", account.status().ToString().c_str());
    }
    return typed;
  }
  if (account.value() != typed) {
    std::fprintf(stderr, "twilio-otp: %s is the account %s (NSS); using %s\n", typed.c_str(), account->c_str(),
                 account->c_str());
  }
  return std::move(account.value());
}

void CountingLogger::Write(LogLevel level, const std::string& escaped_line) {
  if (level >= LogLevel::kWarning) ++problems_;
  Forward(next_, level, escaped_line);
}

}  // namespace twotp::cli
