#include "login/grace.h"

namespace twotp {

std::optional<std::string> GraceKey(std::string_view service, std::string_view rhost,
                                    const std::optional<SessionIdentity>& session) {
  std::string key(service);
  if (!rhost.empty()) return key.append("|rhost:").append(rhost);
  if (!session) return std::nullopt;
  return key + "|session:tty=" + std::to_string(session->tty_nr) + ",sid=" + std::to_string(session->session) +
         ",leader=" + std::to_string(session->leader_start);
}

// A success stamped in the future (the clock was set back) earns no grace:
// "less than N seconds ago" can't be shown.
bool InGrace(const UserState& state, const std::string& key, int grace_seconds, std::time_t now) {
  if (grace_seconds <= 0) return false;
  auto it = state.grace.find(key);
  if (it == state.grace.end()) return false;
  return it->second <= now && now - it->second < grace_seconds;
}

}  // namespace twotp
