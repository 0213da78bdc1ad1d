// `twilio-otp remove USER`: deletes the user's number: their line in the
// users file (and any malformed line that names them, keeping every other
// line as it is), or the number attribute on their LDAP entry. With "totp"
// in policy.channels (verify mode) the user's authenticator apps are
// deleted at Twilio too: a removed user's app must not still pass a login
// on a host that still has a record for them.
#include <algorithm>
#include <cstdio>

#include "base/clock.h"
#include "base/file_trust.h"
#include "cli.h"
#include "twilio/totp_factors.h"
#include "twilio/twilio_session.h"

namespace twotp::cli {

namespace {

bool UsesApps(const Config& config) {
  const std::vector<Channel>& channels = config.policy.channels;
  return config.twilio.mode == Mode::kVerify &&
         std::find(channels.begin(), channels.end(), Channel::kTotp) != channels.end();
}

// Deletes `user`'s TOTP factors at Twilio; how many, or why not.
Result<size_t> DeleteApps(const Config& config, const std::string& user) {
  Result<std::unique_ptr<TwilioSession>> session = TwilioSession::Open(config, FileTrust(0), DefaultClock());
  if (!session.ok()) return session.status();
  TotpFactors factors(session.value()->client());
  const std::string identity = TotpIdentity(user);
  Result<std::vector<std::string>> verified = factors.Verified(identity);
  if (!verified.ok()) return verified.status();
  for (const std::string& sid : verified.value()) {
    if (Status deleted = factors.Delete(identity, sid); !deleted.ok()) return deleted;
  }
  return verified->size();
}

}  // namespace

int RunRemove(const Args& args) {
  const std::string& user = args.positional[0];
  std::optional<Config> config = LoadConfigOrReport(args.config_path);
  if (!config) return kExitRefused;
  std::unique_ptr<Directory> directory = OpenPhoneDirectory(*config, CliLogger());
  Status removed = directory->Remove(user);
  // No record left (a remove that deleted it but not the apps) still deletes the apps.
  if (!removed.ok() && !(removed.Is(Fault::kNotFound) && UsesApps(*config))) return Refuse(removed);
  if (removed.ok()) std::printf("removed %s from %s\n", Printable(user).c_str(), Printable(directory->Where()).c_str());
  if (!UsesApps(*config)) return kExitOk;
  Result<size_t> apps = DeleteApps(*config, user);
  if (!apps.ok()) {
    std::fprintf(stderr, "twilio-otp: %s's authenticator app could not be deleted at Twilio (%s); run remove "
                 "again, or delete the factors of entity %s in the Console\n",
                 Printable(user).c_str(), apps.status().message().c_str(), TotpIdentity(user).c_str());
    return kExitRefused;
  }
  if (apps.value() > 0) {
    std::printf("deleted %zu authenticator app(s) of %s at Twilio\n", apps.value(), Printable(user).c_str());
  }
  if (!removed.ok() && apps.value() == 0) return Refuse(removed);  // nothing anywhere
  return kExitOk;
}

}  // namespace twotp::cli
