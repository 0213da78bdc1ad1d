#include "config/config.h"

#include <utility>

#include "config/config_reader.h"
#include "config/config_schema.h"

namespace twotp {

namespace {
// A real config is a few KiB; the cap keeps a wrong path (a log file, a
// device) from being read into memory by every login.
constexpr size_t kMaxConfigBytes = 1 << 20;
}  // namespace

Result<Config> LoadConfig(const std::string& path, const FileTrust& trust) {
  // Read through the descriptor that passed the trust checks, so the bytes
  // parsed are the bytes checked (no second open by path).
  Result<std::string> text = trust.ReadTrusted(path, kMaxConfigBytes);
  if (!text.ok()) return text.status();
  Result<ConfigReader> reader = ConfigReader::Parse(path, text.value());
  if (!reader.ok()) return reader.status();
  Config config;
  config.path = path;
  ReadConfigKeys(reader.value(), trust, &config);
  if (!reader->ok()) return reader->status();
  return config;
}

std::string EnrolAtLoginProblem(const Config& config) {
  if (config.policy.unenrolled != Unenrolled::kEnroll) return "";
  if (config.limits.allowed_countries.empty()) {
    return "\"enroll\" needs limits.allowed_countries: it lets anyone with an unenrolled user's password bind a "
           "number of their choosing, in any country; list your users' calling codes "
           "(limits = { allowed_countries = [\"1\", \"44\"]; };) or set unenrolled = \"deny\" and enroll users "
           "with twilio-otp enroll";
  }
  // A voice call to the caller's premium or satellite number bills by the minute.
  if (!FirstTextChannel(config.policy.channels)) {
    return "\"enroll\" needs \"sms\" or \"whatsapp\" in policy.channels: a number being enrolled is never called";
  }
  return "";
}

Result<TwilioCredentials> LoadTwilioCredentials(const TwilioConfig& twilio, const FileTrust& trust) {
  bool api_key = !twilio.api_key_sid.empty();
  const std::string& file = api_key ? twilio.api_key_secret_file : twilio.auth_token_file;
  if (file.empty()) {
    return Status::ConfigError("twilio: no auth_token_file, nor api_key_sid with api_key_secret_file");
  }
  Result<Secret> secret = trust.ReadSecret(file);
  if (!secret.ok()) return secret.status();
  return TwilioCredentials{api_key ? twilio.api_key_sid : twilio.account_sid, std::move(secret.value())};
}

}  // namespace twotp
