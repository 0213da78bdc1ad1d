// The PAM entry points: gather PAM items into a LoginRequest, run the core
// login, map its verdict to a PAM code. Nothing thrown crosses this file.
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>
#include <unistd.h>

#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "base/crypto_init.h"
#include "base/logger.h"
#include "base/unix_groups.h"
#include "login/login.h"
#include "base/nss_account.h"
#include "directory/open_directory.h"
#include "pam/pam_glue.h"
#include "login/sudo_command.h"
#include "twilio/twilio_session.h"
#include "base/sys_text.h"

namespace twotp {
namespace {

struct ModuleArgs {
  std::string config_path = kDefaultConfigPath;
  bool debug = false;
};

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

// What the person reads when the module can't even start a login: only
// someone with root can fix it (pam_twilio_otp(8), "Reading the logs").
constexpr const char* kBrokenSentence =
    "Two-step verification is not set up correctly on this host; ask your administrator (the reason is in the "
    "system log).";

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

int AuthenticateWithPam(pam_handle_t* pamh, int argc, const char** argv) {
  Result<ModuleArgs> args = ParseArgs(argc, argv);
  PamLogger log(pamh, args.ok() && args->debug);
  if (!args.ok()) {
    log.Error(args.status().ToString());
    TellUserItIsBroken(pamh);
    return PAM_AUTHINFO_UNAVAIL;
  }

  LoginRequest request;
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
  std::string unreachable;
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
  StateStore state(config->state_dir, trust);  // prepared by the login, after the skip rules
  const std::unique_ptr<Directory> directory = OpenDirectory(config->directory, trust, log);
  PamConversation conversation(pamh, unreachable);
  std::unique_ptr<TwilioSession> session;
  ChallengeOpener open_challenge = [&]() -> Result<Challenge*> {
    InitCryptoForModule();  // first OpenSSL use of a login: before TLS, codes and HMACs
    Result<std::unique_ptr<TwilioSession>> opened = TwilioSession::Open(config.value(), trust, DefaultClock());
    if (!opened.ok()) return opened.status();
    session = std::move(opened.value());
    return &session->challenge();
  };
  const LoginDeps deps{config.value(), *directory, open_challenge, conversation, log, DefaultClock(), state, GroupsOf};
  return PamCodeFor(Authenticate(request, deps));
}

}  // namespace
}  // namespace twotp

extern "C" {

__attribute__((visibility("default"))) int pam_sm_authenticate(pam_handle_t* pamh, int /*flags*/, int argc,
                                                                const char** argv) {
  // A bug (BadResultAccess) or an allocation failure must never crash sshd
  // or sudo, nor let anyone in: the one place an exception stops.
  try {
    return twotp::AuthenticateWithPam(pamh, argc, argv);
  } catch (const std::bad_alloc&) {
    pam_syslog(pamh, LOG_CRIT, "out of memory; login refused");
  } catch (const std::exception& e) {
    pam_syslog(pamh, LOG_CRIT, "internal error (%s); login refused", twotp::LogField(e.what(), 256).c_str());
  } catch (...) {
    pam_syslog(pamh, LOG_CRIT, "internal error; login refused");
  }
  // Plain pam_error: nothing here may throw again.
  pam_error(pamh, "%s", twotp::kBrokenSentence);
  return PAM_AUTHINFO_UNAVAIL;
}

// sshd and sudo call pam_setcred after authentication; there are no
// credentials to set, and failing here would fail the login.
__attribute__((visibility("default"))) int pam_sm_setcred(pam_handle_t* /*pamh*/, int /*flags*/, int /*argc*/,
                                                          const char** /*argv*/) {
  return PAM_SUCCESS;
}

}  // extern "C"
