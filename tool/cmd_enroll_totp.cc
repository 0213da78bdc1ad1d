// `twilio-otp enroll USER [NUMBER] --totp`: an authenticator app through
// Twilio Verify. A TOTP factor is created for the user's Verify entity
// (TotpIdentity), its otpauth:// URI is shown as a QR code for the app to
// scan, and the app's first code verifies it; only then is the record
// written with channel "totp" (keeping a number and address it had, or
// taking NUMBER). The seed stays at Twilio: no host keeps it, so every host
// of a fleet checks the app's codes. A factor that was not verified is
// deleted; once the new one is verified, the user's older factors are too.
#include <algorithm>
#include <cstdio>

#include "base/clock.h"
#include "base/file_trust.h"
#include "base/phone.h"
#include "base/sys_text.h"
#include "cli.h"
#include "fleet_state_cli.h"
#include "code_prompt.h"
#include "directory/users_line.h"
#include "qr_terminal.h"
#include "state/send_limits.h"
#include "twilio/totp_factors.h"
#include "twilio/twilio_session.h"

namespace twotp::cli {

namespace {

// What stops a --totp enrolment before anything is created at Twilio.
Status TotpProblem(const Config& config) {
  if (config.twilio.mode != Mode::kVerify) {
    return Status::BadInput("--totp needs twilio.mode = \"verify\" in " + config.path +
                            ": Verify keeps the app's seed and checks its codes");
  }
  const std::vector<Channel>& channels = config.policy.channels;
  if (std::find(channels.begin(), channels.end(), Channel::kTotp) == channels.end()) {
    return Status::BadInput("--totp needs \"totp\" in policy.channels of " + config.path +
                            ", or the module never asks for the app's code");
  }
  return Status::Ok();
}

// The record to write: the user's own (number, address) with channel totp,
// NUMBER replacing its number when given.
Result<PhoneRecord> TotpRecord(const Config& config, Directory& directory, const std::string& user,
                               const std::optional<std::string>& typed_number) {
  PhoneRecord record;
  Result<PhoneRecord> current = directory.Lookup(user);
  if (current.ok()) {
    record = current.value();
  } else if (!current.status().Is(Fault::kNotFound)) {
    return current.status();
  }
  record.user = user;
  if (typed_number) {
    Result<std::string> number = NormalizeE164(*typed_number);
    if (!number.ok()) return number.status();
    if (Status country = CheckCountry(number.value(), config.limits); !country.ok()) {
      return Status::BadInput(config.path + ": " + country.message());
    }
    record.number = number.value();
  }
  record.channel = Channel::kTotp;
  return record;
}

// Shows the URI as a QR code and in full (for apps that take it typed), then
// asks for the app's codes until one verifies the factor.
Status VerifyWithTheApp(const Config& config, TotpFactors& factors, const std::string& identity,
                        const NewTotpFactor& factor) {
  Result<std::string> qr = QrForTerminal(factor.uri.view());
  if (!qr.ok()) return qr.status();
  std::fprintf(stderr, "Scan this QR code with the authenticator app:\n\n%s\nor add this URI to it by hand:\n%s\n\n",
               qr->c_str(), factor.uri.str().c_str());
  for (int attempt = 1; attempt <= config.policy.max_attempts; ++attempt) {
    Secret code;
    if (Status read = ReadCode("Code the app shows now: ", code); !read.ok()) return read;
    Result<bool> verified = factors.Verify(identity, factor.sid, code);
    if (!verified.ok()) return verified.status();
    if (verified.value()) return Status::Ok();
    std::fprintf(stderr, "That code is not right (%d of %d tries).\n", attempt, config.policy.max_attempts);
  }
  return Status::Rejected("no right code from the app after " + std::to_string(config.policy.max_attempts) +
                          " tries");
}

}  // namespace

int RunEnrollTotp(const Args& args, const Config& config, Directory& directory, const std::string& user) {
  if (Status problem = TotpProblem(config); !problem.ok()) return Refuse(problem);
  const std::optional<std::string> typed_number =
      args.positional.size() > 1 ? std::optional<std::string>(args.positional[1]) : std::nullopt;
  Result<PhoneRecord> record = TotpRecord(config, directory, user, typed_number);
  if (!record.ok()) return Refuse(record.status());
  if (config.directory.backend == Backend::kFile) {
    if (Status valid = CheckRecord(record.value()); !valid.ok()) return Refuse(valid);
  }
  Result<std::unique_ptr<TwilioSession>> session = TwilioSession::Open(config, FileTrust(0), DefaultClock());
  if (!session.ok()) return Refuse(session.status());
  TotpFactors factors(session.value()->client());
  const std::string identity = TotpIdentity(user);
  Result<std::vector<std::string>> older = factors.Verified(identity);
  if (!older.ok()) return Refuse(older.status());
  Result<NewTotpFactor> factor = factors.Create(identity, user);
  if (!factor.ok()) return Refuse(factor.status());
  if (Status verified = VerifyWithTheApp(config, factors, identity, factor.value()); !verified.ok()) {
    (void)factors.Delete(identity, factor->sid);  // best effort: an unverified factor checks nothing
    return Refuse(verified.Prefixed(user + " was not enrolled: "));
  }
  for (const std::string& sid : older.value()) {
    if (Status deleted = factors.Delete(identity, sid); !deleted.ok()) {
      std::fprintf(stderr, "twilio-otp: warning: the older app (%s) could not be removed: %s\n", sid.c_str(),
                   deleted.message().c_str());
    }
  }
  record->verified_at = NowIso8601();
  record->verified = true;
  if (Status written = directory.Enroll(record.value()); !written.ok()) return Refuse(written);
  PrepareFleetEntry(config, directory, record.value().user);
  std::printf("enrolled %s: authenticator app (Verify factor %s)%s%s\n", Printable(user).c_str(),
              factor->sid.c_str(), record->number.empty() ? "" : ", fallback number ", record->number.c_str());
  return kExitOk;
}

}  // namespace twotp::cli
