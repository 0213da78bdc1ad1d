// OpenLdapDirectory: the LDAP backend, however this program gets it. Two
// definitions, one per program: ldap_linked.cc (the CLI and the tests, linked
// with libldap) and pam/ldap_plugin_loader.cc (the module, which loads
// ldap_directory.so only when it is configured; ldap_plugin.h says why).
#ifndef PAM_TWILIO_OTP_OPEN_LDAP_H_
#define PAM_TWILIO_OTP_OPEN_LDAP_H_

#include <memory>
#include <string>

#include "base/file_trust.h"
#include "base/logger.h"
#include "config/config.h"
#include "directory/directory.h"

namespace twotp {

// Never null: a backend that can't be had is a Directory whose every call
// fails with the reason (unavailable_directory.h).
std::unique_ptr<Directory> OpenLdapDirectory(const LdapConfig& config, const FileTrust& trust, Logger& log);

// "ldap URI URI...": Directory::Where of the LDAP backend (open_directory.cc).
std::string LdapWhere(const LdapConfig& config);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_OPEN_LDAP_H_
