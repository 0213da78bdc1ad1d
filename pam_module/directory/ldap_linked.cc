// OpenLdapDirectory for programs linked with libldap (open_ldap.h).
#include "directory/ldap_directory.h"
#include "directory/open_ldap.h"

namespace twotp {

std::unique_ptr<Directory> OpenLdapDirectory(const LdapConfig& config, const FileTrust& trust, Logger& log) {
  return std::make_unique<LdapDirectory>(config, trust, log);
}

}  // namespace twotp
