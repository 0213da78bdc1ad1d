// Fuzzes the config parser: pam_twilio_otp.conf text (libconfig syntax)
// through ConfigReader::Parse + ReadConfigKeys, the two steps LoadConfig runs
// after reading the file, and through LoadConfig itself on the same bytes in a
// file this process owns (FileTrust for getuid()).
//
// Invariants: both paths give the same answer; an error is one kConfig line
// that starts with the path; an accepted config holds only values the schema
// and the per-mode rules allow (SIDs, ranges, channels, {code} in the
// message, absolute paths, https URLs, parseable networks).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/cidr.h"
#include "config/config.h"
#include "config/config_reader.h"
#include "config/config_schema.h"
#include "base/file_trust.h"
#include "fuzz_util.h"
#include "base/phone.h"

using namespace twotp;

namespace {

fuzz::ScratchDir& Scratch() {
  static fuzz::ScratchDir dir;
  return dir;
}

bool IsHex(char c) { return fuzz::IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool IsSid(std::string_view value, std::string_view prefix) {
  return value.size() == 34 && value.starts_with(prefix) && std::all_of(value.begin() + 2, value.end(), IsHex);
}

bool InRange(int value, int min, int max) { return value >= min && value <= max; }

// The config names files that ReadConfigKeys opens (CA files). Never let the
// fuzzer make it open a device or a kernel file: O_NONBLOCK keeps a FIFO from
// hanging, but opening some devices has effects of its own.
bool OpensOnlySafePaths(const ConfigReader& reader) {
  for (const char* key : {"twilio.ca_file", "directory.ldap.ca_file"}) {
    std::string value;
    if (!reader.String(key, &value)) continue;
    const std::string normal = std::filesystem::path(value).lexically_normal().string();
    for (std::string_view bad : {"/dev", "/proc", "/sys", "/run"}) {
      if (normal.starts_with(bad)) return false;
    }
  }
  return true;
}

void CheckPath(const std::string& value, const char* key) {
  FUZZ_CHECK(value.empty() || value.front() == '/', std::string(key) + " = " + fuzz::Show(value));
}

void CheckAccepted(const Config& c, const std::string& path) {
  const TwilioConfig& t = c.twilio;
  FUZZ_CHECK(c.path == path, c.path);
  FUZZ_CHECK(IsSid(t.account_sid, "AC"), fuzz::Show(t.account_sid));
  const bool token = !t.auth_token_file.empty();
  const bool key = !t.api_key_sid.empty() && !t.api_key_secret_file.empty();
  FUZZ_CHECK(token != key, "exactly one kind of credentials");
  FUZZ_CHECK(t.api_key_sid.empty() || IsSid(t.api_key_sid, "SK"), fuzz::Show(t.api_key_sid));
  FUZZ_CHECK(t.api_key_sid.empty() == t.api_key_secret_file.empty(), "api key without its secret");
  CheckPath(t.auth_token_file, "auth_token_file");
  CheckPath(t.api_key_secret_file, "api_key_secret_file");
  CheckPath(t.ca_path, "ca_path");
  CheckPath(t.ca_file, "ca_file");
  FUZZ_CHECK(t.api_url.starts_with("https://") && t.api_url.size() > 8, fuzz::Show(t.api_url));
  FUZZ_CHECK(t.verify_url.starts_with("https://") && t.verify_url.size() > 8, fuzz::Show(t.verify_url));
  FUZZ_CHECK(InRange(t.timeout, 1, 60), std::to_string(t.timeout));
  FUZZ_CHECK(InRange(t.total_timeout, 1, 120), std::to_string(t.total_timeout));

  const PolicyConfig& p = c.policy;
  FUZZ_CHECK(!p.channels.empty(), "no channel");
  for (size_t i = 0; i < p.channels.size(); ++i) {
    FUZZ_CHECK(std::count(p.channels.begin(), p.channels.end(), p.channels[i]) == 1, "channel listed twice");
  }
  if (t.mode == Mode::kVerify) {
    FUZZ_CHECK(IsSid(t.verify_service_sid, "VA"), fuzz::Show(t.verify_service_sid));
    FUZZ_CHECK(t.from.empty() && t.messaging_service_sid.empty(), "messaging keys in verify mode");
  } else {
    FUZZ_CHECK(t.verify_service_sid.empty() && t.locale.empty() && t.friendly_name.empty(),
               "verify keys in messaging mode");
    FUZZ_CHECK(!t.from.empty() || !t.messaging_service_sid.empty(), "no sender");
    FUZZ_CHECK(t.from.empty() || IsE164(t.from), fuzz::Show(t.from));
    FUZZ_CHECK(t.messaging_service_sid.empty() || IsSid(t.messaging_service_sid, "MG"),
               fuzz::Show(t.messaging_service_sid));
    for (Channel ch : p.channels) {
      FUZZ_CHECK(ch != Channel::kWhatsapp, "whatsapp in messaging mode");
      FUZZ_CHECK(ch != Channel::kCall || !t.from.empty(), "call without from");
    }
  }
  FUZZ_CHECK(InRange(p.code_length, 4, 10), std::to_string(p.code_length));
  FUZZ_CHECK(InRange(p.code_ttl, 30, 3600), std::to_string(p.code_ttl));
  FUZZ_CHECK(InRange(p.max_attempts, 1, 10), std::to_string(p.max_attempts));
  FUZZ_CHECK(InRange(p.grace_period, 0, 86400), std::to_string(p.grace_period));
  FUZZ_CHECK(p.message.find("{code}") != std::string::npos, fuzz::Show(p.message));
  for (const ServiceOverride& o : p.services) {
    FUZZ_CHECK(!o.service.empty(), "service override without a name");
    FUZZ_CHECK(o.grace_period == -1 || InRange(o.grace_period, 0, 86400), std::to_string(o.grace_period));
    FUZZ_CHECK(InRange(p.GraceFor(o.service), 0, 86400), o.service);
    // Networks are parsed when the config is read; a login matches against
    // the override's own list when it has one, else the policy's.
    const std::vector<Cidr>* used = &p.TrustedNetworksFor(o.service);
    FUZZ_CHECK(used == (o.has_trusted_networks ? &o.trusted_networks : &p.trusted_networks), o.service);
  }
  for (const auto* names : {&p.groups, &p.skip_groups, &p.exempt_users, &p.exempt_groups}) {
    for (const std::string& name : *names) FUZZ_CHECK(!name.empty(), "empty name in a list");
  }

  const LimitsConfig& l = c.limits;
  FUZZ_CHECK(InRange(l.sends_per_window, 1, 100), std::to_string(l.sends_per_window));
  FUZZ_CHECK(InRange(l.send_window, 1, 86400), std::to_string(l.send_window));
  FUZZ_CHECK(InRange(l.resend_cooldown, 0, 3600), std::to_string(l.resend_cooldown));
  FUZZ_CHECK(InRange(l.max_failures, 1, 100), std::to_string(l.max_failures));
  FUZZ_CHECK(InRange(l.lockout, 1, 86400), std::to_string(l.lockout));
  FUZZ_CHECK(InRange(l.global_sends_per_hour, 1, 100000), std::to_string(l.global_sends_per_hour));
  for (const std::string& cc : l.allowed_countries) {
    FUZZ_CHECK(!cc.empty() && cc.size() <= 3 && cc[0] != '0' && std::all_of(cc.begin(), cc.end(), fuzz::IsDigit),
               fuzz::Show(cc));
  }
  CheckPath(c.state_dir, "state_dir");
  CheckPath(c.directory.file, "directory.file");

  if (c.directory.backend == Backend::kLdap) {
    const LdapConfig& d = c.directory.ldap;
    FUZZ_CHECK(!d.uri.empty(), "ldap without uri");
    for (const std::string& uri : d.uri) {
      FUZZ_CHECK(uri.starts_with("ldap://") || uri.starts_with("ldaps://"), fuzz::Show(uri));
    }
    FUZZ_CHECK(!d.base.empty(), "ldap without base");
    FUZZ_CHECK(d.filter.find("%u") != std::string::npos, fuzz::Show(d.filter));
    FUZZ_CHECK(d.scope == "base" || d.scope == "one" || d.scope == "sub", fuzz::Show(d.scope));
    FUZZ_CHECK(d.bind_dn.empty() == d.bind_password_file.empty(), "bind_dn without its password or the reverse");
    FUZZ_CHECK(InRange(d.timeout, 1, 60), std::to_string(d.timeout));
    CheckPath(d.ca_file, "directory.ldap.ca_file");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string path = Scratch().File("pam_twilio_otp.conf");
  const FileTrust trust(getuid());

  // In memory: what LoadConfig does once it has the bytes.
  Result<ConfigReader> reader = ConfigReader::Parse(path, text);
  Config config;
  Status status;
  if (reader.ok()) {
    if (!OpensOnlySafePaths(reader.value())) return -1;  // not kept in the corpus
    config.path = path;
    ReadConfigKeys(reader.value(), trust, &config);
    status = reader->status();
  } else {
    status = reader.status();
  }

  // Through the file, as the module loads it: the same answer.
  fuzz::WriteFile(path, text);
  Result<Config> loaded = LoadConfig(path, trust);
  const Status& loaded_status = loaded.ok() ? Status::Ok() : loaded.status();
  FUZZ_CHECK(loaded.ok() == status.ok(), "LoadConfig: " + loaded_status.ToString() + " / in memory: " +
                                              status.ToString());
  FUZZ_CHECK(loaded_status.message() == status.message(),
             fuzz::Show(loaded_status.message()) + " vs " + fuzz::Show(status.message()));

  if (!status.ok()) {
    FUZZ_CHECK(status.Is(Fault::kConfig), status.ToString());
    FUZZ_CHECK(status.message().starts_with(path + ":"), fuzz::Show(status.message()));
    // config_reader.h: "messages must stay one syslog line".
    FUZZ_CHECK(fuzz::IsOneLine(status.message()), fuzz::Show(status.message(), 400));
    return 0;
  }
  CheckAccepted(config, path);
  CheckAccepted(loaded.value(), path);
  return 0;
}
