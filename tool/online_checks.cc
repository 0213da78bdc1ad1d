#include "online_checks.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/file_trust.h"
#include "base/logger.h"
#include "base/phone.h"
#include "base/text.h"
#include "twilio/account_reader.h"
#include "twilio/rate_limits.h"
#include "twilio/twilio_session.h"

namespace twotp::cli {

namespace {

// Where in the Twilio Console each thing is fixed.
constexpr char kConsoleHome[] = "https://console.twilio.com/";
constexpr char kConsoleApiKeys[] = "https://console.twilio.com/us1/account/keys-credentials/api-keys";
constexpr char kConsoleVerifyServices[] = "https://console.twilio.com/us1/develop/verify/services";
constexpr char kConsoleNumbers[] = "https://console.twilio.com/us1/develop/phone-numbers/manage/incoming";
constexpr char kConsoleMessagingServices[] = "https://console.twilio.com/us1/develop/sms/services";
constexpr char kConsoleVerifiedIds[] = "https://console.twilio.com/us1/develop/phone-numbers/manage/verified";
constexpr char kConsoleVerifyGeo[] = "https://console.twilio.com/us1/develop/verify/settings/geopermissions";
constexpr char kConsoleSmsGeo[] = "https://console.twilio.com/us1/develop/sms/settings/geo-permissions";
constexpr char kConsoleVoiceGeo[] = "https://console.twilio.com/us1/develop/voice/settings/geo-permissions";

// The shipped example's SIDs end so (conf/pam_twilio_otp.conf.*).
constexpr char kExampleSidTail[] = "0123456789abcdef0123456789abcdef";

// A trial account's numbers are looked up one request each: enough for a
// first hour, bounded for a large users file.
constexpr size_t kMaxTrialLookups = 20;

enum class Outcome { kOk, kWarning, kFailed, kNotChecked };

// One line per check, a fix and a Console page under each failure or warning.
class Report {
 public:
  void Line(Outcome outcome, const std::string& check, const std::string& detail, const std::string& fix = "",
            const char* console = nullptr) {
    static const char* const kWords[] = {"ok", "warning", "FAILED", "not checked"};
    std::FILE* out = outcome == Outcome::kFailed ? stderr : stdout;
    // Twilio's and the transport's words reach the terminal escaped.
    std::fprintf(out, "online: %-16s %s: %s\n", check.c_str(), kWords[static_cast<int>(outcome)],
                 LogField(detail, 400).c_str());
    if (!fix.empty()) std::fprintf(out, "          fix: %s\n", fix.c_str());
    if (console != nullptr) std::fprintf(out, "          Twilio Console: %s\n", console);
    if (outcome == Outcome::kFailed) ++failures_;
  }
  int failures() const { return failures_; }

