// Loading the module's own parts (the engine, the LDAP backend) from the
// folder beside the module: pam_twilio_otp.so and pam_twilio_otp/*.so.
#ifndef PAM_TWILIO_OTP_PLUGIN_LOADER_H_
#define PAM_TWILIO_OTP_PLUGIN_LOADER_H_

#include <string>

#include "base/file_trust.h"
#include "base/status.h"

namespace twotp {

// The folder of the shared object `address` is in (the module's own file,
// from the path libpam loaded it by).
Result<std::string> FolderOf(const void* address);

// `symbol` of the shared object at `path`, after the checks every trusted
// file passes (owned by trust's owner, not writable by others, no symlink),
// its folder's too; never unloaded. `what` names it in errors.
Result<void*> LoadTrustedPlugin(const std::string& path, const char* symbol, const char* what,
                                const FileTrust& trust);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_PLUGIN_LOADER_H_
