// The abuse limits as pure functions of (state, config, now). Nothing here
// reads a clock or a file, so every limit is tested with explicit times.
#include "state/send_limits.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "base/erase_one.h"
#include "base/phone.h"

namespace twotp {

namespace {

// The global cap is "per hour" by definition, not configurable.
constexpr std::time_t kGlobalWindow = 3600;

Status Refusal(std::string log, std::string user) {
  Status s = Status::Rejected(std::move(log));
  s.WithUserMessage(std::move(user));
  return s;
}

// Drops entries at or before now - window, and sorts what is left. A time
// after `now` (the clock was stepped back, by NTP or by hand) counts as now:
// kept, so a step back erases no sends, but not blocking the user until the
// clock catches up.
void Prune(std::vector<std::time_t>& times, std::time_t window, std::time_t now) {
  std::erase_if(times, [&](std::time_t t) { return t <= now - window; });
  for (std::time_t& t : times) t = std::min(t, now);
  std::sort(times.begin(), times.end());
}

// When `times` (sorted, pruned to `window`) holds `cap` or more entries: how
// long until one more fits, i.e. until the cap-th newest one leaves the window.
std::time_t WaitForRoom(const std::vector<std::time_t>& times, int cap, std::time_t window, std::time_t now) {
  if (cap < 1) return window;  // no sends allowed at all: the config schema refuses this
  if (times.size() < static_cast<size_t>(cap)) return 0;
  return times[times.size() - static_cast<size_t>(cap)] + window - now;
}

}  // namespace

// Rounded up, so the user who waits as long as told is never refused again
// for the same reason.
std::string WaitText(std::time_t seconds) {
  if (seconds < 1) seconds = 1;
  if (seconds < 60) return std::to_string(seconds) + (seconds == 1 ? " second" : " seconds");
  const std::time_t minutes = (seconds + 59) / 60;
  return std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
}

Status CheckLockout(const UserState& state, std::time_t now) {
  if (state.locked_until <= now) return Status::Ok();
  const std::time_t left = state.locked_until - now;
  return Refusal("locked out after too many failed codes, " + std::to_string(left) + " s left",
                 "Too many failed codes; try again in " + WaitText(left) + ".");
}

Status CheckSend(UserState& user, GlobalState& global, const LimitsConfig& limits, std::time_t now) {
  Prune(user.sends, limits.send_window, now);
  Prune(global.sends, kGlobalWindow, now);

  // Every rule that refuses is weighed and the longest wait is reported:
  // naming a shorter one would send the user back only to be refused again.
  const std::time_t last = user.sends.empty() ? 0 : user.sends.back();
  struct Rule {
    std::time_t wait;
    std::string log;
    std::string user;
  };
  const Rule rules[] = {
      {WaitForRoom(user.sends, limits.sends_per_window, limits.send_window, now),
       "user send limit: " + std::to_string(user.sends.size()) + " codes in the last " +
           std::to_string(limits.send_window) + " s (limits.sends_per_window = " +
           std::to_string(limits.sends_per_window) + ")",
       "Too many codes sent"},
      // The cooldown stops a loop of requests for codes; a right code since
      // the last send ends it (ssh, then sudo at once, sends a new code).
      {user.sends.empty() || user.succeeded_at >= last ? 0 : last + limits.resend_cooldown - now,
       "resend cooldown: last code sent " + std::to_string(now - last) + " s ago (limits.resend_cooldown = " +
           std::to_string(limits.resend_cooldown) + ")",
       "A code was just sent"},
      {WaitForRoom(global.sends, limits.global_sends_per_hour, kGlobalWindow, now),
       "host send cap: " + std::to_string(global.sends.size()) +
           " codes in the last hour (limits.global_sends_per_hour = " +
           std::to_string(limits.global_sends_per_hour) + ")",
       "Too many codes have been sent from this host"},
  };
  const Rule* worst = nullptr;
  for (const Rule& rule : rules) {
    if (rule.wait > 0 && (worst == nullptr || rule.wait > worst->wait)) worst = &rule;
  }
  if (worst == nullptr) return Status::Ok();
  return Refusal(worst->log + "; next send in " + std::to_string(worst->wait) + " s",
                 worst->user + "; try again in " + WaitText(worst->wait) + ".");
}

void RecordSend(UserState& user, GlobalState& global, std::time_t now) {
  user.sends.push_back(now);
  global.sends.push_back(now);
}

void ForgetSend(UserState& user, GlobalState& global, std::time_t at) {
  EraseOne(user.sends, at);
  EraseOne(global.sends, at);
}

bool RecordFailure(UserState& state, const LimitsConfig& limits, std::time_t now) {
  state.failures.push_back(now);
  if (state.failures.size() < static_cast<size_t>(std::max(limits.max_failures, 1))) return false;
  state.locked_until = now + limits.lockout;
  // The next lockout needs max_failures new failures after this one ends.
  state.failures.clear();
  return true;
}

void RecordSuccess(UserState& state, std::time_t now, std::time_t login_began) {
  // Failures of logins running beside this one stand: a wrong code typed in
  // a parallel terminal is counted whichever login finishes first.
  std::erase_if(state.failures, [login_began](std::time_t t) { return t < login_began; });
  state.succeeded_at = now;
}

Status CheckCountry(const std::string& e164, const LimitsConfig& limits) {
  if (limits.allowed_countries.empty()) return Status::Ok();
  // A calling code is coarser than a country: "1" is the whole North
  // American Numbering Plan (the US, Canada and some twenty Caribbean and
  // Pacific states, several of them common toll-fraud destinations), and
  // "7" is both Russia and Kazakhstan. Allowing "1" allows all of them.
  const std::string code = CountryCallingCode(e164);
  const auto& allowed = limits.allowed_countries;
  if (!code.empty() && std::find(allowed.begin(), allowed.end(), code) != allowed.end()) return Status::Ok();
  const std::string shown = code.empty() ? "an unknown country calling code" : "country calling code +" + code;
  return Refusal(shown + " is not in limits.allowed_countries (" + AllowedCountriesText(limits) + ")",
                 "Codes can't be sent to this phone number's country; ask your administrator.");
}

std::string AllowedCountriesText(const LimitsConfig& limits) {
  std::string text;
  for (const std::string& code : limits.allowed_countries) text += (text.empty() ? "+" : ", +") + code;
  return text;
}

}  // namespace twotp
