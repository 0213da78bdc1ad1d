#include "fleet_state_cli.h"

#include <algorithm>
#include <cstdio>

#include <openssl/rand.h>

#include "base/clock.h"
#include "base/hex.h"
#include "cli.h"
#include "state/fleet_values.h"

namespace twotp::cli {

std::unique_ptr<Directory> OpenFleetDirectory(const Config& config) {
  if (config.state.backend != StateBackend::kLdap) return nullptr;
  return OpenPhoneDirectory(config, CliLogger());
}

Result<UserState> MergeFleetState(FleetStore& fleet, const Config& config, const std::string& user,
                                  UserState local) {
  Result<FleetValues> values = fleet.Read(user);
  if (!values.ok()) return values.status();
  Result<UserState> shared = FleetUserState(user, values->failures, values->backup_codes, values->grace,
                                            config.limits, DefaultClock().WallNow(), std::nullopt);
  if (!shared.ok()) return shared.status();
  local.failures = std::move(shared->failures);
  local.locked_until = shared->locked_until;
  local.backup_codes = std::move(shared->backup_codes);
  local.attempts.clear();
  local.grace.clear();
  for (const std::string& value : values->grace) {
    if (const auto stamp = ParseFleetGrace(value)) local.grace[stamp->first] = stamp->second;
  }
  return local;
}

void PrepareFleetEntry(const Config& config, Directory& directory, const std::string& user) {
  if (config.state.backend != StateBackend::kLdap || directory.Fleet() == nullptr) return;
  if (Status prepared = directory.Fleet()->PrepareEntry(user); !prepared.ok()) {
    std::fprintf(stderr, "twilio-otp: warning: could not give %s's entry the class twilioOtpState (%s); with "
                 "multi-provider replication add it before the hosts write (README, \"A fleet that shares one "
                 "truth\")\n", Printable(user).c_str(), Printable(prepared.message()).c_str());
  }
}

Status UnlockFleet(FleetStore& fleet, const Config& config, const std::string& user, UserState* before) {
  Result<UserState> state = MergeFleetState(fleet, config, user, UserState{});
  if (state.ok()) *before = std::move(state.value());
  // A malformed value is exactly what an unlock must clear.
  if (!state.ok() && !state.status().Is(Fault::kState)) return state.status();
  if (Status cleared = fleet.Replace(user, FleetAttribute::kFailure, {}); !cleared.ok()) return cleared;
  return fleet.Replace(user, FleetAttribute::kGrace, {});
}

Status ProbeFleetWrites(FleetStore& fleet, const std::string& user) {
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1) return Status::Internal("RAND_bytes failed");
  const std::string probe = FormatFleetGrace(ToHex(random, sizeof random), DefaultClock().WallNow());
  if (Status added = fleet.Add(user, FleetAttribute::kGrace, probe); !added.ok()) return added;
  return fleet.Delete(user, FleetAttribute::kGrace, probe);
}

Result<std::vector<FleetLockedUser>> LockedOutFleetWide(FleetStore& fleet, const Config& config, int* unreadable) {
  *unreadable = 0;
  Result<std::vector<std::pair<std::string, FleetValues>>> users = fleet.UsersWith(FleetAttribute::kFailure);
  if (!users.ok()) return users.status();
  const std::time_t now = DefaultClock().WallNow();
  std::vector<FleetLockedUser> out;
  for (const auto& [user, values] : users.value()) {
    Result<twotp::FleetLockout> lockout = AddUpFailures(values.failures, config.limits, now);
    if (!lockout.ok()) {
      Refuse(Status::StateError(user + ": " + lockout.status().message()));
      ++*unreadable;
    } else if (lockout->locked_until > now) {
      out.push_back({user, lockout->locked_until, lockout->live.size()});
    }
  }
  std::sort(out.begin(), out.end(), [](const FleetLockedUser& a, const FleetLockedUser& b) { return a.user < b.user; });
  return out;
}

}  // namespace twotp::cli
