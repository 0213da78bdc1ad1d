// Config: the typed form of /etc/security/pam_twilio_otp.conf (libconfig
// syntax; schema in DESIGN.md and pam_twilio_otp.conf(5)), and the loader
// that checks it strictly. Shared by the module and the CLI.
#ifndef PAM_TWILIO_OTP_CONFIG_H_
#define PAM_TWILIO_OTP_CONFIG_H_

#include <string>
#include <utility>
#include <vector>

#include "base/cidr.h"
#include "config/channel.h"
#include "base/file_trust.h"
#include "base/secret.h"
#include "base/status.h"

namespace twotp {

inline constexpr char kDefaultConfigPath[] = "/etc/security/pam_twilio_otp.conf";

enum class Mode { kVerify, kMessaging };
enum class FailMode { kSecure, kSafe };
enum class Unenrolled { kDeny, kAllow, kEnroll };
enum class Backend { kFile, kLdap };
// Where failures, lockouts, backup codes and grace stamps are kept: this
// host's state_dir, or the user's directory entry, shared by a fleet.
enum class StateBackend { kLocal, kLdap };

struct TwilioConfig {
  Mode mode = Mode::kVerify;
  std::string account_sid;          // "AC" + 32 hex, always required
  std::string auth_token_file;      // either this ...
  std::string api_key_sid;          // ... or "SK" + 32 hex with
  std::string api_key_secret_file;  //     its secret file
  std::string verify_service_sid;   // verify mode: "VA" + 32 hex
  std::string locale;               // verify mode, optional: Verify's `Locale` ("en", "fr", "pt-BR")
  std::string friendly_name;        // verify mode, optional: `CustomFriendlyName`
  // Verify mode: we make the code (policy.code_length digits), Verify delivers
  // it as `CustomCode`, we check it and report the outcome (the service needs
  // "Enable Custom Verification Code").
  bool verify_custom_code = false;
  // Name the user, host and fleet in every verification, so Twilio enforces
  // the service's rate limits across every host (twilio/rate_limits.h).
  bool rate_limits = false;
  // Verify mode, optional, each a template of {user} {host} {service} {rhost}
  // {command}: what the code approves, for PSD2 dynamic linking (Verify's
  // Amount and Payee; the service must have PSD2 on), and the values of a
  // message template's variables (TemplateSid, TemplateCustomSubstitutions).
  std::string amount;
  std::string payee;
  std::string template_sid;  // "HJ" + 32 hex
  std::vector<std::pair<std::string, std::string>> template_substitutions;  // variable, template
  std::string from;                 // messaging mode: E.164 sender (needed for calls) ...
  std::string messaging_service_sid;  // ... or "MG" + 32 hex for SMS
  // Twilio Regions (config/twilio_region.h): when either is set, api_url and
  // verify_url are those of {edge}.{region}.twilio.com, and may not be set.
  std::string region;
  std::string edge;
  std::string api_url = "https://api.twilio.com";
  std::string verify_url = "https://verify.twilio.com";
  // Lookup v2's line type before every enrolment (twilio-otp enroll, and at
  // login): refuses landlines for text, premium and toll-free numbers; warns
  // for VoIP. A paid request per enrolment.
  bool lookup = false;
  std::string lookup_url = "https://lookups.twilio.com";
  std::string ca_path = "/etc/ssl/certs";  // hashed CA directory, used when ca_file is empty
  std::string ca_file;                     // a private CA bundle instead
  std::string proxy;                       // "http://HOST:PORT" to tunnel through; "" = direct (never the environment)
  int timeout = 10;        // seconds for one request, connect included (1..60)
  int total_timeout = 20;  // seconds of network time for all requests of one login (1..120)
};

struct LdapConfig {
  std::vector<std::string> uri;
  bool starttls = false;
  std::string ca_file;
  std::string bind_dn;
  std::string bind_password_file;
  std::string base;
  std::string scope = "sub";  // "base" | "one" | "sub"
  std::string filter = "(uid=%u)";
  std::string attribute = "mobile";
  std::string channel_attribute;   // optional: "sms" | "call" | "whatsapp" | "email" per user
  std::string verified_attribute;  // optional: LDAP boolean; not TRUE = not enrolled
  std::string email_attribute;     // optional: the address for the email channel ("mail")
  int timeout = 5;
};

struct DirectoryConfig {
  Backend backend = Backend::kFile;
  std::string file = "/etc/security/pam_twilio_otp.users";
  LdapConfig ldap;
};

// policy.services.NAME = { ... }: what changes for one PAM service (the
// step-up pattern: sudo asks even inside a grace period earned over ssh).
struct ServiceOverride {
  std::string service;
  int grace_period = -1;                      // -1: the policy's own
  bool has_trusted_networks = false;          // false: the policy's own list
  std::vector<Cidr> trusted_networks;        // parsed once, when the config is read
};

struct PolicyConfig {
  int code_length = 6;    // 4..10
  int code_ttl = 300;     // 30..3600 seconds
  int max_attempts = 3;   // 1..10 codes typed per login
  FailMode failmode = FailMode::kSecure;
  // failmode=safe: how old (seconds) root's `twilio-otp probe` record may be
  // and still witness an outage a login's own timeout can't (probe_record.h).
  int probe_max_age = 180;
  Unenrolled unenrolled = Unenrolled::kDeny;
  std::vector<Channel> channels = {Channel::kSms, Channel::kCall};  // first = default
  // A user whose channel is "totp" may still ask for a code by the other
  // channels (SMS stays the fallback); false: the app only.
  bool totp_fallback = true;
  std::string message =
      "{code} is your code for {service} on {host}. It expires in {minutes} minutes.";
  std::string prompt = "Verification code: ";
  // When not to ask (all off by default). A skipped login gets PAM_IGNORE.
  int grace_period = 0;                       // seconds; 0 = off
  std::vector<Cidr> trusted_networks;  // matched against PAM_RHOST; parsed once, when the config is read
  std::vector<std::string> groups;            // only members are asked; empty = everyone
  std::vector<std::string> skip_groups;       // members are never asked
  std::vector<std::string> exempt_users;      // break-glass accounts, logged at every use
  std::vector<std::string> exempt_groups;
  std::vector<ServiceOverride> services;

