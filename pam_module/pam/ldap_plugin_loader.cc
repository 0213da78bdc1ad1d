// OpenLdapDirectory for the module (directory/open_ldap.h): loads
// ldap_directory.so from the engine's own folder (pam/engine.h).
#include <memory>
#include <string>

#include "directory/ldap_plugin.h"
#include "directory/open_ldap.h"
#include "directory/unavailable_directory.h"
#include "pam/plugin_loader.h"

namespace twotp {

std::unique_ptr<Directory> OpenLdapDirectory(const LdapConfig& config, const FileTrust& trust, Logger& log) {
  const Result<std::string> folder = FolderOf(reinterpret_cast<const void*>(&OpenLdapDirectory));
  if (!folder.ok()) return std::make_unique<UnavailableDirectory>(folder.status(), LdapWhere(config));
  const std::string path = folder.value() + "/" + kLdapPluginFile;
  const Result<void*> open = LoadTrustedPlugin(path, kLdapPluginSymbol, "the LDAP backend", trust);
  if (!open.ok()) return std::make_unique<UnavailableDirectory>(open.status(), LdapWhere(config));
  Directory* directory = reinterpret_cast<LdapPluginOpen>(open.value())(kBuildStamp, &config, &trust, &log);
  if (directory == nullptr) {
    return std::make_unique<UnavailableDirectory>(
        Status::Error(Fault::kConfig, path + " comes from another build of pam_twilio_otp; install the module and "
                                             "its LDAP backend from the same package"),
        LdapWhere(config));
  }
  return std::unique_ptr<Directory>(directory);
}

}  // namespace twotp
