#include "base/unix_groups.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/nss_account.h"

namespace twotp {

namespace {

// The name of group `gid`; "" when NSS has none (then nothing can name it
// in the config either); a kDirectory fault when NSS fails, so an LDAP
// outage can't quietly drop a user out of skip_groups or into groups.
Result<std::string> GroupName(gid_t gid) {
  struct group entry {};
  struct group* found = nullptr;
  std::vector<char> buffer;
  const int rc = WithGrowingBuffer(sysconf(_SC_GETGR_R_SIZE_MAX), buffer, [&](char* data, size_t size) {
    return getgrgid_r(gid, &entry, data, size, &found);
  });
  if (rc != 0) return Status::DirectoryError("group " + std::to_string(gid) + ": " + std::strerror(rc));
  return found != nullptr ? std::string(found->gr_name) : std::string();
}

}  // namespace

Result<std::vector<std::string>> GroupsOf(const std::string& user) {
  Result<Account> account = FindAccount(user);
  // Not even an unknown user reads as "in no group": that could skip the code.
  if (!account.ok()) return Status::DirectoryError(account.status().message());
  // getgrouplist returns -1 and the number it needs when `count` is short.
  std::vector<gid_t> gids(32);
  for (;;) {
    int count = static_cast<int>(gids.size());
    if (getgrouplist(account->name.c_str(), account->gid, gids.data(), &count) >= 0) {
      gids.resize(static_cast<size_t>(count));
      break;
    }
    if (count <= static_cast<int>(gids.size())) count = static_cast<int>(gids.size()) * 2;
    if (count > 65536) return Status::DirectoryError("user " + user + ": too many groups");
    gids.resize(static_cast<size_t>(count));
  }
  std::vector<std::string> names;
  for (gid_t gid : gids) {
    Result<std::string> name = GroupName(gid);
    if (!name.ok()) return name.status();
    if (!name->empty() && std::find(names.begin(), names.end(), name.value()) == names.end()) {
      names.push_back(std::move(name.value()));
    }
  }
  return names;
}

bool AnyGroupIn(const std::vector<std::string>& groups, const std::vector<std::string>& wanted) {
  return std::any_of(groups.begin(), groups.end(), [&](const std::string& g) {
    return std::find(wanted.begin(), wanted.end(), g) != wanted.end();
  });
}

}  // namespace twotp
