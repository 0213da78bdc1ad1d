// When not to ask: the skip rules of policy = { ... } (groups, skip_groups,
// exempt_users, exempt_groups, trusted_networks, grace_period and the
// per-service overrides). A skipped login gets PAM_IGNORE, never
// PAM_SUCCESS, so a skip can't stand in for the password.
#ifndef PAM_TWILIO_OTP_ACCESS_RULES_H_
#define PAM_TWILIO_OTP_ACCESS_RULES_H_

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"
#include "user_state.h"

namespace twotp {

// An IPv4 or IPv6 network ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7").
class Cidr {
 public:
  static Result<Cidr> Parse(std::string_view text);  // kBadInput naming the problem
  // True when `address` (a literal IP; a host name never matches, nothing is
  // resolved) is inside. IPv4-mapped IPv6 addresses match IPv4 networks.
  bool Contains(std::string_view address) const;

 private:
  int family_ = 0;
  unsigned char bytes_[16] = {};
  int prefix_ = 0;
};

// True when `address` is inside any of `networks`.
bool InAnyNetwork(std::string_view address, const std::vector<Cidr>& networks);

// The groups `user` belongs to (primary and supplementary, by name), from
// NSS (getpwnam + getgrouplist). kDirectory when the user is unknown.
Result<std::vector<std::string>> GroupsOf(const std::string& user);

// True when any of `groups` is in `wanted`.
bool AnyGroupIn(const std::vector<std::string>& groups, const std::vector<std::string>& wanted);

// The grace key: user + service + where from (rhost, else tty), so a grace
// earned over ssh never waves sudo through.
std::string GraceKey(std::string_view service, std::string_view rhost, std::string_view tty);

// True when `state` holds a success for `key` less than `grace_seconds` ago.
bool InGrace(const UserState& state, const std::string& key, int grace_seconds, std::time_t now);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_ACCESS_RULES_H_
