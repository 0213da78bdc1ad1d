// The one symbol of pam_twilio_otp/ldap_directory.so (ldap_plugin.h); the
// version script ldap_plugin.map hides everything else.
#include <new>
#include <type_traits>

#include "directory/ldap_directory.h"
#include "directory/ldap_plugin.h"

extern "C" __attribute__((visibility("default"))) twotp::Directory* twotp_ldap_directory_open(
    const char* abi, const twotp::LdapConfig* config, const twotp::FileTrust* trust, twotp::Logger* log) {
  static_assert(std::is_same_v<decltype(&twotp_ldap_directory_open), twotp::LdapPluginOpen>);
  if (!twotp::SameBuild(abi)) return nullptr;
  // Nothing thrown may cross into the module's copy of the runtime's types.
  try {
    return new twotp::LdapDirectory(*config, *trust, *log);
  } catch (...) {
    return nullptr;
  }
}
