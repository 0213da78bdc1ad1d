#include "config/config_schema.h"

#include <algorithm>
#include <initializer_list>

#include "base/text.h"
#include "config/config_access.h"
#include "config/twilio_region.h"
#include "base/http_url.h"
#include "base/phone.h"
#include "base/unique_fd.h"

namespace twotp {

namespace {

// Names, kinds and ranges of every key; pam_twilio_otp.conf(5) documents
// the same table. Limits are capped so that a typo cannot switch them off.
constexpr KeySpec kSchema[] = {
    {"twilio", Kind::kGroup},
    {"twilio.mode", Kind::kString},
    {"twilio.account_sid", Kind::kString},
    {"twilio.auth_token_file", Kind::kPath},
    {"twilio.api_key_sid", Kind::kString},
    {"twilio.api_key_secret_file", Kind::kPath},
    {"twilio.verify_service_sid", Kind::kString},
    {"twilio.locale", Kind::kString},
    {"twilio.friendly_name", Kind::kString},
    {"twilio.verify_custom_code", Kind::kBool},
    {"twilio.rate_limits", Kind::kBool},
    {"twilio.amount", Kind::kString},
    {"twilio.payee", Kind::kString},
    {"twilio.template_sid", Kind::kString},
    {"twilio.template_substitutions", Kind::kGroup},
    {"twilio.template_substitutions.*", Kind::kString},
    {"twilio.from", Kind::kString},
    {"twilio.messaging_service_sid", Kind::kString},
    {"twilio.region", Kind::kString},
    {"twilio.edge", Kind::kString},
    {"twilio.api_url", Kind::kHttpsUrl},
    {"twilio.verify_url", Kind::kHttpsUrl},
    {"twilio.lookup", Kind::kBool},
    {"twilio.lookup_url", Kind::kHttpsUrl},
    {"twilio.ca_path", Kind::kPath},
    {"twilio.ca_file", Kind::kPath},
    {"twilio.proxy", Kind::kString},
    {"twilio.timeout", Kind::kInt, 1, 60},
    {"twilio.total_timeout", Kind::kInt, 1, 120},
    {"directory", Kind::kGroup},
    {"directory.backend", Kind::kString},
    {"directory.file", Kind::kPath},
    {"directory.ldap", Kind::kGroup},
    {"directory.ldap.uri", Kind::kStringList},
    {"directory.ldap.starttls", Kind::kBool},
    {"directory.ldap.ca_file", Kind::kPath},
    {"directory.ldap.bind_dn", Kind::kString},
    {"directory.ldap.bind_password_file", Kind::kPath},
    {"directory.ldap.base", Kind::kString},
    {"directory.ldap.scope", Kind::kString},
    {"directory.ldap.filter", Kind::kString},
    {"directory.ldap.attribute", Kind::kString},
    {"directory.ldap.channel_attribute", Kind::kString},
    {"directory.ldap.verified_attribute", Kind::kString},
    {"directory.ldap.email_attribute", Kind::kString},
    {"directory.ldap.timeout", Kind::kInt, 1, 60},
    {"policy", Kind::kGroup},
    {"policy.code_length", Kind::kInt, 4, 10},
    {"policy.code_ttl", Kind::kInt, 30, 3600},
    {"policy.max_attempts", Kind::kInt, 1, 10},
    {"policy.failmode", Kind::kString},
    {"policy.probe_max_age", Kind::kInt, 0, 3600},
    {"policy.unenrolled", Kind::kString},
    {"policy.channels", Kind::kStringList},
    {"policy.totp_fallback", Kind::kBool},
    {"policy.message", Kind::kString},
    {"policy.prompt", Kind::kString},
    {"policy.grace_period", Kind::kInt, 0, 86400},
    {"policy.trusted_networks", Kind::kStringList},
    {"policy.groups", Kind::kStringList},
    {"policy.skip_groups", Kind::kStringList},
    {"policy.exempt_users", Kind::kStringList},
    {"policy.exempt_groups", Kind::kStringList},
    {"policy.services", Kind::kGroup},
    {"policy.services.*", Kind::kGroup},
    {"policy.services.*.grace_period", Kind::kInt, 0, 86400},
    {"policy.services.*.trusted_networks", Kind::kStringList},
    {"limits", Kind::kGroup},
    {"limits.sends_per_window", Kind::kInt, 1, 100},
    {"limits.send_window", Kind::kInt, 1, 86400},
    {"limits.resend_cooldown", Kind::kInt, 0, 3600},
    {"limits.max_failures", Kind::kInt, 1, 100},
    {"limits.lockout", Kind::kInt, 1, 86400},
    {"limits.global_sends_per_hour", Kind::kInt, 1, 100000},
    {"limits.fleet_sends_per_hour", Kind::kInt, 0, 1000000},
    {"limits.allowed_countries", Kind::kStringList},
    {"state_dir", Kind::kPath},
    {"state", Kind::kGroup},
    {"state.backend", Kind::kString},
    {"state.fallback", Kind::kString},
};

constexpr Choice<Mode> kModes[] = {{"verify", Mode::kVerify}, {"messaging", Mode::kMessaging}};
constexpr Choice<FailMode> kFailModes[] = {{"secure", FailMode::kSecure}, {"safe", FailMode::kSafe}};
constexpr Choice<Unenrolled> kUnenrolled[] = {
    {"deny", Unenrolled::kDeny}, {"allow", Unenrolled::kAllow}, {"enroll", Unenrolled::kEnroll}};
constexpr Choice<Backend> kBackends[] = {{"file", Backend::kFile}, {"ldap", Backend::kLdap}};
constexpr Choice<StateBackend> kStateBackends[] = {{"local", StateBackend::kLocal}, {"ldap", StateBackend::kLdap}};
constexpr Choice<bool> kStateFallbacks[] = {{"none", false}, {"local", true}};
constexpr Choice<const char*> kScopes[] = {{"base", "base"}, {"one", "one"}, {"sub", "sub"}};
constexpr const char* kChannelNames[] = {"sms", "call", "whatsapp", "email", "totp"};

constexpr const char* kPlaceholders[] = {"code", "user", "host", "service", "rhost", "minutes", "command"};
// What a Verify detail (amount, payee, a template variable) may name: Verify
// makes the code, so there is no {code} to give it, nor {minutes}.
constexpr const char* kDetailPlaceholders[] = {"user", "host", "service", "rhost", "command"};
constexpr size_t kMaxDetailChars = 200;
constexpr size_t kMaxPromptChars = 200;
constexpr size_t kMaxMessageChars = 1600;     // Twilio's limit for one message body
constexpr size_t kMaxFriendlyNameChars = 64;  // Twilio's limit for friendly names (error 20002)

template <typename Field>
struct StringKey {
  const char* key;
  std::string Field::*field;
};

constexpr StringKey<TwilioConfig> kTwilioStrings[] = {
    {"twilio.account_sid", &TwilioConfig::account_sid},
    {"twilio.auth_token_file", &TwilioConfig::auth_token_file},
    {"twilio.api_key_sid", &TwilioConfig::api_key_sid},
    {"twilio.api_key_secret_file", &TwilioConfig::api_key_secret_file},
    {"twilio.verify_service_sid", &TwilioConfig::verify_service_sid},
    {"twilio.locale", &TwilioConfig::locale},
    {"twilio.friendly_name", &TwilioConfig::friendly_name},
    {"twilio.amount", &TwilioConfig::amount},
    {"twilio.payee", &TwilioConfig::payee},
    {"twilio.template_sid", &TwilioConfig::template_sid},
    {"twilio.from", &TwilioConfig::from},
    {"twilio.messaging_service_sid", &TwilioConfig::messaging_service_sid},
    {"twilio.region", &TwilioConfig::region},
    {"twilio.edge", &TwilioConfig::edge},
    {"twilio.api_url", &TwilioConfig::api_url},
    {"twilio.verify_url", &TwilioConfig::verify_url},
    {"twilio.lookup_url", &TwilioConfig::lookup_url},
    {"twilio.ca_path", &TwilioConfig::ca_path},
    {"twilio.ca_file", &TwilioConfig::ca_file},
    {"twilio.proxy", &TwilioConfig::proxy},
};

constexpr StringKey<LdapConfig> kLdapStrings[] = {
    {"directory.ldap.ca_file", &LdapConfig::ca_file},
    {"directory.ldap.bind_dn", &LdapConfig::bind_dn},
    {"directory.ldap.bind_password_file", &LdapConfig::bind_password_file},
    {"directory.ldap.base", &LdapConfig::base},
    {"directory.ldap.filter", &LdapConfig::filter},
    {"directory.ldap.attribute", &LdapConfig::attribute},
    {"directory.ldap.channel_attribute", &LdapConfig::channel_attribute},
    {"directory.ldap.verified_attribute", &LdapConfig::verified_attribute},
    {"directory.ldap.email_attribute", &LdapConfig::email_attribute},
};

template <typename Field, size_t N>
void ReadStrings(const ConfigReader& r, const StringKey<Field> (&keys)[N], Field* out) {
  for (const auto& k : keys) r.String(k.key, &(out->*k.field));
}

// Characters, not bytes: UTF-8 continuation bytes do not count.
size_t Utf8Length(std::string_view text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

// "en", "fr", "pt-BR", "zh-HK", "es-419": a language and an optional region.
bool IsLocale(std::string_view value) {
  std::string_view language = value.substr(0, value.find('-'));
  if (language.size() < 2 || language.size() > 3 ||
      !std::all_of(language.begin(), language.end(), IsLetter)) {
    return false;
  }
  if (language.size() == value.size()) return true;
  std::string_view region = value.substr(language.size() + 1);
  return region.size() >= 2 && region.size() <= 4 &&
         std::all_of(region.begin(), region.end(), [](char c) { return IsLetter(c) || IsDigit(c); });
}

// E.164 country calling codes: 1 to 3 digits, never starting with 0.
bool IsCallingCode(std::string_view value) {
  return !value.empty() && value.size() <= 3 && value.front() != '0' &&
         std::all_of(value.begin(), value.end(), IsDigit);
}

// An LDAP attribute description: a name ("mobile", "telephoneNumber") or an OID.
bool IsAttributeName(std::string_view value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return IsLetter(c) || IsDigit(c) || c == '-' || c == '.' || c == ';';
  });
}

// Attribute names are case-insensitive (RFC 4512).
bool SameAttribute(std::string_view a, std::string_view b) { return Lower(a) == Lower(b); }

bool Contains(const std::vector<Channel>& channels, Channel channel) {
  return std::find(channels.begin(), channels.end(), channel) != channels.end();
}

// The value of a SID is not echoed: a token pasted into the wrong key would
// otherwise end up in syslog.
void CheckSid(ConfigReader& r, std::string_view key, std::string_view prefix, const std::string& value) {
  if (!value.empty() && !IsSid(value, prefix)) {
    r.Fail(key, "must be \"" + std::string(prefix) + "\" followed by 32 hex digits");
  }
}

void RequireSid(ConfigReader& r, std::string_view key, std::string_view prefix, const std::string& value) {
  if (value.empty()) return r.Fail(key, "required");
  CheckSid(r, key, prefix, value);
}

// Keys that belong to the other mode are refused rather than ignored, so an
// administrator never believes a setting is in force when it is not.
void RefuseKeys(ConfigReader& r, std::initializer_list<const char*> keys, std::string_view why) {
  for (const char* key : keys) {
    if (r.Has(key)) r.Fail(key, why);
  }
}

// Files that libraries open later (OpenSSL, libldap) by path: check them now,
// so a CA bundle anyone can write is refused before it is trusted.
void CheckTrustedFile(ConfigReader& r, const FileTrust& trust, std::string_view key,
                      const std::string& path) {
  if (path.empty()) return;
  // Only the checks matter here; the fd closes on return.
  Result<UniqueFd> fd = trust.OpenTrusted(path);
  if (!fd.ok()) return r.Fail(key, fd.status().message());
}

// `text` uses only the placeholders of `known` (each "{name}" closed); with
// `needs_code`, {code} must be among them.
template <size_t N>
void CheckTemplate(ConfigReader& r, const std::string& key, const std::string& text, const char* const (&known)[N],
                   bool needs_code, size_t max_chars) {
  bool has_code = false;
  size_t open = text.find('{');
  while (open != std::string::npos) {
    size_t close = text.find('}', open);
    if (close == std::string::npos) return r.Fail(key, "has a \"{\" without its \"}\"");
    std::string_view name = std::string_view(text).substr(open + 1, close - open - 1);
    if (std::find(std::begin(known), std::end(known), name) == std::end(known)) {
      std::string list;
      for (const char* k : known) list += std::string(list.empty() ? "" : " ") + "{" + k + "}";
      return r.Fail(key, "unknown placeholder " + Quoted("{" + std::string(name) + "}") + "; known: " + list);
    }
    has_code = has_code || name == "code";
    open = text.find('{', close);
  }
  if (needs_code && !has_code) r.Fail(key, "must contain {code}");
  if (Utf8Length(text) > max_chars) r.Fail(key, "longer than " + std::to_string(max_chars) + " characters");
}

void CheckCredentials(ConfigReader& r, const TwilioConfig& t) {
  bool token = !t.auth_token_file.empty();
  bool key = !t.api_key_sid.empty();
  bool key_secret = !t.api_key_secret_file.empty();
  if (token && (key || key_secret)) {
    r.Fail("twilio.auth_token_file",
           "set either auth_token_file or api_key_sid with api_key_secret_file, not both");
  } else if (key && !key_secret) {
    r.Fail("twilio.api_key_secret_file", "required with api_key_sid");
  } else if (key_secret && !key) {
    r.Fail("twilio.api_key_sid", "required with api_key_secret_file");
  } else if (!token && !key) {
    r.Fail("twilio.auth_token_file", "required (or api_key_sid with api_key_secret_file)");
  }
  CheckSid(r, "twilio.api_key_sid", "SK", t.api_key_sid);
}

void CheckVerifyMode(ConfigReader& r, const TwilioConfig& t) {
  RequireSid(r, "twilio.verify_service_sid", "VA", t.verify_service_sid);
  if (!t.locale.empty() && !IsLocale(t.locale)) {
    r.Fail("twilio.locale",
           "must be a language tag such as \"en\", \"fr\" or \"pt-BR\" (got " + Quoted(t.locale) + ")");
  }
  if (Utf8Length(t.friendly_name) > kMaxFriendlyNameChars) {
    r.Fail("twilio.friendly_name", "longer than " + std::to_string(kMaxFriendlyNameChars) + " characters");
  }
  CheckTemplate(r, "twilio.amount", t.amount, kDetailPlaceholders, false, kMaxDetailChars);
  CheckTemplate(r, "twilio.payee", t.payee, kDetailPlaceholders, false, kMaxDetailChars);
  if (t.amount.empty() != t.payee.empty()) {
    r.Fail(t.amount.empty() ? "twilio.amount" : "twilio.payee",
           "required with twilio." + std::string(t.amount.empty() ? "payee" : "amount") +
               ": Verify's dynamic linking names both what is approved and for whom");
  }
  CheckSid(r, "twilio.template_sid", "HJ", t.template_sid);
  for (const auto& [variable, text] : t.template_substitutions) {
    CheckTemplate(r, "twilio.template_substitutions." + variable, text, kDetailPlaceholders, false,
                  kMaxDetailChars);
  }
  if (!t.template_substitutions.empty() && t.template_sid.empty()) {
    r.Fail("twilio.template_substitutions", "needs twilio.template_sid: they fill that template's variables");
  }
  RefuseKeys(r, {"twilio.from", "twilio.messaging_service_sid"},
             "only used in messaging mode; remove it or set twilio.mode = \"messaging\"");
}

// Messaging mode sends SMS through `from` or a Messaging Service, and places
// calls from `from`: what is allowed depends on policy.channels.
void CheckMessagingMode(ConfigReader& r, const TwilioConfig& t, const std::vector<Channel>& channels) {
  RefuseKeys(r,
             {"twilio.verify_service_sid", "twilio.locale", "twilio.friendly_name", "twilio.verify_custom_code",
              "twilio.rate_limits",
              "twilio.amount", "twilio.payee", "twilio.template_sid", "twilio.template_substitutions"},
             "only used in verify mode; remove it or set twilio.mode = \"verify\"");
  if (!t.from.empty() && !IsE164(t.from)) {
    r.Fail("twilio.from", "must be an E.164 number: \"+\" and 8 to 15 digits, the first not 0");
  }
  CheckSid(r, "twilio.messaging_service_sid", "MG", t.messaging_service_sid);
  if (t.from.empty() && t.messaging_service_sid.empty()) {
    r.Fail("twilio.from", "required in messaging mode (or twilio.messaging_service_sid)");
  }
  if (!t.from.empty() && !t.messaging_service_sid.empty() && !Contains(channels, Channel::kCall)) {
    r.Fail("twilio.from",
           "set either from or messaging_service_sid; both only when policy.channels has \"call\"");
  }
  for (size_t i = 0; i < channels.size(); ++i) {
    if (channels[i] == Channel::kWhatsapp || channels[i] == Channel::kEmail || channels[i] == Channel::kTotp) {
      r.FailElement("policy.channels", i,
                    std::string("messaging mode sends sms and call; use verify mode for ") + ChannelName(channels[i]));
    } else if (channels[i] == Channel::kCall && t.from.empty()) {
      r.FailElement("policy.channels", i,
                    "\"call\" needs twilio.from: a Messaging Service cannot place calls");
    }
  }
}

// twilio.region / twilio.edge give the base URLs; naming them as well would
// leave two answers to "where do requests go".
void ApplyRegion(ConfigReader& r, TwilioConfig* t) {
  if (t->region.empty() && t->edge.empty()) return;
  const char* const set_by_region[] = {"twilio.api_url", "twilio.verify_url", "twilio.lookup_url"};
  for (const char* key : set_by_region) {
    if (r.Has(key)) {
      r.Fail(key, "set either this or twilio.region / twilio.edge, which make it https://api|verify.EDGE.REGION."
                  "twilio.com");
    }
  }
  if (!t->region.empty() && !IsRegionName(t->region)) {
    r.Fail("twilio.region", "must be a Twilio Region such as \"ie1\" or \"au1\" (got " + Quoted(t->region) + ")");
    return;
  }
  if (!t->edge.empty() && !IsEdgeName(t->edge)) {
    r.Fail("twilio.edge", "must be a Twilio Edge Location such as \"dublin\" or \"sydney\" (got " +
                              Quoted(t->edge) + ")");
    return;
  }
  std::optional<std::string> suffix = RegionalHostSuffix(t->region, t->edge);
  if (!suffix) {
    r.Fail("twilio.edge", "required with twilio.region = " + Quoted(t->region) +
                              ": no Edge Location is known for that Region");
    return;
  }
  t->api_url = RegionalUrl("api", *suffix);
  t->verify_url = RegionalUrl("verify", *suffix);
  t->lookup_url = RegionalUrl("lookups", *suffix);
}

void ReadTwilio(ConfigReader& r, const FileTrust& trust, TwilioConfig* t) {
  r.Enum("twilio.mode", kModes, &t->mode);
  ReadStrings(r, kTwilioStrings, t);
  r.Bool("twilio.verify_custom_code", &t->verify_custom_code);
  r.Bool("twilio.rate_limits", &t->rate_limits);
  r.Bool("twilio.lookup", &t->lookup);
  ApplyRegion(r, t);
  for (const std::string& variable : r.MemberNames("twilio.template_substitutions")) {
    std::string text;
    r.String("twilio.template_substitutions." + variable, &text);
    t->template_substitutions.emplace_back(variable, std::move(text));
  }
  r.Int("twilio.timeout", &t->timeout);
  r.Int("twilio.total_timeout", &t->total_timeout);
  RequireSid(r, "twilio.account_sid", "AC", t->account_sid);
  CheckCredentials(r, *t);
  CheckTrustedFile(r, trust, "twilio.ca_file", t->ca_file);
  if (Result<HttpUrl> proxy = ParseProxyUrl(t->proxy); !t->proxy.empty() && !proxy.ok()) {
    r.Fail("twilio.proxy", proxy.status().message() + " (got " + Quoted(t->proxy) + ")");
  }
  if (t->mode == Mode::kVerify) CheckVerifyMode(r, *t);
}

void CheckLdapUris(ConfigReader& r, const LdapConfig& l) {
  constexpr const char* kKey = "directory.ldap.uri";
  if (l.uri.empty()) return r.Fail(kKey, "must list at least one ldap:// or ldaps:// URI");
  for (size_t i = 0; i < l.uri.size(); ++i) {
    std::string_view uri = l.uri[i];
    bool ldaps = uri.starts_with("ldaps://");
    if ((!ldaps && !uri.starts_with("ldap://")) || uri.ends_with("://")) {
      r.FailElement(kKey, i, "must be ldap://HOST or ldaps://HOST (got " + Quoted(uri) + ")");
    } else if (ldaps && l.starttls) {
      r.FailElement(kKey, i, "starttls is for ldap:// URIs; ldaps:// is TLS already");
    } else if (!ldaps && !l.starttls && !l.bind_password_file.empty()) {
      r.FailElement(kKey, i, "would send the bind password in clear; use ldaps:// or starttls = true");
    } else if (!ldaps && !l.starttls) {
      // Anyone on the path could answer with their own phone number.
      r.FailElement(kKey, i, "plain ldap:// lets anyone on the network change the numbers; "
                             "use ldaps:// or starttls = true");
    }
  }
}

void ReadLdap(ConfigReader& r, const FileTrust& trust, LdapConfig* l) {
  constexpr const char* kRequired = "required when directory.backend is \"ldap\"";
  if (!r.StringList("directory.ldap.uri", &l->uri)) r.Fail("directory.ldap.uri", kRequired);
  r.Bool("directory.ldap.starttls", &l->starttls);
  ReadStrings(r, kLdapStrings, l);
  r.Enum("directory.ldap.scope", kScopes, &l->scope);
  r.Int("directory.ldap.timeout", &l->timeout);
  CheckLdapUris(r, *l);
  CheckTrustedFile(r, trust, "directory.ldap.ca_file", l->ca_file);
  if (l->bind_dn.empty() && !l->bind_password_file.empty()) {
    r.Fail("directory.ldap.bind_dn", "required with bind_password_file");
  } else if (!l->bind_dn.empty() && l->bind_password_file.empty()) {
    r.Fail("directory.ldap.bind_password_file", "required with bind_dn (leave both out to bind anonymously)");
  }
  if (l->base.empty()) r.Fail("directory.ldap.base", kRequired);
  if (l->filter.find("%u") == std::string::npos || !l->filter.starts_with('(') || !l->filter.ends_with(')')) {
    r.Fail("directory.ldap.filter",
           "must be a parenthesised filter with %u for the user name, like \"(uid=%u)\"");
  }
  if (!IsAttributeName(l->attribute)) {
    r.Fail("directory.ldap.attribute",
           "must be an attribute name such as \"mobile\" (got " + Quoted(l->attribute) + ")");
  }
  const std::pair<const char*, const std::string*> optional_attributes[] = {
      {"directory.ldap.channel_attribute", &l->channel_attribute},
      {"directory.ldap.verified_attribute", &l->verified_attribute},
      {"directory.ldap.email_attribute", &l->email_attribute}};
  for (const auto& [key, name] : optional_attributes) {
    if (name->empty()) continue;
    bool shared = SameAttribute(*name, l->attribute);
    for (const auto& other : optional_attributes) {
      if (other.second != name && SameAttribute(*name, *other.second)) shared = true;
    }
    if (!IsAttributeName(*name)) {
      r.Fail(key, "must be an attribute name (got " + Quoted(*name) + ")");
    } else if (shared) {
      r.Fail(key, "must differ from the other directory.ldap attributes");
    }
  }
}

// The ldap group is checked in full only when it is in use; otherwise only
// its key names and kinds (CheckSchema), so it can be prepared in advance.
void ReadDirectory(ConfigReader& r, const FileTrust& trust, DirectoryConfig* d) {
  r.Enum("directory.backend", kBackends, &d->backend);
  r.String("directory.file", &d->file);
  if (d->backend == Backend::kLdap) ReadLdap(r, trust, &d->ldap);
}

void ReadChannels(ConfigReader& r, std::vector<Channel>* channels) {
  constexpr const char* kKey = "policy.channels";
  std::vector<std::string> names;
  if (!r.StringList(kKey, &names)) return;
  if (names.empty()) return r.Fail(kKey, "must list at least one channel: \"sms\", \"call\" or \"whatsapp\"");
  channels->clear();
  for (size_t i = 0; i < names.size(); ++i) {
    std::optional<Channel> channel = ParseChannel(names[i]);
    if (!channel) {
      r.FailElement(kKey, i, MustBeOneOf(kChannelNames, names[i]));
    } else if (Contains(*channels, *channel)) {
      r.FailElement(kKey, i, Quoted(names[i]) + " is listed twice");
    } else {
      channels->push_back(*channel);
    }
  }
}

void CheckMessage(ConfigReader& r, const std::string& message) {
  CheckTemplate(r, "policy.message", message, kPlaceholders, /*needs_code=*/true, kMaxMessageChars);
}

void ReadPolicy(ConfigReader& r, PolicyConfig* p) {
  r.Int("policy.code_length", &p->code_length);
  r.Int("policy.code_ttl", &p->code_ttl);
  r.Int("policy.max_attempts", &p->max_attempts);
  r.Enum("policy.failmode", kFailModes, &p->failmode);
  r.Int("policy.probe_max_age", &p->probe_max_age);
  r.Enum("policy.unenrolled", kUnenrolled, &p->unenrolled);
  ReadChannels(r, &p->channels);
  r.Bool("policy.totp_fallback", &p->totp_fallback);
  r.String("policy.message", &p->message);
  CheckMessage(r, p->message);
  r.String("policy.prompt", &p->prompt);
  if (Utf8Length(p->prompt) > kMaxPromptChars) {
    r.Fail("policy.prompt", "longer than " + std::to_string(kMaxPromptChars) + " characters");
  }
  ReadAccessRules(r, p);
}

void ReadLimits(ConfigReader& r, LimitsConfig* l) {
  r.Int("limits.sends_per_window", &l->sends_per_window);
  r.Int("limits.send_window", &l->send_window);
  r.Int("limits.resend_cooldown", &l->resend_cooldown);
  r.Int("limits.max_failures", &l->max_failures);
  r.Int("limits.lockout", &l->lockout);
  r.Int("limits.global_sends_per_hour", &l->global_sends_per_hour);
  r.Int("limits.fleet_sends_per_hour", &l->fleet_sends_per_hour);
  r.StringList("limits.allowed_countries", &l->allowed_countries);
  for (size_t i = 0; i < l->allowed_countries.size(); ++i) {
    if (!IsCallingCode(l->allowed_countries[i])) {
      r.FailElement("limits.allowed_countries", i,
                    "must be a calling code of 1 to 3 digits, not starting with 0 (got " +
                        Quoted(l->allowed_countries[i]) + ")");
    }
  }
}

// state.backend = "ldap" keeps the fleet state on the entries that
// directory.ldap finds, through the same servers and bind.
void ReadState(ConfigReader& r, const Config& config, StateConfig* s) {
  r.Enum("state.backend", kStateBackends, &s->backend);
  r.Enum("state.fallback", kStateFallbacks, &s->local_fallback);
  if (s->backend == StateBackend::kLdap && config.directory.backend != Backend::kLdap) {
    r.Fail("state.backend", "\"ldap\" keeps the state on the users' directory entries: it needs directory.backend = \"ldap\"");
  }
  if (s->backend == StateBackend::kLdap && config.directory.ldap.bind_dn.empty()) {
    r.Fail("state.backend", "\"ldap\" writes to the directory: set directory.ldap.bind_dn to an account that may write the twilioOtp* attributes");
  }
  if (s->backend == StateBackend::kLocal && s->local_fallback) {
    r.Fail("state.fallback", "\"local\" is a fallback for state.backend = \"ldap\"");
  }
}

}  // namespace

std::span<const KeySpec> ConfigSchema() { return kSchema; }

void ReadConfigKeys(ConfigReader& reader, const FileTrust& trust, Config* config) {
  reader.CheckSchema(kSchema);
  // The getters rely on the kinds CheckSchema has just proved.
  if (!reader.ok()) return;
  ReadTwilio(reader, trust, &config->twilio);
  ReadDirectory(reader, trust, &config->directory);
  ReadPolicy(reader, &config->policy);
  ReadLimits(reader, &config->limits);
  if (std::string problem = EnrolAtLoginProblem(*config); !problem.empty()) reader.Fail("policy.unenrolled", problem);
  reader.String("state_dir", &config->state_dir);
  ReadState(reader, *config, &config->state);
  if (config->twilio.mode == Mode::kMessaging) {
    CheckMessagingMode(reader, config->twilio, config->policy.channels);
  }
}

}  // namespace twotp
