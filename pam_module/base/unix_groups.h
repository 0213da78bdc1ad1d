// The groups of a user, from NSS, for policy.groups / skip_groups /
// exempt_groups.
#ifndef PAM_TWILIO_OTP_BASE_UNIX_GROUPS_H_
#define PAM_TWILIO_OTP_BASE_UNIX_GROUPS_H_

#include <string>
#include <vector>

#include "base/status.h"

namespace twotp {

// The groups `user` belongs to (primary and supplementary, by name), from
// NSS (getpwnam + getgrouplist). kDirectory when the user is unknown or an
// NSS lookup fails (an LDAP outage must not drop anyone out of a group); a
// group id that has no name is left out (no config can name it).
Result<std::vector<std::string>> GroupsOf(const std::string& user);

// True when any of `groups` is in `wanted`.
bool AnyGroupIn(const std::vector<std::string>& groups, const std::vector<std::string>& wanted);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_BASE_UNIX_GROUPS_H_
