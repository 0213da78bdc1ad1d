// Helpers every subcommand uses: reporting, config, the users file, time.
#include <time.h>

#include <array>
#include <cstdio>

#include "cli.h"
#include "clock.h"

namespace twotp::cli {

namespace {

// Root owns the users file and the state in production; the trust object
// must outlive every UsersFile and StateStore, so one static serves them all.
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

Result<std::unique_ptr<UsersFile>> OpenUsersFile(const Config& config, Logger& log) {
  if (config.directory.backend != Backend::kFile) {
    return Status::ConfigError(config.path + ": directory.backend is \"ldap\": twilio-otp manages only the "
                               "file backend; change numbers in the directory itself");
  }
  return std::make_unique<UsersFile>(config.directory.file, RootTrust(), log);
}

StateStore OpenStateStore(const Config& config) { return StateStore(config.state_dir, RootTrust()); }

std::string NowIso8601() { return IsoUtc(DefaultClock().WallNow()); }

Logger& CliLogger() {
  static StderrLogger logger;
  return logger;
}

void CountingLogger::Log(LogLevel level, const std::string& line) {
  if (level >= LogLevel::kWarning) ++problems_;
  next_.Log(level, line);
}

}  // namespace twotp::cli
