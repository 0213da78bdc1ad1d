// When not to ask: the skip rules of policy = { ... } (groups, skip_groups,
// exempt_users, exempt_groups, trusted_networks, grace_period and the
// per-service overrides). A skipped login gets PAM_IGNORE, never
// PAM_SUCCESS, so a skip can't stand in for the password.
#ifndef PAM_TWILIO_OTP_ACCESS_RULES_H_
#define PAM_TWILIO_OTP_ACCESS_RULES_H_

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "session_identity.h"
#include "status.h"
#include "user_state.h"

namespace twotp {

// An IPv4 or IPv6 network ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7").
class Cidr {
 public:
  // A bare address is a /32 or /128; "::ffff:a.b.c.d/n" (n >= 96) is the
  // IPv4 network a.b.c.d/(n-96). Bits set beyond the prefix ("10.1.2.3/8")
  // are refused, the message naming the network meant. kBadInput naming the
  // problem.
  static Result<Cidr> Parse(std::string_view text);
  // True when `address` (a literal IP; a host name never matches, nothing is
  // resolved) is inside. IPv4-mapped IPv6 addresses match IPv4 networks; an
  // IPv6 zone ("fe80::1%eth0") is ignored.
  bool Contains(std::string_view address) const;

 private:
  int family_ = 0;
  unsigned char bytes_[16] = {};
  int prefix_ = 0;
};

// True when `address` is inside any of `networks`.
bool InAnyNetwork(std::string_view address, const std::vector<Cidr>& networks);

// The groups `user` belongs to (primary and supplementary, by name), from
// NSS (getpwnam + getgrouplist). kDirectory when the user is unknown or an
// NSS lookup fails (an LDAP outage must not drop anyone out of a group); a
// group id that has no name is left out (no config can name it).
Result<std::vector<std::string>> GroupsOf(const std::string& user);

// True when any of `groups` is in `wanted`.
bool AnyGroupIn(const std::vector<std::string>& groups, const std::vector<std::string>& wanted);

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

#endif  // PAM_TWILIO_OTP_ACCESS_RULES_H_
