// The LDAP backend as a plugin. libldap brings a dozen libraries (SASL,
// GnuTLS, p11-kit...) whose loading and relocation cost every sudo, su and
// sshd that loads the module, so the module is not linked with them: its
// engine loads pam_twilio_otp/ldap_directory.so, beside itself, only when
// directory.backend = "ldap" (pam/ldap_plugin_loader.cc). The CLI and the
// tests link the backend directly (ldap_linked.cc).
//
// Types cross this boundary as C++ objects, so the two sides must come from
// the same build: the plugin refuses a caller with another build stamp
// (base/build_stamp.h).
#ifndef PAM_TWILIO_OTP_LDAP_PLUGIN_H_
#define PAM_TWILIO_OTP_LDAP_PLUGIN_H_

#include "base/build_stamp.h"
#include "base/file_trust.h"
#include "base/logger.h"
#include "config/config.h"
#include "directory/directory.h"

namespace twotp {

// Beside the engine (pam/engine.h): .../security/pam_twilio_otp/engine.so
// and .../security/pam_twilio_otp/ldap_directory.so.
inline constexpr const char* kLdapPluginFile = "ldap_directory.so";
// The plugin's one exported symbol, of type LdapPluginOpen.
inline constexpr const char* kLdapPluginSymbol = "twotp_ldap_directory_open";

// A new LdapDirectory (owned by the caller, deleted through Directory's
// virtual destructor), or nullptr when `abi` is not the plugin's own.
using LdapPluginOpen = Directory* (*)(const char* abi, const LdapConfig* config, const FileTrust* trust,
                                      Logger* log);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LDAP_PLUGIN_H_