  // The grace period and trusted networks in force for `service`.
  int GraceFor(const std::string& service) const;
  const std::vector<Cidr>& TrustedNetworksFor(const std::string& service) const;
};

struct LimitsConfig {
  int sends_per_window = 5;
  int send_window = 900;
  int resend_cooldown = 30;
  int max_failures = 5;
  int lockout = 900;
  int global_sends_per_hour = 200;
  // With twilio.rate_limits: codes an hour from every host together,
  // enforced by Twilio (0: no such cap).
  int fleet_sends_per_hour = 0;
  std::vector<std::string> allowed_countries;  // E.164 calling codes; empty = any
};

// state = { ... }: the fleet state (README, "A fleet").
struct StateConfig {
  StateBackend backend = StateBackend::kLocal;
  // When the directory can't be reached: count in state_dir instead (true),
  // or refuse the login (false, the default: never uncounted guesses).
  bool local_fallback = false;
};

struct Config {
  std::string path;  // the file it was read from
  TwilioConfig twilio;
  DirectoryConfig directory;
  PolicyConfig policy;
  LimitsConfig limits;
  std::string state_dir = "/var/lib/pam_twilio_otp";
  StateConfig state;
};

// Reads and validates `path`. The file must pass `trust` (owned by root, not
// writable by group or others). Every problem is a kConfig Status whose
// message names the place: "PATH:LINE: KEY: problem" (unknown key, wrong
// type, out of range, missing for the chosen mode).
Result<Config> LoadConfig(const std::string& path, const FileTrust& trust);

// Why policy.unenrolled = "enroll" is unsafe in `config`, or "" when it is
// not (or unenrolled is something else). Enrolment at login lets whoever has
// an unenrolled user's password bind a number of their choosing, so it
// needs limits.allowed_countries and a text channel. LoadConfig refuses such
// a config; the login checks again before it asks for a number.
std::string EnrolAtLoginProblem(const Config& config);

// HTTP Basic credentials for Twilio: the Account SID with the auth token, or
// the API key SID with its secret, read from the file the config names. The
// file must pass trust.CheckSecret (not readable or writable by others).
struct TwilioCredentials {
  std::string username;
  Secret password;
};
Result<TwilioCredentials> LoadTwilioCredentials(const TwilioConfig& twilio, const FileTrust& trust);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_CONFIG_H_
