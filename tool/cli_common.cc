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
  // Messages carry what callers typed and what files and servers hold.
  std::fprintf(stderr, "twilio-otp: %s\n", Printable(status.ToString()).c_str());
  if (status.user_message()) std::fprintf(stderr, "twilio-otp: %s\n", Printable(*status.user_message()).c_str());
  return kExitRefused;
}

std::string Printable(std::string_view text) {
  constexpr size_t kNoCut = 64 * 1024;  // a terminal, not syslog: no need to cut
  return EscapeLogLine(text, kNoCut);
}

std::string TimeLeft(std::time_t seconds) {
  return seconds < 60 ? std::to_string(seconds) + " s" : std::to_string((seconds + 59) / 60) + " min";
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

UserArgument ReadUserArgument(const std::string& typed, bool warn) {
  Result<std::string> account = CanonicalAccountName(typed);
  if (!account.ok()) {
    const bool unknown = account.status().Is(Fault::kNotFound);
    if (!unknown && warn) {
      std::fprintf(stderr, "twilio-otp: warning: %s; using the name as typed\n",
                   Printable(account.status().ToString()).c_str());
    }
    return UserArgument{typed, unknown, account.status()};
  }
  if (account.value() != typed) {
    std::fprintf(stderr, "twilio-otp: %s is the account %s (NSS); using %s\n", Printable(typed).c_str(),
                 Printable(account.value()).c_str(), Printable(account.value()).c_str());
  }
  return UserArgument{std::move(account.value()), false, Status::Ok()};
}

bool UnknownToNss(const std::string& name) { return FindAccount(name).status().Is(Fault::kNotFound); }

void CountingLogger::Write(LogLevel level, const std::string& escaped_line) {
  if (level >= LogLevel::kWarning) ++problems_;
  Forward(next_, level, escaped_line);
}

}  // namespace twotp::cli
