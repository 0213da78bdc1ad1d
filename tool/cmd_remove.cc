// `twilio-otp remove USER`: deletes the user's number: their line in the
// users file (and any malformed line that names them, keeping every other
// line as it is), or the number attribute on their LDAP entry.
#include <cstdio>

#include "cli.h"

namespace twotp::cli {

int RunRemove(const Args& args) {
  const std::string& user = args.positional[0];
  std::optional<Config> config = LoadConfigOrReport(args.config_path);
  if (!config) return kExitRefused;
  std::unique_ptr<Directory> directory = OpenPhoneDirectory(*config, CliLogger());
  Status removed = directory->Remove(user);
  if (!removed.ok()) return Refuse(removed);
  std::printf("removed %s from %s\n", Printable(user).c_str(), Printable(directory->Where()).c_str());
  return kExitOk;
}

}  // namespace twotp::cli
