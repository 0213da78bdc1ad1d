// The verdict of one login and the one place failmode is applied to a fault.
#ifndef PAM_TWILIO_OTP_LOGIN_VERDICT_H_
#define PAM_TWILIO_OTP_LOGIN_VERDICT_H_

#include "base/status.h"
#include "config/config.h"

namespace twotp {

// What the login decided; pam_entry maps each to a PAM code.
enum class Verdict {
  kAllow,      // the right code was typed                          -> PAM_SUCCESS
  kDeny,       // wrong codes, unenrolled under "deny", blocked number -> PAM_AUTH_ERR
  kIgnore,     // no say: unenrolled under "allow", failmode safe  -> PAM_IGNORE
  kRefuse,     // a fault an administrator must fix, or failmode secure -> PAM_AUTHINFO_UNAVAIL
  kConvError,  // no usable conversation, or the user gave up      -> PAM_CONV_ERR
};

const char* VerdictName(Verdict verdict);

// Maps a fault during send or check to a verdict: the one place failmode is
// applied. A witnessed kUnavailable (Status::witnessed) follows failmode, an
// unwitnessed one refuses like failmode=secure; kConfig, kDirectory, kState,
// kInternal and kBadInput refuse whatever failmode says; the rest deny.
Verdict VerdictForFault(const Status& status, FailMode failmode);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LOGIN_VERDICT_H_
