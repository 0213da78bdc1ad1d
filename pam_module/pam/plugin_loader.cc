#include "pam/plugin_loader.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include "base/unique_fd.h"

namespace twotp {

Result<std::string> FolderOf(const void* address) {
  Dl_info info{};
  if (dladdr(address, &info) == 0 || info.dli_fname == nullptr) {
    return Status::Error(Fault::kConfig, "the module can't tell which file it was loaded from");
  }
  const std::string self = info.dli_fname;
  const size_t slash = self.rfind('/');
  if (slash == std::string::npos) return std::string(".");
  return self.substr(0, slash);
}

Result<void*> LoadTrustedPlugin(const std::string& path, const char* symbol, const char* what,
                                const FileTrust& trust) {
  // The folder and the file are the trusted owner's alone, so the file
  // checked here is the file dlopen maps: nobody else can swap it between.
  // (Loading through the checked descriptor, /proc/self/fd/N, would not do:
  // glibc knows loaded objects by the names they were opened by, and a
  // number used again would hand back another plugin.)
  const std::string folder = path.substr(0, path.rfind('/'));
  struct stat st {};
  if (lstat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::Error(Fault::kConfig, std::string("can't load ") + what + ": " + folder + " is not a folder");
  }
  if (st.st_uid != trust.owner() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Status::Error(Fault::kConfig, std::string("can't load ") + what + ": " + folder +
                                             " must be owned by uid " + std::to_string(trust.owner()) +
                                             " and not writable by group or others");
  }
  if (Result<UniqueFd> checked = trust.OpenTrusted(path); !checked.ok()) return checked.status();
  // Never unloaded: libldap and OpenSSL start threads and register handlers
  // that must not be unmapped under them.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) {
    const char* why = dlerror();
    return Status::Error(Fault::kConfig,
                         std::string("can't load ") + what + " " + path + ": " + (why ? why : "dlopen failed"));
  }
  void* found = dlsym(handle, symbol);
  if (found == nullptr) {
    return Status::Error(Fault::kConfig, path + " is not " + what + " of pam_twilio_otp (no " + symbol + ")");
  }
  return found;
}

}  // namespace twotp
