#include "directory/open_directory.h"

#include "directory/open_ldap.h"
#include "directory/users_file.h"

namespace twotp {

std::unique_ptr<Directory> OpenDirectory(const DirectoryConfig& config, const FileTrust& trust, Logger& log) {
  if (config.backend == Backend::kLdap) return OpenLdapDirectory(config.ldap, trust, log);
  return std::make_unique<UsersFile>(config.file, trust, log);
}

std::string LdapWhere(const LdapConfig& config) {
  std::string out = "ldap";
  for (const std::string& uri : config.uri) out += " " + uri;
  return out;
}

}  // namespace twotp
