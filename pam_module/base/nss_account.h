// Accounts as NSS knows them (passwd: files, sssd, LDAP...). One account
// may answer to several names: sssd with AD folds case ("RTUSER" is
// "rtuser"), and two passwd lines may share a uid. The module keys
// everything on the account's canonical name, so no other spelling of it
// reads as another, unenrolled user.
#ifndef PAM_TWILIO_OTP_NSS_ACCOUNT_H_
#define PAM_TWILIO_OTP_NSS_ACCOUNT_H_

#include <sys/types.h>

#include <cerrno>
#include <string>
#include <vector>

#include "base/status.h"

namespace twotp {

struct Account {
  std::string name;  // pw_name as NSS returned it
  uid_t uid = 0;
  gid_t gid = 0;
};

// getpwnam_r(name). kNotFound when NSS has no such name; kDirectory when
// NSS fails (an sssd or LDAP outage must not read as "no such user").
Result<Account> FindAccount(const std::string& name);

// The canonical name of the account `name` belongs to: getpwnam_r(name),
// then getpwuid_r(pw_uid)'s pw_name. Errors as FindAccount's; kDirectory as
// well when NSS knows the name but not its uid (no canonical name to use).
Result<std::string> CanonicalAccountName(const std::string& name);

// Calls `fill(buffer, size)` (a *_r NSS lookup returning 0 or an errno
// value) with a buffer that grows while the answer is ERANGE, up to 1 MiB:
// group entries with thousands of members do not fit the sysconf hint.
template <typename Fill>
int WithGrowingBuffer(long hint, std::vector<char>& buffer, Fill fill) {
  size_t size = hint > 0 ? static_cast<size_t>(hint) : 1024;
  constexpr size_t kMax = 1024 * 1024;
  for (;;) {
    buffer.resize(size);
    const int rc = fill(buffer.data(), buffer.size());
    if (rc != ERANGE || size >= kMax) return rc;
    size *= 2;
  }
}

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_NSS_ACCOUNT_H_
