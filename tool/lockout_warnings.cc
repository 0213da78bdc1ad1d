// `check-config` warnings for the break-glass pitfall (PITFALLS §3.5):
// with unenrolled = "deny", root and the admin groups (sudo, wheel) must
// each have someone who can still get in: a number, or an exemption.
#include <grp.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "base/unix_groups.h"
#include "cli.h"

namespace twotp::cli {

namespace {

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Whether `user` could log in with unenrolled = "deny": enrolled, or exempt
// by name or by group (GroupsOf failing counts as "not exempt").
bool CanGetIn(const std::string& user, const Config& config, const std::vector<PhoneRecord>& records) {
  const bool enrolled =
      std::any_of(records.begin(), records.end(), [&](const PhoneRecord& r) { return r.user == user; });
  if (enrolled || Contains(config.policy.exempt_users, user)) return true;
  if (config.policy.exempt_groups.empty()) return false;
  Result<std::vector<std::string>> groups = GroupsOf(user);
  return groups.ok() && AnyGroupIn(groups.value(), config.policy.exempt_groups);
}

// The listed members of group `name` (getgrnam's gr_mem); empty if no such group.
std::vector<std::string> MembersOf(const char* name) {
  std::vector<std::string> members;
  if (const struct group* g = getgrnam(name)) {
    for (char** m = g->gr_mem; m != nullptr && *m != nullptr; ++m) members.emplace_back(*m);
  }
  return members;
}

}  // namespace

int WarnAboutLockouts(const Config& config, const std::vector<PhoneRecord>& records) {
  if (config.policy.unenrolled != Unenrolled::kDeny) return 0;
  int warnings = 0;
  if (!CanGetIn("root", config, records)) {
    std::fprintf(stderr, "twilio-otp: warning: root has no number and is not exempt: with unenrolled = \"deny\" "
                 "root can't log in through a stack that uses the module (enroll root, or add it to "
                 "policy.exempt_users as a break-glass account)\n");
    ++warnings;
  }
  for (const char* admin_group : {"sudo", "wheel"}) {
    const std::vector<std::string> members = MembersOf(admin_group);
    if (members.empty()) continue;
    const bool someone =
        std::any_of(members.begin(), members.end(), [&](const std::string& m) { return CanGetIn(m, config, records); });
    if (!someone) {
      std::fprintf(stderr, "twilio-otp: warning: no member of group \"%s\" has a number or an exemption: with "
                   "unenrolled = \"deny\" every administrator is locked out\n", admin_group);
      ++warnings;
    }
  }
  return warnings;
}

}  // namespace twotp::cli
