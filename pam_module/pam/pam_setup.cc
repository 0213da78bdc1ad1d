#include "pam/pam_setup.h"

#include <security/pam_ext.h>
#include <syslog.h>
#include <unistd.h>

#include <exception>
#include <new>
#include <string_view>
#include <utility>

#include "base/file_trust.h"
#include "base/logger.h"
#include "base/nss_account.h"
#include "base/sys_text.h"
#include "login/session_identity.h"
#include "login/sudo_command.h"
#include "pam/pam_glue.h"

namespace twotp {
namespace {

Result<ModuleArgs> ParseArgs(int argc, const char** argv) {
  ModuleArgs args;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i] == nullptr ? "" : argv[i];
    if (arg.substr(0, 7) == "config=" && arg.size() > 7) {
      args.config_path = std::string(arg.substr(7));
    } else if (arg == "debug") {
      args.debug = true;
    } else {
      // A typo in pam.d must not quietly change how logins are checked.
      return Status::ConfigError("unknown module argument \"" + std::string(arg) +
                                 "\" (known: config=PATH, debug)");
    }
  }
  return args;
}

std::string PamItem(pam_handle_t* pamh, int type) {
  const void* item = nullptr;
  if (pam_get_item(pamh, type, &item) != PAM_SUCCESS || item == nullptr) return "";
  return static_cast<const char*>(item);
}

}  // namespace

void TellUserItIsBroken(pam_handle_t* pamh) { (void)PamConversation(pamh).Error(kBrokenSentence); }

int PamCodeFor(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAllow: return PAM_SUCCESS;
    case Verdict::kDeny: return PAM_AUTH_ERR;
    case Verdict::kIgnore: return PAM_IGNORE;
    case Verdict::kRefuse: return PAM_AUTHINFO_UNAVAIL;
    case Verdict::kConvError: return PAM_CONV_ERR;
  }
  return PAM_AUTH_ERR;
}

int PrepareLogin(pam_handle_t* pamh, int argc, const char** argv, PamLogin* login) {
  Result<ModuleArgs> args = ParseArgs(argc, argv);
  PamLogger log(pamh, args.ok() && args->debug);
  if (!args.ok()) {
    log.Error(args.status().ToString());
    TellUserItIsBroken(pamh);
    return PAM_AUTHINFO_UNAVAIL;
  }

  LoginRequest& request = login->request;
  const char* user = nullptr;
  if (pam_get_user(pamh, &user, nullptr) != PAM_SUCCESS || user == nullptr || *user == '\0') {
    log.Error("could not get the user name");
    return PAM_USER_UNKNOWN;
  }
  // Everything is keyed on the account, not on the spelling PAM was given:
  // sssd may fold case and passwd lines may share a uid, and no other
  // spelling may read as another, unenrolled user.
  Result<std::string> account = CanonicalAccountName(user);
  if (!account.ok()) {
    if (account.status().Is(Fault::kNotFound)) {
      log.Notice("user=" + LogField(user) + " result=refused (unknown to NSS)");
      return PAM_USER_UNKNOWN;
    }
    log.Error("user=" + LogField(user) + " result=refused (account lookup failed): " + account.status().ToString());
    TellUserItIsBroken(pamh);
    return PAM_AUTHINFO_UNAVAIL;
  }
  request.user = std::move(account.value());
  if (request.user != user) request.login_name = user;
  request.service = PamItem(pamh, PAM_SERVICE);
  request.rhost = PamItem(pamh, PAM_RHOST);
  request.tty = PamItem(pamh, PAM_TTY);  // for logs only: the caller picks a terminal's name
  request.session = CurrentSession();      // what grace binds to, from /proc
  request.host = HostName();
  // Under sudo: the command, for {command}; and `sudo -S` fed by a pipe reads
  // the code from a script that cannot know it, so nothing is sent then.
  std::string& unreachable = login->unreachable;
  if (const std::optional<SudoInvocation> sudo = CurrentSudo()) {
    request.command = sudo->command;
    if (sudo->reads_stdin && isatty(STDIN_FILENO) == 0) {
      unreachable = "A verification code can't be typed into sudo -S without a terminal; no code was sent.";
    }
  }

  const FileTrust trust(0);  // every file the module believes is root's
  Result<Config> config = LoadConfig(args->config_path, trust);
  if (!config.ok()) {
    log.Error("user=" + UserForLog(request) + " result=refused (bad configuration): " + config.status().ToString());
    TellUserItIsBroken(pamh);
    return PAM_AUTHINFO_UNAVAIL;
  }
  login->args = std::move(args.value());
  login->config = std::move(config.value());
  return PAM_SUCCESS;
}

int RunGuarded(int (*body)(pam_handle_t*, int, const char**), pam_handle_t* pamh, int argc, const char** argv) {
  try {
    return body(pamh, argc, argv);
  } catch (const std::bad_alloc&) {
    pam_syslog(pamh, LOG_CRIT, "out of memory; login refused");
  } catch (const std::exception& e) {
    pam_syslog(pamh, LOG_CRIT, "internal error (%s); login refused", LogField(e.what(), 256).c_str());
  } catch (...) {
    pam_syslog(pamh, LOG_CRIT, "internal error; login refused");
  }
  // Plain pam_error: nothing here may throw again.
  pam_error(pamh, "%s", kBrokenSentence);
  return PAM_AUTHINFO_UNAVAIL;
}

}  // namespace twotp
