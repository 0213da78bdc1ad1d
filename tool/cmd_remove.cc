// `twilio-otp remove USER`: deletes the user's record (and any malformed
// line that names the user), keeping every other line as it is.
#include <cstdio>

#include "cli.h"

namespace twotp::cli {

int RunRemove(const Args& args) {
  const std::string& user = args.positional[0];
  std::optional<Config> config = LoadConfigOrReport(args.config_path);
  if (!config) return kExitRefused;
  Result<std::unique_ptr<UsersFile>> users = OpenUsersFile(*config, CliLogger());
  if (!users.ok()) return Refuse(users.status());
  Status removed = users.value()->Remove(user);
  if (!removed.ok()) return Refuse(removed);
  std::printf("removed %s from %s\n", user.c_str(), config->directory.file.c_str());
  return kExitOk;
}

}  // namespace twotp::cli