 private:
  int failures_ = 0;
};

bool IsExampleSid(const std::string& sid) {
  return sid.size() > 2 && sid.compare(2, std::string::npos, kExampleSidTail) == 0;
}

bool HasExampleSid(const TwilioConfig& twilio) {
  return IsExampleSid(twilio.account_sid) || IsExampleSid(twilio.api_key_sid) ||
         IsExampleSid(twilio.verify_service_sid) || IsExampleSid(twilio.messaging_service_sid);
}

// The account read failed: the transport's reason (TLS, CA, DNS, timeout)
// or Twilio's answer (credentials, unknown account), each with its fix.
void ReportAccountFailure(Report& report, const TwilioConfig& twilio, const Status& why) {
  const bool credentials_refused = why.http_status() == 401 || why.twilio_code() == 20003;
  if (credentials_refused) {
    report.Line(Outcome::kFailed, "credentials", why.message(),
                twilio.api_key_sid.empty()
                    ? "twilio.account_sid and the token in " + twilio.auth_token_file + " must be the account's (Account Info)"
                    : "the API key " + twilio.api_key_sid + " and the secret in " + twilio.api_key_secret_file +
                          " must be a key of account " + twilio.account_sid,
                twilio.api_key_sid.empty() ? kConsoleHome : kConsoleApiKeys);
    return;
  }
  if (why.http_status() == 404) {
    report.Line(Outcome::kFailed, "account", why.message(), "twilio.account_sid names no account these credentials reach",
                kConsoleHome);
    return;
  }
  if (why.http_status() == 0) {
    const std::string trust = twilio.ca_file.empty() ? "twilio.ca_path (" + twilio.ca_path + ")"
                                                     : "twilio.ca_file (" + twilio.ca_file + ")";
    report.Line(Outcome::kFailed, "TLS", why.message(),
                "check twilio.api_url (" + twilio.api_url + "), " + trust +
                    (twilio.proxy.empty() ? "" : ", twilio.proxy") + " and that this host reaches it on port 443");
    return;
  }
  report.Line(Outcome::kFailed, "account", why.message(), "see Twilio's error code above", kConsoleHome);
}

// Trial accounts reach only verified caller IDs (21608, and Verify the same).
void CheckTrialNumbers(Report& report, AccountReader& reader, const std::vector<PhoneRecord>& records) {
  size_t looked = 0;
  int unverified = 0;
  for (const PhoneRecord& record : records) {
    if (looked++ == kMaxTrialLookups) {
      report.Line(Outcome::kNotChecked, "trial numbers",
                  "only the first " + std::to_string(kMaxTrialLookups) + " enrolled numbers were looked up");
      break;
    }
    Result<bool> verified = reader.IsVerifiedCallerId(record.number);
    if (!verified.ok()) {
      report.Line(Outcome::kFailed, "trial numbers", verified.status().message());
      return;
    }
    if (!verified.value()) {
      ++unverified;
      report.Line(Outcome::kFailed, "trial numbers",
                  record.user + " (" + MaskNumber(record.number) +
                      ") is not a verified caller ID: a trial account can't send codes to it (Twilio 21608)",
                  "verify the number in the Console, or upgrade the account", kConsoleVerifiedIds);
    }
  }
  if (unverified == 0 && !records.empty()) {
    report.Line(Outcome::kOk, "trial numbers", "every enrolled number looked up is a verified caller ID");
  }
}

// Twilio has no read of Geo Permissions: name the countries they must allow.
void ReportGeoPermissions(Report& report, const Config& config, const std::vector<PhoneRecord>& records) {
  std::map<std::string, int> countries;
  for (const PhoneRecord& record : records) ++countries["+" + CountryCallingCode(record.number)];
  std::string list;
  for (const auto& [code, users] : countries) {
    list += (list.empty() ? "" : ", ") + code + " (" + std::to_string(users) + (users == 1 ? " user)" : " users)");
  }
  if (list.empty()) list = "none enrolled yet";
  const bool verify = config.twilio.mode == Mode::kVerify;
  report.Line(Outcome::kNotChecked, "geo permissions",
              "Twilio can't tell without sending (60605 / 21408 at the first code); the enrolled numbers' country "
              "calling codes must be allowed: " + list,
              verify ? "allow them in Verify's Geo Permissions" : "allow them in the SMS (and voice) Geo Permissions",
              verify ? kConsoleVerifyGeo : kConsoleSmsGeo);
  if (!verify) std::printf("          voice: %s\n", kConsoleVoiceGeo);
}

void CheckSender(Report& report, AccountReader& reader, const TwilioConfig& twilio) {
  if (!twilio.from.empty()) {
    Result<bool> owned = reader.OwnsNumber(twilio.from);
    if (!owned.ok()) {
      report.Line(Outcome::kFailed, "sender", owned.status().message());
    } else if (!owned.value()) {
      report.Line(Outcome::kFailed, "sender", "twilio.from " + twilio.from + " is not a number of this account",
                  "buy or port the number, or set twilio.from to one of the account's", kConsoleNumbers);
    } else {
      report.Line(Outcome::kOk, "sender", twilio.from + " belongs to the account");
    }
  }
  if (!twilio.messaging_service_sid.empty()) {
    // The Messaging Service lives on messaging.twilio.com, an API the module
    // never calls: its SID's form is checked by the config, its existence
    // by the first message.
    report.Line(Outcome::kNotChecked, "messaging service",
                twilio.messaging_service_sid + " is read at the first message only (Twilio 21705 if unknown)", "",
                kConsoleMessagingServices);
  }
}

// The service exists, and has on what the config uses (a login would get
// 403 / 60204 otherwise).
void CheckVerifyService(Report& report, AccountReader& reader, const TwilioConfig& twilio) {
  Result<VerifyServiceInfo> service = reader.FetchVerifyService();
  if (!service.ok()) {
    report.Line(Outcome::kFailed, "Verify service", service.status().message(),
                "twilio.verify_service_sid must name a Verify service of account " + twilio.account_sid,
                kConsoleVerifyServices);
    return;
  }
  report.Line(Outcome::kOk, "Verify service",
              twilio.verify_service_sid + " exists (TLS to " + twilio.verify_url + " verified)");
  if (twilio.verify_custom_code) {
    if (service->custom_code_enabled) {
      report.Line(Outcome::kOk, "custom codes", "the service takes codes the module makes");
    } else {
      report.Line(Outcome::kFailed, "custom codes",
                  "twilio.verify_custom_code is set but the service refuses custom codes (403 / 60204)",
                  "turn on \"Enable Custom Verification Code\" in the service's General settings, or remove "
                  "twilio.verify_custom_code",
                  kConsoleVerifyServices);
    }
  }
  if (twilio.amount.empty()) return;
  if (service->psd2_enabled) {
    report.Line(Outcome::kOk, "amount and payee", "the service has PSD2 (dynamic linking) on");
  } else {
    report.Line(Outcome::kFailed, "amount and payee",
                "twilio.amount and twilio.payee need PSD2 (dynamic linking) on the service, which is off",
                "ask Twilio to enable PSD2 for the service, or remove twilio.amount and twilio.payee",
                kConsoleVerifyServices);
  }
}

// twilio.rate_limits: every limit a login names exists (Twilio refuses a
// verification naming an unknown one).
void CheckRateLimits(Report& report, TwilioClient& client, const Config& config) {
  if (!config.twilio.rate_limits) return;
  Result<std::vector<std::string>> missing = MissingRateLimits(client, config.limits);
  if (!missing.ok()) {
    report.Line(Outcome::kFailed, "rate limits", missing.status().message(), "", kConsoleVerifyServices);
  } else if (!missing->empty()) {
    std::string names;
    for (const std::string& name : missing.value()) names += (names.empty() ? "" : ", ") + name;
    report.Line(Outcome::kFailed, "rate limits", "the service lacks " + names + ", which every login names",
                "run twilio-otp rate-limits setup", kConsoleVerifyServices);
  } else {
    report.Line(Outcome::kOk, "rate limits", "the service has the limits logins name (Twilio enforces them)");
  }
}

}  // namespace

int CheckNotExampleSids(const TwilioConfig& twilio) {
  int problems = 0;
  const struct {
    const char* key;
    const std::string& sid;
    const char* where;
  } sids[] = {
      {"twilio.account_sid", twilio.account_sid, kConsoleHome},
      {"twilio.api_key_sid", twilio.api_key_sid, kConsoleApiKeys},
      {"twilio.verify_service_sid", twilio.verify_service_sid, kConsoleVerifyServices},
      {"twilio.messaging_service_sid", twilio.messaging_service_sid, kConsoleMessagingServices},
  };
  for (const auto& s : sids) {
    if (!IsExampleSid(s.sid)) continue;
    std::fprintf(stderr, "twilio-otp: error: %s is the example's placeholder (%s): copy your own from %s\n", s.key,
                 s.sid.c_str(), s.where);
    ++problems;
  }
  return problems;
}

int CheckTwilioOnline(const Config& config, const std::vector<PhoneRecord>& records) {
  Report report;
  const TwilioConfig& twilio = config.twilio;
  if (HasExampleSid(twilio)) {
    report.Line(Outcome::kFailed, "credentials", "the example's placeholder SIDs (above): Twilio was not asked");
    return report.failures();
  }
  Result<std::unique_ptr<TwilioSession>> session = TwilioSession::Open(config, FileTrust(0), DefaultClock());
  if (!session.ok()) {
    report.Line(Outcome::kFailed, "credentials", session.status().message());
    return report.failures();
  }
  AccountReader reader(twilio, session.value()->transport());
  // The first read proves the credentials, TLS and the CA; a Standard API
  // key can read the numbers but not the account (its type) itself.
  const bool api_key = !twilio.api_key_sid.empty();
  if (Status first = api_key ? reader.ReadNumbers() : reader.FetchAccount().status(); !first.ok()) {
    ReportAccountFailure(report, twilio, first);
    return report.failures();  // every other read would fail the same way
  }
  report.Line(Outcome::kOk, "TLS", "verified " + twilio.api_url);
  Result<AccountInfo> account = reader.FetchAccount();
  if (!account.ok() && api_key && account.status().http_status() / 100 == 4) {
    report.Line(Outcome::kOk, "credentials", "API key " + twilio.api_key_sid + " of " + twilio.account_sid);
    report.Line(Outcome::kNotChecked, "trial account",
                "a Standard API key may not read the account's type; run once with the auth token or a Main key");
  } else if (!account.ok()) {
    ReportAccountFailure(report, twilio, account.status());
  } else if (account->status != "active") {
    report.Line(Outcome::kFailed, "credentials", "account " + twilio.account_sid + " is " + account->status,
                "reactivate the account", kConsoleHome);
  } else {
    report.Line(Outcome::kOk, "credentials", "account " + twilio.account_sid + " (" + account->type + ", active)");
  }
  if (account.ok() && account->type == "Trial") {
    report.Line(Outcome::kWarning, "trial account",
                "codes reach only the account's verified caller IDs, and messages start with a trial notice",
                "upgrade the account before users depend on it", kConsoleHome);
    CheckTrialNumbers(report, reader, records);
  }
  if (twilio.mode == Mode::kVerify) {
    CheckVerifyService(report, reader, twilio);
    CheckRateLimits(report, session.value()->client(), config);
  } else {
    CheckSender(report, reader, twilio);
  }
  ReportGeoPermissions(report, config, records);
  return report.failures();
}

}  // namespace twotp::cli
