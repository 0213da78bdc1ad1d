// The stamp of this build: a hash of every header under pam_module/, set by
// the Makefile. The module's parts (pam/engine.h, directory/ldap_plugin.h)
// pass it across each boundary and refuse a part from another build, since
// the two sides must agree on every type they share.
#ifndef PAM_TWILIO_OTP_BUILD_STAMP_H_
#define PAM_TWILIO_OTP_BUILD_STAMP_H_

#include <cstring>

#ifndef TWOTP_ABI
#error "TWOTP_ABI must be set by the Makefile (a hash of the headers)"
#endif

namespace twotp {

inline constexpr const char* kBuildStamp = TWOTP_ABI;

// Whether a caller's stamp is this build's.
inline bool SameBuild(const char* stamp) { return stamp != nullptr && std::strcmp(stamp, kBuildStamp) == 0; }

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_BUILD_STAMP_H_
