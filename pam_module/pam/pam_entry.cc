// The PAM entry points of the front (engine.h): gather the login, end it
// here when a skip rule that needs no state says so, else hand it to the
// engine. Nothing thrown crosses this file.
#include <security/pam_modules.h>

#include <string>

#include "base/clock.h"
#include "base/file_trust.h"
#include "base/unix_groups.h"
#include "login/early_skip.h"
#include "pam/engine.h"
#include "pam/pam_glue.h"
#include "pam/pam_setup.h"
#include "pam/plugin_loader.h"

namespace twotp {
namespace {

// The engine beside this file (libpam's path to it, from pam.d).
Result<EngineAuthenticate> LoadEngine(const FileTrust& trust) {
  const Result<std::string> folder = FolderOf(reinterpret_cast<const void*>(&LoadEngine));
  if (!folder.ok()) return folder.status();
  Result<void*> entry = LoadTrustedPlugin(folder.value() + "/" + kEngineFile, kEngineSymbol, "the engine", trust);
  if (!entry.ok()) return entry.status();
  return reinterpret_cast<EngineAuthenticate>(entry.value());
}

int AuthenticateOrHandOver(pam_handle_t* pamh, int argc, const char** argv) {
  PamLogin login;
  if (const int early = PrepareLogin(pamh, argc, argv, &login); early != PAM_SUCCESS) return early;
  PamLogger log(pamh, login.args.debug);
  if (SkipBeforeLoading(login.request, *login.config, GroupsOf, log, DefaultClock().WallNow())) return PAM_IGNORE;
  const Result<EngineAuthenticate> engine = LoadEngine(FileTrust(0));
  if (!engine.ok()) {
    log.Error("user=" + UserForLog(login.request) + " result=refused (the module is broken): " +
              engine.status().ToString());
    TellUserItIsBroken(pamh);
    return PAM_AUTHINFO_UNAVAIL;
  }
  return engine.value()(kBuildStamp, pamh, /*flags=*/0, argc, argv);  // the module reads no flag
}

}  // namespace
}  // namespace twotp

extern "C" {

__attribute__((visibility("default"))) int pam_sm_authenticate(pam_handle_t* pamh, int /*flags*/, int argc,
                                                                const char** argv) {
  return twotp::RunGuarded(twotp::AuthenticateOrHandOver, pamh, argc, argv);
}

// sshd and sudo call pam_setcred after authentication; there are no
// credentials to set, and failing here would fail the login.
__attribute__((visibility("default"))) int pam_sm_setcred(pam_handle_t* /*pamh*/, int /*flags*/, int /*argc*/,
                                                          const char** /*argv*/) {
  return PAM_SUCCESS;
}

}  // extern "C"
