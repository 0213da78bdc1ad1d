#include "directory/open_directory.h"

#include "directory/ldap_directory.h"
#include "directory/users_file.h"

namespace twotp {

std::unique_ptr<Directory> OpenDirectory(const DirectoryConfig& config, const FileTrust& trust, Logger& log) {
  if (config.backend == Backend::kLdap) return std::make_unique<LdapDirectory>(config.ldap, trust, log);
  return std::make_unique<UsersFile>(config.file, trust, log);
}

}  // namespace twotp
