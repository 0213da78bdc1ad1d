// `twilio-otp status USER [--json]` shows what the module remembers about a
// user (lockout, failed codes, recent sends, backup codes left, grace
// entries); `twilio-otp unlock USER` clears all of it but the backup codes.
// Neither needs the user to be enrolled: state outlives a removed number,
// and a removed account. status refuses only a name that is neither an
// account NSS knows nor in the state: most likely a typo.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "fleet_state_cli.h"
#include "base/clock.h"

namespace twotp::cli {

namespace {

// Ordered, so "user" comes first and the fields read as the text form does.
using json = nlohmann::ordered_json;

// A UserState as the administrator reads it, at `now` and under `limits`.
struct StateView {
  std::time_t locked_until = 0;  // 0 unless still locked at `now`
  size_t failures = 0;
  size_t sends_in_window = 0;
  std::time_t last_send = 0;     // 0 = never
  size_t backup_codes = 0;
  std::map<std::string, std::time_t> grace;
  std::time_t pending_sent_at = 0;
  std::string pending_channel;
};

StateView ViewOf(const UserState& state, const LimitsConfig& limits, std::time_t now) {
  StateView v;
  if (state.locked_until > now) v.locked_until = state.locked_until;
  v.failures = state.failures.size();
  // The same window send_limits.cc counts: a send at or before now - window is out.
  v.sends_in_window = static_cast<size_t>(std::count_if(
      state.sends.begin(), state.sends.end(), [&](std::time_t t) { return t > now - limits.send_window; }));
  if (!state.sends.empty()) v.last_send = *std::max_element(state.sends.begin(), state.sends.end());
  v.backup_codes = state.backup_codes.size();
  v.grace = state.grace;
  v.pending_sent_at = state.pending.sent_at;
  v.pending_channel = state.pending.channel;
  return v;
}

json TimeOrNull(std::time_t t) { return t == 0 ? json(nullptr) : json(IsoUtc(t)); }

json ViewJson(const std::string& user, const std::string& path, const std::string& fleet, const StateView& v,
              const LimitsConfig& limits) {
  json grace = json::object();
  for (const auto& [key, at] : v.grace) grace[key] = IsoUtc(at);
  return json{
      {"user", user},
      {"state_file", path},
      {"fleet_state", fleet.empty() ? json(nullptr) : json(fleet)},
      {"locked", v.locked_until != 0},
      {"locked_until", TimeOrNull(v.locked_until)},
      {"failures", v.failures},
      {"max_failures", limits.max_failures},
      {"sends_in_window", v.sends_in_window},
      {"send_window", limits.send_window},
      {"sends_per_window", limits.sends_per_window},
      {"last_send", TimeOrNull(v.last_send)},
      {"backup_codes_left", v.backup_codes},
      {"grace", grace},
      {"pending_code_sent_at", TimeOrNull(v.pending_sent_at)},
  };
}

void PrintView(const std::string& user, const std::string& path, const std::string& fleet, const StateView& v,
               const LimitsConfig& limits, std::time_t now) {
  std::printf("user:          %s\nstate file:    %s\n", Printable(user).c_str(), Printable(path).c_str());
  if (!fleet.empty()) {
    std::printf("fleet state:   %s (failed codes, lockout, backup codes, grace)\n", Printable(fleet).c_str());
  }
  if (v.locked_until != 0) {
    std::printf("locked out:    until %s (%s from now)\n", IsoUtc(v.locked_until).c_str(),
                TimeLeft(v.locked_until - now).c_str());
  } else {
    std::printf("locked out:    no\n");
  }
  std::printf("failed codes:  %zu (a lockout at %d)\n", v.failures, limits.max_failures);
  std::printf("codes sent:    %zu in the last %d s (at most %d); last %s\n", v.sends_in_window, limits.send_window,
              limits.sends_per_window, v.last_send == 0 ? "never" : IsoUtc(v.last_send).c_str());
  std::printf("backup codes:  %zu left\n", v.backup_codes);
  if (v.pending_sent_at != 0) {
    std::printf("pending code:  sent %s by %s\n", IsoUtc(v.pending_sent_at).c_str(), v.pending_channel.c_str());
  }
  if (v.grace.empty()) std::printf("grace:         none\n");
  for (const auto& [key, at] : v.grace) std::printf("grace:         %s since %s\n", key.c_str(), IsoUtc(at).c_str());
}

// What unlock is about to clear, for its report ("lockout until ...,
// 3 failed codes, 2 sends, 1 grace entry").
std::string ClearedText(const UserState& s) {
  std::vector<std::string> parts;
  if (s.locked_until != 0) parts.push_back("lockout until " + IsoUtc(s.locked_until));
  if (!s.failures.empty()) parts.push_back(std::to_string(s.failures.size()) + " failed code(s)");
  if (!s.sends.empty()) parts.push_back(std::to_string(s.sends.size()) + " send(s)");
  if (!s.grace.empty()) parts.push_back(std::to_string(s.grace.size()) + " grace entr" + (s.grace.size() == 1 ? "y" : "ies"));
  if (!s.pending.empty()) parts.push_back("the pending code");
  if (parts.empty()) return "nothing to clear";
  std::string text = "cleared ";
  for (size_t i = 0; i < parts.size(); ++i) text += (i == 0 ? "" : ", ") + parts[i];
  return text;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 || errno != ENOENT;
}

}  // namespace

int RunStatus(const Args& args) {
  if (args.Has("all")) {
    if (!args.positional.empty()) return UsageError("twilio-otp status", "--all takes no USER");
    return RunListLocked(args);
  }
  if (args.positional.empty()) return UsageError("twilio-otp status", "name a USER, or --all");
  const UserArgument named = ReadUserArgument(args.positional[0]);
  const std::string& user = named.name;
  std::optional<Config> config = LoadConfigOrReport(args.config_path);
  if (!config) return kExitRefused;
  const StateStore store = OpenStateStore(*config);
  // An account with no state yet shows an empty one; a name that is neither
  // an account nor in the state (a typo) must not look like one.
  if (named.unknown) {
    if (!Exists(store.UserPath(user))) {
      std::fprintf(stderr, "twilio-otp: %s is not an account this host knows (NSS) and has no state in %s: "
                   "check the spelling\n", Printable(user).c_str(), Printable(store.dir()).c_str());
      return kExitRefused;
    }
    std::fprintf(stderr, "twilio-otp: note: %s is not an account this host knows (NSS); showing the state it left\n",
                 Printable(user).c_str());
  }
  Result<UserState> state = store.Read(user);
  if (!state.ok()) return Refuse(state.status());  // corrupt: the message names the file and the fix
  const std::unique_ptr<Directory> fleet = OpenFleetDirectory(*config);
  if (fleet) {
    state = MergeFleetState(*fleet->Fleet(), *config, user, std::move(state.value()));
    if (!state.ok()) return Refuse(state.status());
  }
  const std::string fleet_where = fleet ? fleet->Where() : "";
  const std::time_t now = DefaultClock().WallNow();
  const StateView view = ViewOf(state.value(), config->limits, now);
  const std::string path = store.UserPath(user);
  if (args.Has("json")) {
    std::printf("%s\n", ViewJson(user, path, fleet_where, view, config->limits)
                            .dump(2, ' ', false, json::error_handler_t::replace)
                            .c_str());
  } else {
    PrintView(user, path, fleet_where, view, config->limits, now);
  }
  return kExitOk;
}

int RunUnlock(const Args& args) {
  const std::string user = AccountArgument(args.positional[0]);
  std::optional<Config> config = LoadConfigOrReport(args.config_path);
  if (!config) return kExitRefused;
  const StateStore store = OpenStateStore(*config);
  const std::string path = store.UserPath(user);
  if (const std::unique_ptr<Directory> fleet = OpenFleetDirectory(*config)) {
    UserState before;
    if (Status unlocked = UnlockFleet(*fleet->Fleet(), *config, user, &before); !unlocked.ok()) return Refuse(unlocked);
    std::printf("unlocked %s fleet-wide (%s): %s; %zu backup code(s) kept\n", Printable(user).c_str(),
                Printable(fleet->Where()).c_str(), ClearedText(before).c_str(), before.backup_codes.size());
  }
  // No file: nothing to unlock, and a mistyped name leaves no file behind.
  if (!Exists(path)) {
    std::printf("%s has no state (%s): nothing to unlock\n", Printable(user).c_str(), Printable(path).c_str());
    return kExitOk;
  }
  // Read first only to say what goes; Reset works on a corrupt file too.
  Result<UserState> before = store.Read(user);
  Status reset = store.Prepare();
  if (reset.ok()) reset = store.Reset(user, /*keep_backup=*/true);
  if (!reset.ok()) return Refuse(reset);
  if (before.ok()) {
    std::printf("unlocked %s: %s; %zu backup code(s) kept\n", Printable(user).c_str(),
                ClearedText(before.value()).c_str(), before->backup_codes.size());
  } else {
    std::fprintf(stderr, "twilio-otp: the old state was unreadable: %s\n",
                 Printable(before.status().ToString()).c_str());
    std::printf("unlocked %s: replaced the unreadable %s with a fresh state (its backup codes are gone: run "
                "twilio-otp backup-codes %s)\n",
                Printable(user).c_str(), Printable(path).c_str(), Printable(user).c_str());
  }
  return kExitOk;
}

}  // namespace twotp::cli
