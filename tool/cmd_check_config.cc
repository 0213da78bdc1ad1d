// `twilio-otp check-config`: everything a login would read, checked the way
// the module checks it: the config, the Twilio secret file, and (file
// backend) every line of the users file. Prints "OK: PATH" or the problems.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>

#include "cli.h"

namespace twotp::cli {

namespace {

// Problems found in the users file; each is printed as a warning.
int CheckUsersFile(const Config& config) {
  CountingLogger counted(CliLogger());
  Result<std::unique_ptr<UsersFile>> users = OpenUsersFile(config, counted);
  if (!users.ok()) return Refuse(users.status()), 1;
  struct stat st;
  if (::lstat(config.directory.file.c_str(), &st) != 0 && errno == ENOENT) {
    std::fprintf(stderr, "twilio-otp: note: %s does not exist yet: every login is \"not enrolled\" until "
                 "`twilio-otp enroll` creates it\n", config.directory.file.c_str());
    return 0;
  }
  Result<std::vector<PhoneRecord>> records = users.value()->List();
  if (!records.ok()) return Refuse(records.status()), 1;
  return counted.problems();
}

}  // namespace

int RunCheckConfig(const Args& args) {
  std::optional<Config> config = LoadConfigOrReport(args.config_path);
  if (!config) return kExitRefused;
  int problems = 0;
  Result<TwilioCredentials> credentials = LoadTwilioCredentials(config->twilio, FileTrust(0));
  if (!credentials.ok()) {
    Refuse(credentials.status());
    ++problems;
  }
  if (config->directory.backend == Backend::kFile) problems += CheckUsersFile(*config);
  if (problems > 0) {
    std::fprintf(stderr, "twilio-otp: %d problem(s) found with %s\n", problems, args.config_path.c_str());
    return kExitRefused;
  }
  std::printf("OK: %s\n", args.config_path.c_str());
  return kExitOk;
}

}  // namespace twotp::cli
