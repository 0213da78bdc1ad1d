// The engine (engine.h): the whole login, from the same PAM arguments the
// front was given. Nothing thrown crosses this file.
#include <security/pam_ext.h>
#include <syslog.h>

#include <memory>
#include <type_traits>

#include "base/crypto_init.h"
#include "base/file_trust.h"
#include "base/unix_groups.h"
#include "directory/open_directory.h"
#include "login/login.h"
#include "pam/engine.h"
#include "pam/pam_glue.h"
#include "pam/pam_setup.h"
#include "state/state_store.h"
#include "twilio/twilio_session.h"

namespace twotp {
namespace {

int AuthenticateWithPam(pam_handle_t* pamh, int argc, const char** argv) {
  PamLogin login;
  if (const int early = PrepareLogin(pamh, argc, argv, &login); early != PAM_SUCCESS) return early;
  PamLogger log(pamh, login.args.debug);
  const Config& config = *login.config;
  const FileTrust trust(0);  // every file the module believes is root's
  StateStore state(config.state_dir, trust);  // prepared by the login, after the skip rules
  const std::unique_ptr<Directory> directory = OpenDirectory(config.directory, trust, log);
  PamConversation conversation(pamh, login.unreachable);
  std::unique_ptr<TwilioSession> session;
  // The Twilio side opens once, when a login first needs it.
  auto open_session = [&]() -> Status {
    if (session) return Status::Ok();
    InitCryptoForModule();  // first OpenSSL use of a login: before TLS, codes and HMACs
    Result<std::unique_ptr<TwilioSession>> opened = TwilioSession::Open(config, trust, DefaultClock());
    if (!opened.ok()) return opened.status();
    session = std::move(opened.value());
    return Status::Ok();
  };
  ChallengeOpener open_challenge = [&]() -> Result<Challenge*> {
    if (Status opened = open_session(); !opened.ok()) return opened;
    return &session->challenge();
  };
  LineLookup look_up_line = [&](const std::string& number) -> Result<LineType> {
    if (Status opened = open_session(); !opened.ok()) return opened;
    return LookUpLineType(config.twilio, session->transport(), number);
  };
  TotpAccess totp;
  totp.verified_factors = [&](const std::string& identity) -> Result<std::vector<std::string>> {
    if (Status opened = open_session(); !opened.ok()) return opened;
    return TotpFactors(session->client()).Verified(identity);
  };
  totp.check = [&](const std::string& identity, const std::string& factor,
                    const Secret& code) -> Result<CheckOutcome> {
    if (Status opened = open_session(); !opened.ok()) return opened;
    return TotpFactors(session->client()).Check(identity, factor, code);
  };
  FleetStore* fleet = config.state.backend == StateBackend::kLdap ? directory->Fleet() : nullptr;
  const LoginDeps deps{config,   *directory,        open_challenge, conversation, log,  DefaultClock(), state,
                       GroupsOf, SystemProcesses(), look_up_line,   totp,         fleet};
  return PamCodeFor(Authenticate(login.request, deps));
}

}  // namespace
}  // namespace twotp

extern "C" __attribute__((visibility("default"))) int twotp_engine_authenticate(const char* abi, pam_handle_t* pamh,
                                                                                int /*flags*/, int argc,
                                                                                const char** argv) {
  static_assert(std::is_same_v<decltype(&twotp_engine_authenticate), twotp::EngineAuthenticate>);
  if (!twotp::SameBuild(abi)) {
    pam_syslog(pamh, LOG_ERR, "pam_twilio_otp: the engine comes from another build of the module; login refused "
                              "(install pam_twilio_otp.so and pam_twilio_otp/ from the same package)");
    pam_error(pamh, "%s", twotp::kBrokenSentence);
    return PAM_AUTHINFO_UNAVAIL;
  }
  return twotp::RunGuarded(twotp::AuthenticateWithPam, pamh, argc, argv);
}
