// Words for what the system said, the same in every message: errno text,
// "PATH: STEP: errno text", permission bits as chmod takes them, and the
// host's own name.
#ifndef PAM_TWILIO_OTP_BASE_SYS_TEXT_H_
#define PAM_TWILIO_OTP_BASE_SYS_TEXT_H_

#include <sys/types.h>

#include <string>

namespace twotp {

// "Permission denied" for EACCES (thread-safe, unlike strerror).
std::string ErrnoText(int err);

// "/var/lib/x/users/alice.json: rename: No space left on device"; each
// caller wraps it in the Status its layer reports.
std::string SysErrorText(const std::string& path, const char* step, int err);

// "0644": the permission bits of `mode`.
std::string ModeText(mode_t mode);

// This host's name ({host} in messages); "localhost" when it has none.
std::string HostName();

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_BASE_SYS_TEXT_H_
