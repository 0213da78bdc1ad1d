// The grace period's key and test: a success remembered for a while, bound
// to the service and to where the login came from (policy.grace_period).
#ifndef PAM_TWILIO_OTP_LOGIN_GRACE_H_
#define PAM_TWILIO_OTP_LOGIN_GRACE_H_

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "login/session_identity.h"
#include "state/user_state.h"

namespace twotp {

// The longest grace period the config can set (policy.grace_period, 0..86400):
// a grace entry older than this can never match, and is dropped.
inline constexpr std::time_t kMaxGrace = 86400;

// The grace key: service + where from, so a grace earned over ssh never
// waves sudo through. A remote login (PAM_RHOST set; sshd authenticates
// before any pty exists) is bound to the remote host
// ("sshd|rhost:192.0.2.7"); a local one to its terminal session, never to
// the terminal's name ("sudo|session:tty=34816,sid=2210,leader=81234");
// nullopt, no grace at all, for a login with neither. It leaves the user
// out: grace entries live in the user's own state, which is the user part of
// the key. Entries older builds keyed by the terminal's name
// ("sudo|tty:/dev/pts/0") never match a key made here; they expire unused.
std::optional<std::string> GraceKey(std::string_view service, std::string_view rhost,
                                    const std::optional<SessionIdentity>& session);

// True when `state` holds a success for `key` less than `grace_seconds` ago.
bool InGrace(const UserState& state, const std::string& key, int grace_seconds, std::time_t now);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LOGIN_GRACE_H_
