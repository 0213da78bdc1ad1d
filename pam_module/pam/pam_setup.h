// What both halves of the module do first (pam_entry.cc, the front that
// libpam loads, and engine_entry.cc, the engine it loads when a login needs
// one): read the module arguments, the PAM items, the account from NSS and
// the config, into a LoginRequest; and stop anything thrown at the C ABI.
#ifndef PAM_TWILIO_OTP_PAM_SETUP_H_
#define PAM_TWILIO_OTP_PAM_SETUP_H_

#include <security/pam_modules.h>

#include <optional>
#include <string>

#include "config/config.h"
#include "login/login_request.h"
#include "login/verdict.h"

namespace twotp {

struct ModuleArgs {
  std::string config_path = kDefaultConfigPath;
  bool debug = false;
};

struct PamLogin {
  ModuleArgs args;
  LoginRequest request;
  std::optional<Config> config;
  // Why nobody can answer this conversation (sudo -S fed by a pipe), or "".
  std::string unreachable;
};

// Fills *login and returns PAM_SUCCESS; or logs why not, tells the user
// when there is something to tell, and returns the PAM code to end with.
int PrepareLogin(pam_handle_t* pamh, int argc, const char** argv, PamLogin* login);

// What the person reads when the module can't even start a login: only
// someone with root can fix it (pam_twilio_otp(8), "Reading the logs").
inline constexpr const char* kBrokenSentence =
    "Two-step verification is not set up correctly on this host; ask your administrator (the reason is in the "
    "system log).";
void TellUserItIsBroken(pam_handle_t* pamh);

int PamCodeFor(Verdict verdict);

// body(pamh, argc, argv), with any exception (a bug, an allocation failure)
// turned into a refused login: nothing thrown may crash sshd or sudo, nor
// let anyone in.
int RunGuarded(int (*body)(pam_handle_t*, int, const char**), pam_handle_t* pamh, int argc, const char** argv);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_PAM_SETUP_H_
