#include "base/nss_account.h"

#include <pwd.h>
#include <unistd.h>

#include <cstring>

namespace twotp {

namespace {

// One passwd lookup (getpwnam_r or getpwuid_r through `lookup`); `what`
// names it in errors ("user NAME", "uid N").
template <typename Lookup>
Result<Account> LookUp(const std::string& what, Lookup lookup) {
  struct passwd entry {};
  struct passwd* found = nullptr;
  std::vector<char> buffer;
  const int rc = WithGrowingBuffer(sysconf(_SC_GETPW_R_SIZE_MAX), buffer, [&](char* data, size_t size) {
    return lookup(&entry, data, size, &found);
  });
  // "Not found" is 0 with no entry, but getpwnam_r(3) lets NSS modules say
  // it with ENOENT or ESRCH too (nss_wrapper does); anything else is a fault.
  if (rc != 0 && rc != ENOENT && rc != ESRCH) {
    return Status::DirectoryError(what + ": NSS lookup failed: " + std::strerror(rc));
  }
  if (found == nullptr) return Status::NotFound(what + " is unknown to the system (NSS)");
  return Account{found->pw_name, found->pw_uid, found->pw_gid};
}

}  // namespace

Result<Account> FindAccount(const std::string& name) {
  return LookUp("user " + name, [&](struct passwd* entry, char* data, size_t size, struct passwd** found) {
    return getpwnam_r(name.c_str(), entry, data, size, found);
  });
}

Result<std::string> CanonicalAccountName(const std::string& name) {
  Result<Account> named = FindAccount(name);
  if (!named.ok()) return named.status();
  const uid_t uid = named->uid;
  Result<Account> owner =
      LookUp("uid " + std::to_string(uid), [&](struct passwd* entry, char* data, size_t size, struct passwd** found) {
        return getpwuid_r(uid, entry, data, size, found);
      });
  if (owner.ok()) return std::move(owner->name);
  if (owner.status().Is(Fault::kNotFound)) {
    return Status::DirectoryError("user " + name + " has uid " + std::to_string(uid) +
                                  ", which NSS can't map back to a name");
  }
  return owner.status();
}

}  // namespace twotp
