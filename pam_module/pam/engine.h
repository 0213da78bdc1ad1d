// The module in two halves, so that a login the module has no say in costs
// almost nothing. libpam loads pam_twilio_otp.so, the front (pam_entry.cc):
// libpam, libconfig and the C++ runtime, which reads the config and applies
// the skip rules that need no state (login/early_skip.h). Only a login that
// goes on loads the engine, pam_twilio_otp/engine.so beside it
// (engine_entry.cc): OpenSSL, TLS, HTTP, the state and the login itself,
// which starts the login over from the same arguments. Dynamic loading of
// OpenSSL alone costs about 4 M instructions, ten times an exempt login.
//
// The two talk through the C ABI of PAM itself, plus the build stamp
// (base/build_stamp.h), so a front and an engine from different builds
// refuse each other.
#ifndef PAM_TWILIO_OTP_ENGINE_H_
#define PAM_TWILIO_OTP_ENGINE_H_

#include <security/pam_modules.h>

#include "base/build_stamp.h"

namespace twotp {

// Beside the front, in the folder of the module's parts (where the LDAP
// backend is too, directory/ldap_plugin.h): .../security/pam_twilio_otp/engine.so.
inline constexpr const char* kEngineFile = "pam_twilio_otp/engine.so";
// The engine's one exported symbol, of type EngineAuthenticate.
inline constexpr const char* kEngineSymbol = "twotp_engine_authenticate";

// pam_sm_authenticate's arguments, and the caller's stamp; a stamp that is
// not the engine's own refuses the login (PAM_AUTHINFO_UNAVAIL).
using EngineAuthenticate = int (*)(const char* abi, pam_handle_t* pamh, int flags, int argc, const char** argv);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_ENGINE_H_
