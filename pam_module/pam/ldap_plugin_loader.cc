// OpenLdapDirectory for the module (directory/open_ldap.h): loads
// pam_twilio_otp/ldap_directory.so from beside the module's own file, once
// per process, after the checks every trusted file passes (root's, not
// writable by others, no symlink). It is loaded through the checked file
// descriptor, so the file checked is the file loaded.
#include <dlfcn.h>

#include <cstdio>
#include <memory>
#include <string>

#include "base/unique_fd.h"
#include "directory/ldap_plugin.h"
#include "directory/open_ldap.h"
#include "directory/unavailable_directory.h"

namespace twotp {
namespace {

// The folder this module was loaded from (libpam's path from pam.d).
Result<std::string> ModuleFolder() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&ModuleFolder), &info) == 0 || info.dli_fname == nullptr) {
    return Status::Error(Fault::kConfig, "the module can't tell which file it was loaded from");
  }
  const std::string self = info.dli_fname;
  const size_t slash = self.rfind('/');
  if (slash == std::string::npos) return std::string(".");
  return self.substr(0, slash);
}

Result<LdapPluginOpen> LoadPlugin(const std::string& path, const FileTrust& trust) {
  Result<UniqueFd> fd = trust.OpenTrusted(path);
  if (!fd.ok()) return fd.status();
  char by_fd[32];
  std::snprintf(by_fd, sizeof by_fd, "/proc/self/fd/%d", fd->get());
  // Kept for the life of the process: libldap starts threads and registers
  // handlers that must not be unmapped under them.
  void* handle = dlopen(by_fd, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) {
    const char* why = dlerror();
    return Status::Error(Fault::kConfig, "can't load the LDAP backend " + path + ": " + (why ? why : "dlopen failed"));
  }
  void* symbol = dlsym(handle, kLdapPluginSymbol);
  if (symbol == nullptr) {
    return Status::Error(Fault::kConfig, path + " is not the LDAP backend of pam_twilio_otp (no " +
                                             kLdapPluginSymbol + ")");
  }
  return reinterpret_cast<LdapPluginOpen>(symbol);
}

}  // namespace

std::unique_ptr<Directory> OpenLdapDirectory(const LdapConfig& config, const FileTrust& trust, Logger& log) {
  const Result<std::string> folder = ModuleFolder();
  if (!folder.ok()) return std::make_unique<UnavailableDirectory>(folder.status(), LdapWhere(config));
  const std::string path = folder.value() + "/" + kLdapPluginFile;
  const Result<LdapPluginOpen> open = LoadPlugin(path, trust);
  if (!open.ok()) return std::make_unique<UnavailableDirectory>(open.status(), LdapWhere(config));
  Directory* directory = open.value()(kLdapPluginAbi, &config, &trust, &log);
  if (directory == nullptr) {
    return std::make_unique<UnavailableDirectory>(
        Status::Error(Fault::kConfig, path + " comes from another build of pam_twilio_otp; install the module and "
                                             "its LDAP backend from the same package"),
        LdapWhere(config));
  }
  return std::unique_ptr<Directory>(directory);
}

}  // namespace twotp
