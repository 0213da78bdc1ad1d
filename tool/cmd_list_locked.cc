// `twilio-otp list --locked [--json]`: the users this host's module locks
// out now, from the state files (state_dir/users/*.json), each read under
// its shared lock as `status` reads it. The phone directory is not asked: a
// lockout outlives a removed number, and is this host's alone.
#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "base/clock.h"
#include "base/hex.h"
#include "base/sys_text.h"
#include "cli.h"
#include "fleet_state_cli.h"

namespace twotp::cli {

namespace {

using json = nlohmann::ordered_json;

struct Lockout {
  std::string user;
  std::string path;
  std::time_t until;
  size_t failures;
};

// The user a file of state_dir/users/ holds the state of (the inverse of
// StateStore::UserPath), or nullopt for any other file: a lock, a temporary
// file, a name UserPath would never give.
std::optional<std::string> UserOfFile(const StateStore& store, const std::string& file) {
  constexpr std::string_view kSuffix = ".json";
  if (file.size() <= kSuffix.size() || !file.ends_with(kSuffix)) return std::nullopt;
  std::string user = file.substr(0, file.size() - kSuffix.size());
  if (user.front() == '%') {  // hex-encoded: a name that is not plain
    const std::string hex = user.substr(1);
    user.assign(hex.size() / 2, '\0');
    if (!FromHex(hex, reinterpret_cast<unsigned char*>(user.data()), user.size())) return std::nullopt;
  }
  if (store.UserPath(user) != store.dir() + "/users/" + file) return std::nullopt;
  return user;
}

// The users with a state file, sorted; none when state_dir/users/ doesn't
// exist yet (no login has written state).
Result<std::vector<std::string>> UsersWithState(const StateStore& store) {
  const std::string dir = store.dir() + "/users";
  std::unique_ptr<DIR, int (*)(DIR*)> listing(::opendir(dir.c_str()), ::closedir);
  if (!listing) {
    if (errno == ENOENT) return std::vector<std::string>{};
    return Status::StateError(SysErrorText(dir, "opendir", errno));
  }
  std::vector<std::string> users;
  errno = 0;
  while (const struct dirent* entry = ::readdir(listing.get())) {
    if (std::optional<std::string> user = UserOfFile(store, entry->d_name)) users.push_back(std::move(*user));
    errno = 0;
  }
  if (errno != 0) return Status::StateError(SysErrorText(dir, "readdir", errno));
  std::sort(users.begin(), users.end());
  return users;
}

void PrintTable(const std::vector<Lockout>& lockouts, std::time_t now) {
  size_t width = 4;
  for (const Lockout& l : lockouts) width = std::max(width, Printable(l.user).size());
  const int w = static_cast<int>(width);
  std::printf("%-*s  %-20s  %-7s  %s\n", w, "USER", "LOCKED UNTIL", "LEFT", "FAILED CODES");
  for (const Lockout& l : lockouts) {
    std::printf("%-*s  %-20s  %-7s  %zu\n", w, Printable(l.user).c_str(), IsoUtc(l.until).c_str(),
                TimeLeft(l.until - now).c_str(), l.failures);
  }
}

void PrintJson(const std::vector<Lockout>& lockouts) {
  json all = json::array();
  for (const Lockout& l : lockouts) {
    all.push_back(json{{"user", l.user}, {"locked_until", IsoUtc(l.until)}, {"failures", l.failures},
                       {"state_file", l.path}});
  }
  // User names may hold bytes that are not UTF-8; replace them rather than let dump() throw.
  std::printf("%s\n", all.dump(2, ' ', false, json::error_handler_t::replace).c_str());
}

// Prints the lockouts found in `where`; exit 1 when some users' state
// (`unreadable`, "3 state file(s)") could not be read.
int Report(const Args& args, const std::vector<Lockout>& lockouts, const std::string& where, int unreadable,
           const char* what) {
  if (args.Has("json")) {
    PrintJson(lockouts);
  } else if (lockouts.empty()) {
    std::fprintf(stderr, "twilio-otp: nobody is locked out (%s)\n", Printable(where).c_str());
  } else {
    PrintTable(lockouts, DefaultClock().WallNow());
  }
  if (unreadable > 0) {
    std::fprintf(stderr, "twilio-otp: %d %s could not be read; those users can't log in either\n", unreadable, what);
    return kExitRefused;
  }
  return kExitOk;
}

// The same list from the users' directory entries (state.backend = "ldap").
int ListLockedFleetWide(const Args& args, const Config& config, Directory& fleet) {
  int unreadable = 0;
  Result<std::vector<FleetLockedUser>> locked = LockedOutFleetWide(*fleet.Fleet(), config, &unreadable);
  if (!locked.ok()) return Refuse(locked.status());
  std::vector<Lockout> lockouts;
  for (const FleetLockedUser& l : locked.value()) lockouts.push_back({l.user, fleet.Where(), l.until, l.failures});
  return Report(args, lockouts, fleet.Where(), unreadable, "user(s)' fleet state");
}

}  // namespace

int RunListLocked(const Args& args) {
  std::optional<Config> config = LoadConfigOrReport(args.config_path);
  if (!config) return kExitRefused;
  if (const std::unique_ptr<Directory> fleet = OpenFleetDirectory(*config)) {
    return ListLockedFleetWide(args, *config, *fleet);
  }
  const StateStore store = OpenStateStore(*config);
  Result<std::vector<std::string>> users = UsersWithState(store);
  if (!users.ok()) return Refuse(users.status());
  const std::time_t now = DefaultClock().WallNow();
  std::vector<Lockout> lockouts;
  int unreadable = 0;
  for (const std::string& user : users.value()) {
    Result<UserState> state = store.Read(user);
    if (!state.ok()) {
      // The module refuses this user's logins too, until it is fixed.
      Refuse(state.status());
      ++unreadable;
    } else if (state->locked_until > now) {
      lockouts.push_back({user, store.UserPath(user), state->locked_until, state->failures.size()});
    }
  }
  return Report(args, lockouts, store.dir(), unreadable, "state file(s)");
}

}  // namespace twotp::cli
