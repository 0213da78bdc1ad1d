// config/config: LoadConfig and LoadTwilioCredentials: what a config file must
// hold, and what the administrator is told, with file and line, when it does
// not.
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/config_schema.h"
#include "temp_files.h"

// Last: cmocka defines macros (fail) that clash with the C++ library.
#include "cmocka_cxx.h"

using twotp::Backend;
using twotp::Channel;
using twotp::Config;
using twotp::FailMode;
using twotp::Fault;
using twotp::FileTrust;
using twotp::KeySpec;
using twotp::Kind;
using twotp::Mode;
using twotp::Result;
using twotp::Unenrolled;

namespace {

twotp_test::TempDir g_tmp;

constexpr char kAC[] = "AC0123456789abcdef0123456789abcdef";
constexpr char kVA[] = "VA0123456789abcdef0123456789abcdef";
constexpr char kSK[] = "SK0123456789abcdef0123456789abcdef";
constexpr char kMG[] = "MG0123456789abcdef0123456789abcdef";
constexpr char kTokenLine[] = "  auth_token_file = \"/etc/security/pam_twilio_otp.secret\";\n";

int Setup(void**) { return g_tmp.Create("test_config") ? 0 : -1; }

int Teardown(void**) {
  g_tmp.Remove();
  return 0;
}

FileTrust Trust() { return FileTrust(getuid()); }
std::string ConfPath() { return g_tmp.File("test.conf"); }
std::string Q(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  size_t at = text.find(from);
  assert_true(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// The smallest valid configs (5 lines for verify); `twilio` lines go inside
// the twilio group, `rest` after it.
std::string VerifyConfig(const std::string& twilio = "", const std::string& rest = "") {
  return "twilio = {\n  account_sid = " + Q(kAC) + ";\n" + kTokenLine + "  verify_service_sid = " + Q(kVA) +
         ";\n" + twilio + "};\n" + rest;
}
std::string MessagingConfig(const std::string& twilio = "", const std::string& rest = "") {
  return "twilio = {\n  mode = \"messaging\";\n  account_sid = " + Q(kAC) + ";\n" + kTokenLine + twilio +
         "};\n" + rest;
}

// "a.b.c", "V" -> "a = {\nb = {\nc = V;\n};\n};\n"
std::string Nest(std::string_view key, const std::string& value) {
  size_t dot = key.find('.');
  if (dot == std::string_view::npos) return std::string(key) + " = " + value + ";\n";
  return std::string(key.substr(0, dot)) + " = {\n" + Nest(key.substr(dot + 1), value) + "};\n";
}

// VerifyConfig() with one key set; a twilio key already there is replaced.
std::string WithKey(std::string_view key, const std::string& value) {
  if (!key.starts_with("twilio.")) return VerifyConfig("", Nest(key, value));
  std::string line = "  " + std::string(key.substr(7)) + " = ";
  std::string text = VerifyConfig();
  size_t at = text.find(line);
  if (at == std::string::npos) return VerifyConfig(line + value + ";\n");
  return text.replace(at, text.find('\n', at) - at, line + value + ";");
}

Result<Config> Load(const std::string& text) {
  return LoadConfig(g_tmp.Write("test.conf", text, 0600), Trust());
}

Config ExpectLoads(const std::string& text) {
  Result<Config> config = Load(text);
  if (!config.ok()) {
    print_error("unexpected: %s\nconfig:\n%s\n", config.status().message().c_str(), text.c_str());
  }
  assert_true(config.ok());
  return config.value();
}

// The load fails with a one-line kConfig message that contains `fragment`.
std::string ExpectErrorContains(const std::string& text, const std::string& fragment) {
  Result<Config> config = Load(text);
  if (config.ok()) print_error("loaded, expected: %s\nconfig:\n%s\n", fragment.c_str(), text.c_str());
  assert_false(config.ok());
  const std::string& message = config.status().message();
  assert_true(config.status().Is(Fault::kConfig));
  assert_null(strchr(message.c_str(), '\n'));
  if (message.find(fragment) == std::string::npos) {
    print_error("message: %s\nmissing: %s\n", message.c_str(), fragment.c_str());
    fail();
  }
  return message;
}

// The load fails with exactly ConfPath() + `rest`.
void ExpectError(const std::string& text, const std::string& rest) {
  std::string message = ExpectErrorContains(text, rest);
  assert_string_equal(message.c_str(), (ConfPath() + rest).c_str());
}

struct Case {
  std::string text;
  std::string error;
};

void ExpectErrors(const std::vector<Case>& cases) {
  for (const Case& c : cases) ExpectErrorContains(c.text, c.error);
}

// Every value a config may leave out has its default from config.h.
void ExpectDefaults(const Config& c) {
  const Config d;
  assert_int_equal(c.twilio.timeout, d.twilio.timeout);
  assert_int_equal(c.twilio.total_timeout, d.twilio.total_timeout);
  assert_true(c.twilio.api_url == d.twilio.api_url && c.twilio.verify_url == d.twilio.verify_url);
  assert_true(c.twilio.ca_path == d.twilio.ca_path && c.twilio.ca_file.empty());
  assert_true(c.twilio.proxy.empty());  // direct, whatever the environment says
  assert_true(c.directory.backend == d.directory.backend && c.directory.file == d.directory.file);
  assert_int_equal(c.policy.code_length, d.policy.code_length);
  assert_int_equal(c.policy.code_ttl, d.policy.code_ttl);
  assert_int_equal(c.policy.max_attempts, d.policy.max_attempts);
  assert_true(c.policy.failmode == d.policy.failmode && c.policy.unenrolled == d.policy.unenrolled);
  assert_true(c.policy.channels == d.policy.channels);
  assert_true(c.policy.message == d.policy.message && c.policy.prompt == d.policy.prompt);
  assert_int_equal(c.limits.sends_per_window, d.limits.sends_per_window);
  assert_int_equal(c.limits.send_window, d.limits.send_window);
  assert_int_equal(c.limits.resend_cooldown, d.limits.resend_cooldown);
  assert_int_equal(c.limits.max_failures, d.limits.max_failures);
  assert_int_equal(c.limits.lockout, d.limits.lockout);
  assert_int_equal(c.limits.global_sends_per_hour, d.limits.global_sends_per_hour);
  assert_true(c.limits.allowed_countries.empty());
  assert_true(c.state_dir == d.state_dir);
}

// A file of the source tree; the Makefile compiles from the repository root.
std::string ReadSourceFile(const std::string& relative) {
  std::string here = __FILE__;
  std::ifstream in(here.substr(0, here.rfind("tests/unit/")) + relative);
  assert_true(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void ExpectCredentials(const twotp::TwilioConfig& twilio, const char* username, const char* password) {
  Result<twotp::TwilioCredentials> credentials = LoadTwilioCredentials(twilio, Trust());
  if (!credentials.ok()) print_error("unexpected: %s\n", credentials.status().message().c_str());
  assert_true(credentials.ok());
  assert_string_equal(credentials->username.c_str(), username);
  assert_string_equal(credentials->password.c_str(), password);
}

}  // namespace

static void test_minimal_verify_config_gets_defaults(void**) {
  Config c = ExpectLoads(VerifyConfig());
  assert_true(c.path == ConfPath());
  assert_true(c.twilio.mode == Mode::kVerify);
  assert_string_equal(c.twilio.account_sid.c_str(), kAC);
  assert_string_equal(c.twilio.verify_service_sid.c_str(), kVA);
  assert_string_equal(c.twilio.auth_token_file.c_str(), "/etc/security/pam_twilio_otp.secret");
  ExpectDefaults(c);
}

static void test_example_configs_load_with_their_documented_defaults(void**) {
  std::string secret = g_tmp.Write("example.secret", "example-token\n", 0600);
  for (const char* name : {"conf/pam_twilio_otp.conf.verify", "conf/pam_twilio_otp.conf.messaging"}) {
    // The examples name the production secret file; point them at a test one.
    std::string text = Replace(ReadSourceFile(name), "/etc/security/pam_twilio_otp.secret", secret);
    Config c = ExpectLoads(text);
    ExpectDefaults(c);
    ExpectCredentials(c.twilio, kAC, "example-token");
  }
}

static void test_every_key_is_read_into_the_config(void**) {
  std::string ca = g_tmp.Write("ca.pem", "not really a CA\n", 0644);
  // Every key set to something other than its default; @CA@ is the CA file.
  std::string every_key = R"conf(
twilio = {
  account_sid = "AC0123456789abcdef0123456789abcdef";
  auth_token_file = "/etc/security/pam_twilio_otp.secret";
  verify_service_sid = "VA0123456789abcdef0123456789abcdef";
  locale = "pt-BR";  friendly_name = "ACME VPN";  verify_custom_code = true;
  api_url = "https://127.0.0.1:8443";  verify_url = "https://127.0.0.1:8444";
  ca_path = "/opt/certs";  ca_file = "@CA@";
  timeout = 7;  total_timeout = 30;
};
directory = {
  backend = "ldap";  file = "/etc/otp.users";
  ldap = {
    uri = ["ldap://a.example.com", "ldap://b.example.com"];  starttls = true;  ca_file = "@CA@";
    bind_dn = "cn=pam";  bind_password_file = "/etc/ldap.pw";
    base = "dc=example";  scope = "one";  filter = "(cn=%u)";  attribute = "telephoneNumber";  timeout = 9;
  };
};
policy = {
  code_length = 8;  code_ttl = 600;  max_attempts = 5;  failmode = "safe";  unenrolled = "enroll";
  channels = ["whatsapp", "sms"];  message = "{code} for {user}";  prompt = "Code: ";
};
limits = {
  sends_per_window = 3;  send_window = 600;  resend_cooldown = 60;  max_failures = 4;  lockout = 1800;
  global_sends_per_hour = 50;  allowed_countries = ["1", "44", "353"];
};
state_dir = "/run/otp";
)conf";
  std::string text = Replace(Replace(every_key, "@CA@", ca), "@CA@", ca);
  Config c = ExpectLoads(text);
  const twotp::TwilioConfig& t = c.twilio;
  assert_true(t.locale == "pt-BR" && t.friendly_name == "ACME VPN" && t.ca_file == ca &&
              t.ca_path == "/opt/certs" && t.verify_custom_code);
  assert_true(t.api_url == "https://127.0.0.1:8443" && t.verify_url == "https://127.0.0.1:8444");
  assert_true(t.timeout == 7 && t.total_timeout == 30);
  const twotp::DirectoryConfig& d = c.directory;
  assert_true(d.backend == Backend::kLdap && d.file == "/etc/otp.users");
  assert_true(d.ldap.uri == std::vector<std::string>({"ldap://a.example.com", "ldap://b.example.com"}));
  assert_true(d.ldap.starttls && d.ldap.ca_file == ca && d.ldap.bind_dn == "cn=pam");
  assert_true(d.ldap.bind_password_file == "/etc/ldap.pw" && d.ldap.base == "dc=example" &&
              d.ldap.scope == "one");
  assert_true(d.ldap.filter == "(cn=%u)" && d.ldap.attribute == "telephoneNumber" && d.ldap.timeout == 9);
  const twotp::PolicyConfig& p = c.policy;
  assert_true(p.code_length == 8 && p.code_ttl == 600 && p.max_attempts == 5);
  assert_true(p.failmode == FailMode::kSafe && p.unenrolled == Unenrolled::kEnroll);
  assert_true(p.channels == std::vector<Channel>({Channel::kWhatsapp, Channel::kSms}));
  assert_true(p.message == "{code} for {user}" && p.prompt == "Code: ");
  const twotp::LimitsConfig& l = c.limits;
  assert_true(l.sends_per_window == 3 && l.send_window == 600 && l.resend_cooldown == 60);
  assert_true(l.max_failures == 4 && l.lockout == 1800 && l.global_sends_per_hour == 50);
  assert_true(l.allowed_countries == std::vector<std::string>({"1", "44", "353"}));
  assert_true(c.state_dir == "/run/otp");
}

// What a verification says about the login (twilio/verification_details.h):
// templates of the login's fields, never of the code; both halves of PSD2's
// pair; substitutions only for a template; verify mode only.
static void test_verification_details_are_read_and_checked(void**) {
  const std::string details =
      "  amount = \"{command}\";  payee = \"{user}@{host}\";\n"
      "  template_sid = \"HJ0123456789abcdef0123456789abcdef\";\n"
      "  template_substitutions = { origin = \"{rhost}\"; what = \"{service}\"; };\n";
  Config c = ExpectLoads(VerifyConfig(details));
  assert_true(c.twilio.amount == "{command}" && c.twilio.payee == "{user}@{host}");
  assert_true(c.twilio.template_sid == "HJ0123456789abcdef0123456789abcdef");
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  assert_true(c.twilio.template_substitutions == Pairs({{"origin", "{rhost}"}, {"what", "{service}"}}));
  ExpectErrors({
      {VerifyConfig("  amount = \"{code}\";  payee = \"x\";\n"),
       "twilio.amount: unknown placeholder \"{code}\"; known: {user} {host} {service} {rhost} {command}"},
      {VerifyConfig("  amount = \"{command}\";\n"), "twilio.payee: required with twilio.amount"},
      {VerifyConfig("  payee = \"{user}\";\n"), "twilio.amount: required with twilio.payee"},
      {VerifyConfig("  amount = \"x\";  payee = \"" + std::string(201, 'p') + "\";\n"),
       "twilio.payee: longer than 200 characters"},
      {VerifyConfig("  template_sid = \"VA0123456789abcdef0123456789abcdef\";\n"), "twilio.template_sid"},
      {VerifyConfig("  template_substitutions = { origin = \"{rhost}\"; };\n"),
       "twilio.template_substitutions: needs twilio.template_sid"},
      {VerifyConfig("  template_sid = \"HJ0123456789abcdef0123456789abcdef\";\n"
                    "  template_substitutions = { origin = \"{minutes}\"; };\n"),
       "twilio.template_substitutions.origin: unknown placeholder \"{minutes}\""},
      {MessagingConfig("  from = \"+15005550006\";  amount = \"x\";  payee = \"y\";\n"),
       "twilio.amount: only used in verify mode"},
  });
}

static void test_unknown_key_is_rejected_with_line(void**) {
  ExpectError(VerifyConfig("", "policy = {\n  code_length = 6;\n  colour = \"red\";\n};\n"),
              ":8: policy.colour: unknown key");
  ExpectError(VerifyConfig("  acount_sid = \"x\";\n"),
              ":5: twilio.acount_sid: unknown key; did you mean \"twilio.account_sid\"?");
  ExpectError(VerifyConfig("", "directory = {\n  ldap = {\n    colour = 1;\n  };\n};\n"),
              ":8: directory.ldap.colour: unknown key");
  ExpectError(VerifyConfig("", "statedir = \"/var/lib/x\";\n"),
              ":6: statedir: unknown key; did you mean \"state_dir\"?");
}

// The hint is the schema's nearest key: a typo, or a key in the wrong group.
static void test_unknown_key_names_the_nearest_known_key(void**) {
  ExpectError(VerifyConfig("  verify_service_id = \"x\";\n"),
              ":5: twilio.verify_service_id: unknown key; did you mean \"twilio.verify_service_sid\"?");
  ExpectError(VerifyConfig("", "policy = {\n  lockout = 60;\n};\n"),
              ":7: policy.lockout: unknown key; did you mean \"limits.lockout\"?");
  ExpectError(VerifyConfig("", "policy = {\n  services = {\n    sudo = { grace_perod = 60; };\n  };\n};\n"),
              ":8: policy.services.sudo.grace_perod: unknown key; did you mean "
              "\"policy.services.sudo.grace_period\"?");
}

static void test_wrong_type_is_rejected_with_line(void**) {
  ExpectError(VerifyConfig("", "policy = {\n  code_length = \"6\";\n};\n"),
              ":7: policy.code_length: expected an integer");
  ExpectErrors({
      {WithKey("policy.code_ttl", "300.0"), "policy.code_ttl: expected an integer"},
      {WithKey("twilio.mode", "1"), "twilio.mode: expected a string"},
      {WithKey("state_dir", "true"), "state_dir: expected a string"},
      {WithKey("directory.ldap.starttls", "1"), "directory.ldap.starttls: expected true or false"},
      {WithKey("policy.channels", "\"sms\""), "policy.channels: expected a list of strings"},
      {WithKey("policy.channels", "(\"sms\", 2)"), "policy.channels[1]: expected a string"},
      {WithKey("policy", "5"), "policy: expected a group"},
  });
}

// libconfig names only the line; the message shows what is on it.
static void test_syntax_error_names_line(void**) {
  ExpectError(VerifyConfig("", "policy = {\n  code_length = 6;\n  max_attempts = ;\n};\n"),
              ":8: syntax error near \"max_attempts = ;\"");
  ExpectError(VerifyConfig("", "policy = {\n  code_length = 6;\n"),
              ":8: syntax error at the end of the file (a group, list or string not closed?)");
}

// Which setting is set twice, and where it was set first.
static void test_duplicate_setting_names_both_lines(void**) {
  ExpectError(VerifyConfig("", "state_dir = \"/a\";\nstate_dir = \"/b\";\n"),
              ":7: duplicate setting \"state_dir\" (already set on line 6)");
  // twilio.timeout on line 5 is another group's: the duplicate is on 9 and 10.
  ExpectError(VerifyConfig("  timeout = 5;\n", "directory = {\n  ldap = {\n    timeout = 3;\n"
                                                "    timeout = 4;\n  };\n};\n"),
              ":10: duplicate setting \"timeout\" (already set on line 9)");
}

static void test_include_is_refused_because_it_bypasses_trust(void**) {
  ExpectError(VerifyConfig("", "@include \"/etc/passwd\"\n"),
              ":6: @include is not allowed; keep the configuration in this one file");
  // libconfig ignores it in comments and strings; so do we.
  ExpectLoads(VerifyConfig(
      "", "# @include \"x\"\n/*\n@include \"x\"\n*/\npolicy = { prompt = \"say \\\"hi\\\"\n@include b: \"; };\n"));
}

static void test_too_large_integer_is_refused_not_wrapped(void**) {
  // libconfig 1.5 keeps 32 bits: 4294967596 would silently become 300.
  ExpectError(VerifyConfig("", "policy = {\n  code_ttl = 4294967596;\n};\n"),
              ":7: number 4294967596 is too large for any key");
  ExpectErrorContains(WithKey("policy.code_ttl", "0x10000012C"), ":7: number 0x10000012C is too large");
}

static void test_nul_byte_is_refused(void**) {
  ExpectError(VerifyConfig("", std::string("policy = {\n") + '\0' + "colour = 1; };\n"),
              ":7: NUL byte in the file");
}

struct Range {
  const char* key;
  int min;
  int max;
};

// The ranges pam_twilio_otp.conf(5) promises.
constexpr Range kRanges[] = {
    {"twilio.timeout", 1, 60},           {"twilio.total_timeout", 1, 120},
    {"directory.ldap.timeout", 1, 60},   {"policy.code_length", 4, 10},
    {"policy.code_ttl", 30, 3600},       {"policy.max_attempts", 1, 10},
    {"limits.sends_per_window", 1, 100}, {"limits.send_window", 1, 86400},
    {"limits.resend_cooldown", 0, 3600}, {"limits.max_failures", 1, 100},
    {"limits.lockout", 1, 86400},        {"limits.global_sends_per_hour", 1, 100000},
    {"limits.fleet_sends_per_hour", 0, 1000000},
    {"policy.grace_period", 0, 86400},   {"policy.services.*.grace_period", 0, 86400},
    {"policy.probe_max_age", 0, 3600},
};

static void test_code_length_out_of_range_names_key(void**) {
  ExpectError(VerifyConfig("", "policy = {\n  code_length = 11;\n};\n"),
              ":7: policy.code_length: must be 4..10 (got 11)");
}

static void test_integer_keys_are_range_checked(void**) {
  for (const Range& r : kRanges) {
    std::string must_be =
        std::string(r.key) + ": must be " + std::to_string(r.min) + ".." + std::to_string(r.max);
    ExpectLoads(WithKey(r.key, std::to_string(r.min)));
    ExpectLoads(WithKey(r.key, std::to_string(r.max)));
    ExpectErrorContains(WithKey(r.key, std::to_string(r.min - 1)),
                        must_be + " (got " + std::to_string(r.min - 1) + ")");
    ExpectErrorContains(WithKey(r.key, std::to_string(r.max + 1)),
                        must_be + " (got " + std::to_string(r.max + 1) + ")");
  }
}

static void test_every_integer_key_has_a_range_row(void**) {
  for (const KeySpec& spec : twotp::ConfigSchema()) {
    if (spec.kind != Kind::kInt) continue;
    bool found = false;
    for (const Range& r : kRanges) found = found || spec.key == r.key;
    if (!found) print_error("no range row for %s\n", std::string(spec.key).c_str());
    assert_true(found);
  }
}

static void test_skip_rules_and_service_overrides_are_read(void**) {
  Config c = ExpectLoads(VerifyConfig("",
      "policy = {\n  grace_period = 600;\n  trusted_networks = [\"10.0.0.0/8\", \"2001:db8::/32\"];\n"
      "  groups = [\"admins\"];\n  skip_groups = [\"robots\"];\n  exempt_users = [\"breakglass\"];\n"
      "  exempt_groups = [\"oncall\"];\n"
      "  services = { sudo = { grace_period = 0; trusted_networks = []; }; su-l = { grace_period = 60; }; };\n};\n"));
  const twotp::PolicyConfig& p = c.policy;
  assert_int_equal(p.grace_period, 600);
  assert_int_equal(p.GraceFor("sshd"), 600);
  assert_int_equal(p.GraceFor("sudo"), 0);   // step-up: sudo always asks
  assert_int_equal(p.GraceFor("su-l"), 60);
  assert_int_equal(p.TrustedNetworksFor("sshd").size(), 2);
  assert_int_equal(p.TrustedNetworksFor("sudo").size(), 0);
  assert_int_equal(p.TrustedNetworksFor("su-l").size(), 2);  // not overridden
  assert_string_equal(p.groups[0].c_str(), "admins");
  assert_string_equal(p.exempt_users[0].c_str(), "breakglass");
}

static void test_skip_rules_are_off_by_default(void**) {
  Config c = ExpectLoads(VerifyConfig());
  assert_int_equal(c.policy.grace_period, 0);
  assert_true(c.policy.trusted_networks.empty() && c.policy.groups.empty() && c.policy.exempt_users.empty());
}

static void test_bad_network_names_its_element(void**) {
  ExpectErrorContains(VerifyConfig("", "policy = {\n  trusted_networks = [\"10.0.0.0/8\", \"10.0.0.0/33\"];\n};\n"),
                      "policy.trusted_networks[1]");
  ExpectErrorContains(
      VerifyConfig("", "policy = {\n  services = { sudo = { trusted_networks = [\"bastion.example\"]; }; };\n};\n"),
      "policy.services.sudo.trusted_networks[0]");
  ExpectErrorContains(VerifyConfig("", "policy = {\n  services = { sudo = { colour = 1; }; };\n};\n"),
                      "policy.services.sudo.colour: unknown key");
}

static void test_enum_values_are_checked(void**) {
  ExpectErrors({
      {WithKey("twilio.mode", "\"sms\""), "twilio.mode: must be \"verify\" or \"messaging\" (got \"sms\")"},
      {WithKey("twilio.mode", "\"Verify\""),
       "twilio.mode: must be \"verify\" or \"messaging\" (got \"Verify\")"},
      {WithKey("policy.failmode", "\"open\""),
       "policy.failmode: must be \"secure\" or \"safe\" (got \"open\")"},
      {WithKey("policy.unenrolled", "\"skip\""),
       "policy.unenrolled: must be \"deny\", \"allow\" or \"enroll\" (got \"skip\")"},
      {WithKey("directory.backend", "\"sql\""),
       "directory.backend: must be \"file\" or \"ldap\" (got \"sql\")"},
      {WithKey("policy.channels", "[\"sms\", \"fax\"]"),
       "policy.channels[1]: must be \"sms\", \"call\", \"whatsapp\", \"email\" or \"totp\" (got \"fax\")"},
      // A value is quoted on one line even when it holds a newline.
      {WithKey("twilio.mode", "\"a\\nb\""), "(got \"a?b\")"},
  });
}

static void test_missing_account_sid_is_required(void**) {
  ExpectError(Replace(VerifyConfig(), std::string("  account_sid = ") + Q(kAC) + ";\n", ""),
              ":1: twilio.account_sid: required");
  // No group, no line.
  ExpectError("policy = { code_length = 6; };\n", ": twilio.account_sid: required");
  ExpectError("", ": twilio.account_sid: required");
}

static void test_sids_must_have_their_prefix_and_32_hex_digits(void**) {
  const char* bad[] = {"ac0123456789abcdef0123456789abcdef", "AC0123456789abcdef0123456789abcde",
                       "AC0123456789abcdef0123456789abcdef0", "AC0123456789abcdef0123456789abcdeg", kVA};
  for (const char* sid : bad) {
    ExpectErrorContains(Replace(VerifyConfig(), kAC, sid),
                        ":2: twilio.account_sid: must be \"AC\" followed by 32 hex digits");
  }
  ExpectLoads(Replace(VerifyConfig(), kAC, "AC0123456789ABCDEF0123456789ABCDEF"));
  ExpectErrorContains(Replace(VerifyConfig(), kVA, kMG),
                      "twilio.verify_service_sid: must be \"VA\" followed by 32 hex");
}

static void test_credentials_need_exactly_one_source(void**) {
  auto with = [](const std::string& lines) { return Replace(VerifyConfig(), kTokenLine, lines); };
  std::string key = std::string("  api_key_sid = ") + Q(kSK) + ";\n";
  std::string key_secret = "  api_key_secret_file = \"/etc/key\";\n";
  ExpectError(with(""), ":1: twilio.auth_token_file: required (or api_key_sid with api_key_secret_file)");
  ExpectErrors({
      {with(kTokenLine + key + key_secret),
       "twilio.auth_token_file: set either auth_token_file or api_key_sid"},
      {with(key), "twilio.api_key_secret_file: required with api_key_sid"},
      {with(key_secret), "twilio.api_key_sid: required with api_key_secret_file"},
      {with(Replace(key, kSK, kAC) + key_secret),
       "twilio.api_key_sid: must be \"SK\" followed by 32 hex digits"},
  });
  ExpectLoads(with(key + key_secret));
}

static void test_credentials_are_read_from_the_secret_file(void**) {
  std::string token = g_tmp.Write("token", "  auth-token\n", 0600);
  std::string key = g_tmp.Write("key", "key-secret\n", 0600);
  twotp::TwilioConfig t;
  t.account_sid = kAC;
  t.auth_token_file = token;
  ExpectCredentials(t, kAC, "auth-token");
  t.auth_token_file.clear();
  t.api_key_sid = kSK;
  t.api_key_secret_file = key;
  ExpectCredentials(t, kSK, "key-secret");
}

static void test_secret_readable_by_others_is_refused_without_showing_it(void**) {
  twotp::TwilioConfig t;
  t.account_sid = kAC;
  t.auth_token_file = g_tmp.Write("token", "hunter2\n", 0644);
  Result<twotp::TwilioCredentials> credentials = LoadTwilioCredentials(t, Trust());
  assert_false(credentials.ok());
  assert_true(credentials.status().Is(Fault::kConfig));
  assert_string_equal(credentials.status().message().c_str(),
                      (t.auth_token_file + ": readable by others (mode 0644); chmod 600 it").c_str());
  assert_null(strstr(credentials.status().message().c_str(), "hunter2"));
}

static void test_verify_mode_requires_service_sid(void**) {
  ExpectError(Replace(VerifyConfig(), std::string("  verify_service_sid = ") + Q(kVA) + ";\n", ""),
              ":1: twilio.verify_service_sid: required");
}

static void test_verify_mode_refuses_messaging_keys(void**) {
  ExpectErrors({
      {VerifyConfig("  from = \"+15005550006\";\n"), "twilio.from: only used in messaging mode"},
      {VerifyConfig(std::string("  messaging_service_sid = ") + Q(kMG) + ";\n"),
       "twilio.messaging_service_sid: only used in messaging mode"},
  });
  ExpectLoads(VerifyConfig("", "policy = { channels = [\"whatsapp\"]; };\n"));
}

static void test_locale_and_friendly_name_are_checked(void**) {
  for (const char* good : {"en", "pt-BR", "es-419", "zh-HK"}) ExpectLoads(WithKey("twilio.locale", Q(good)));
  for (const char* bad : {"english", "e", "pt_BR", "pt-", "pt-B"}) {
    ExpectErrorContains(WithKey("twilio.locale", Q(bad)), "twilio.locale: must be a language tag");
  }
  ExpectLoads(WithKey("twilio.friendly_name", Q(std::string(64, 'n'))));
  ExpectErrorContains(WithKey("twilio.friendly_name", Q(std::string(65, 'n'))),
                      "twilio.friendly_name: longer than 64 characters");
}

static void test_proxy_must_be_http_host_and_port(void**) {
  Config c = ExpectLoads(WithKey("twilio.proxy", Q("http://proxy.example:3128")));
  assert_string_equal(c.twilio.proxy.c_str(), "http://proxy.example:3128");
  ExpectErrorContains(WithKey("twilio.proxy", Q("")), "twilio.proxy: must not be empty");
  for (const char* bad : {"proxy.example:3128", "http://proxy.example", "https://proxy.example:3128",
                          "http://user:pw@proxy.example:3128", "socks5://proxy.example:1080"}) {
    ExpectErrorContains(WithKey("twilio.proxy", Q(bad)), "twilio.proxy: must be http://HOST:PORT");
  }
}

static void test_messaging_mode_requires_from_or_service(void**) {
  ExpectError(MessagingConfig(),
              ":1: twilio.from: required in messaging mode (or twilio.messaging_service_sid)");
  Config by_number = ExpectLoads(MessagingConfig("  from = \"+15005550006\";\n"));
  assert_true(by_number.twilio.mode == Mode::kMessaging && by_number.twilio.from == "+15005550006");
  std::string service = std::string("  messaging_service_sid = ") + Q(kMG) + ";\n";
  Config by_service = ExpectLoads(MessagingConfig(service, "policy = { channels = [\"sms\"]; };\n"));
  assert_string_equal(by_service.twilio.messaging_service_sid.c_str(), kMG);
}

static void test_messaging_call_channel_requires_from(void**) {
  std::string service = std::string("  messaging_service_sid = ") + Q(kMG) + ";\n";
  // The default channels include "call".
  ExpectError(MessagingConfig(service),
              ": policy.channels: \"call\" needs twilio.from: a Messaging Service cannot place calls");
  ExpectError(MessagingConfig(service, "policy = {\n  channels = [\"sms\",\n    \"call\"];\n};\n"),
              ":9: policy.channels[1]: \"call\" needs twilio.from: a Messaging Service cannot place calls");
}

static void test_messaging_from_and_service_together_only_for_calls(void**) {
  std::string both = std::string("  from = \"+15005550006\";\n  messaging_service_sid = ") + Q(kMG) + ";\n";
  ExpectErrorContains(
      MessagingConfig(both, "policy = { channels = [\"sms\"]; };\n"),
      "twilio.from: set either from or messaging_service_sid; both only when policy.channels has \"call\"");
  Config c = ExpectLoads(MessagingConfig(both));
  assert_true(c.twilio.from == "+15005550006" && c.twilio.messaging_service_sid == kMG);
}

static void test_messaging_mode_refuses_whatsapp(void**) {
  ExpectError(MessagingConfig("  from = \"+15005550006\";\n",
                              "policy = {\n  channels = [\"sms\", \"whatsapp\"];\n};\n"),
              ":8: policy.channels[1]: messaging mode sends sms and call; use verify mode for whatsapp");
}

// twilio.region / twilio.edge make the regional base URLs, or say what is wrong.
static void test_regions_make_the_regional_hosts(void**) {
  const struct {
    const char* keys;
    const char* api;
    const char* verify;
  } rows[] = {
      {"  region = \"ie1\";\n", "https://api.dublin.ie1.twilio.com", "https://verify.dublin.ie1.twilio.com"},
      {"  region = \"au1\";  edge = \"sydney\";\n", "https://api.sydney.au1.twilio.com",
       "https://verify.sydney.au1.twilio.com"},
      {"  edge = \"frankfurt\";\n", "https://api.frankfurt.us1.twilio.com", "https://verify.frankfurt.us1.twilio.com"},
      {"  region = \"jp1\";\n", "https://api.tokyo.jp1.twilio.com", "https://verify.tokyo.jp1.twilio.com"},
  };
  for (const auto& row : rows) {
    Config c = ExpectLoads(VerifyConfig(row.keys));
    assert_string_equal(c.twilio.api_url.c_str(), row.api);
    assert_string_equal(c.twilio.verify_url.c_str(), row.verify);
  }
  assert_string_equal(ExpectLoads(VerifyConfig("  region = \"au1\";\n")).twilio.lookup_url.c_str(),
                      "https://lookups.sydney.au1.twilio.com");
  Config looked = ExpectLoads(MessagingConfig("  from = \"+15005550006\";  lookup = true;\n"
                                              "  lookup_url = \"https://127.0.0.1:8445\";\n"));
  assert_true(looked.twilio.lookup && looked.twilio.lookup_url == "https://127.0.0.1:8445");
  assert_false(ExpectLoads(VerifyConfig()).twilio.lookup);
  assert_string_equal(ExpectLoads(VerifyConfig()).twilio.lookup_url.c_str(), "https://lookups.twilio.com");
  ExpectErrors({
      {VerifyConfig("  region = \"IE1\";\n"), "twilio.region: must be a Twilio Region such as \"ie1\""},
      {VerifyConfig("  region = \"ie1.evil.example/\";\n"), "twilio.region: must be a Twilio Region"},
      {VerifyConfig("  edge = \"dublin.evil\";\n"), "twilio.edge: must be a Twilio Edge Location"},
      {VerifyConfig("  region = \"xx9\";\n"), "twilio.edge: required with twilio.region = \"xx9\""},
      {VerifyConfig("  region = \"ie1\";  verify_url = \"https://127.0.0.1:8443\";\n"),
       "twilio.verify_url: set either this or twilio.region / twilio.edge"},
  });
}

static void test_messaging_mode_refuses_verify_keys(void**) {
  std::string from = "  from = \"+15005550006\";\n";
  ExpectErrors({
      {MessagingConfig(from + "  locale = \"en\";\n"), "twilio.locale: only used in verify mode"},
      {MessagingConfig(from + "  friendly_name = \"x\";\n"),
       "twilio.friendly_name: only used in verify mode"},
      {MessagingConfig(from + "  verify_custom_code = false;\n"),
       "twilio.verify_custom_code: only used in verify mode"},
      {MessagingConfig(from, "policy = {\n  channels = [\"sms\", \"email\"];\n};\n"),
       "policy.channels[1]: messaging mode sends sms and call; use verify mode for email"},
      {MessagingConfig(from, "policy = {\n  channels = [\"totp\", \"sms\"];\n};\n"),
       "policy.channels[0]: messaging mode sends sms and call; use verify mode for totp"},
      {MessagingConfig(from + "  verify_service_sid = " + Q(kVA) + ";\n"),
       "twilio.verify_service_sid: only used in verify mode"},
  });
}

static void test_from_must_be_e164(void**) {
  for (const char* bad :
       {"15005550006", "+05005550006", "+1234567", "+1234567890123456", "+1 500 555 0006"}) {
    std::string message = ExpectErrorContains(MessagingConfig(std::string("  from = ") + Q(bad) + ";\n"),
                                              "twilio.from: must be an E.164 number");
    assert_null(strstr(message.c_str(), "555"));  // numbers are never logged in full
  }
  ExpectLoads(MessagingConfig("  from = \"+12345678\";\n"));
}

static void test_urls_must_be_https(void**) {
  ExpectErrors({
      {WithKey("twilio.api_url", "\"http://api.twilio.com\""),
       "twilio.api_url: must be an https:// URL; TLS is never optional (got \"http://api.twilio.com\")"},
      {WithKey("twilio.verify_url", "\"https://\""), "twilio.verify_url: must be an https:// URL"},
      {WithKey("twilio.verify_url", "\"verify.twilio.com\""), "twilio.verify_url: must be an https:// URL"},
  });
}

static void test_ca_file_must_exist_and_be_trusted(void**) {
  std::string missing = g_tmp.File("missing.pem");
  ExpectErrorContains(WithKey("twilio.ca_file", Q(missing)),
                      "twilio.ca_file: " + missing + ": does not exist");
  std::string open = g_tmp.Write("open.pem", "x\n", 0666);
  ExpectErrorContains(WithKey("twilio.ca_file", Q(open)),
                      "twilio.ca_file: " + open + ": writable by group or others");
  std::string good = g_tmp.Write("good.pem", "x\n", 0644);
  assert_true(ExpectLoads(WithKey("twilio.ca_file", Q(good))).twilio.ca_file == good);
}

static void test_paths_must_be_absolute(void**) {
  for (const KeySpec& spec : twotp::ConfigSchema()) {
    if (spec.kind != Kind::kPath) continue;
    ExpectErrorContains(WithKey(spec.key, "\"relative/file\""),
                        std::string(spec.key) + ": must be an absolute path (got \"relative/file\")");
  }
}

static void test_empty_strings_are_refused(void**) {
  ExpectErrors({
      {WithKey("state_dir", "\"\""), "state_dir: must not be empty; leave the key out to get the default"},
      {WithKey("policy.prompt", "\"\""), "policy.prompt: must not be empty"},
      {WithKey("limits.allowed_countries", "[\"1\", \"\"]"),
       "limits.allowed_countries[1]: must not be empty"},
  });
}

std::string LdapBackendConfig(const std::string& ldap) {
  return VerifyConfig("", "directory = {\n  backend = \"ldap\";\n  ldap = {\n" + ldap + "  };\n};\n");
}

static void test_ldap_backend_checks_its_group(void**) {
  std::string uri = "    uri = [\"ldaps://ldap1.example.com\", \"ldaps://ldap2.example.com\"];\n";
  std::string base = "    base = \"ou=people,dc=example,dc=com\";\n";
  std::string bind = "    bind_dn = \"cn=pam\";\n    bind_password_file = \"/etc/ldap.pw\";\n";
  ExpectError(VerifyConfig("", "directory = {\n  backend = \"ldap\";\n};\n"),
              ":6: directory.ldap.uri: required when directory.backend is \"ldap\"");
  ExpectErrors({
      {LdapBackendConfig(base), "directory.ldap.uri: required when directory.backend is \"ldap\""},
      {LdapBackendConfig("    uri = [];\n" + base),
       "directory.ldap.uri: must list at least one ldap:// or ldaps:// URI"},
      {LdapBackendConfig("    uri = [\"ldaps://a\", \"http://b\"];\n" + base),
       "directory.ldap.uri[1]: must be ldap://HOST or ldaps://HOST (got \"http://b\")"},
      {LdapBackendConfig("    uri = [\"ldaps://\"];\n" + base),
       "directory.ldap.uri[0]: must be ldap://HOST or ldaps://HOST"},
      {LdapBackendConfig(uri), "directory.ldap.base: required when directory.backend is \"ldap\""},
      {LdapBackendConfig(uri + base + "    starttls = true;\n"),
       "directory.ldap.uri[0]: starttls is for ldap:// URIs"},
      {LdapBackendConfig("    uri = [\"ldap://a\"];\n" + base + bind),
       "directory.ldap.uri[0]: would send the bind password in clear"},
      {LdapBackendConfig(uri + base + "    bind_dn = \"cn=pam\";\n"),
       "directory.ldap.bind_password_file: required with bind_dn"},
      {LdapBackendConfig(uri + base + "    bind_password_file = \"/etc/pw\";\n"),
       "directory.ldap.bind_dn: required with bind_password_file"},
      {LdapBackendConfig(uri + base + "    filter = \"(uid=alice)\";\n"),
       "directory.ldap.filter: must be a parenthesised filter with %u"},
      {LdapBackendConfig(uri + base + "    filter = \"uid=%u\";\n"),
       "directory.ldap.filter: must be a parenthesised filter"},
      {LdapBackendConfig(uri + base + "    scope = \"subtree\";\n"),
       "directory.ldap.scope: must be \"base\", \"one\" or \"sub\" (got \"subtree\")"},
      {LdapBackendConfig(uri + base + "    attribute = \"mobile phone\";\n"),
       "directory.ldap.attribute: must be an attribute name"},
      {LdapBackendConfig(uri + base + "    ca_file = \"/nonexistent/ca.pem\";\n"),
       "directory.ldap.ca_file: /nonexistent/ca.pem: does not exist"},
      {LdapBackendConfig(uri + base + "    channel_attribute = \"otp channel\";\n"),
       "directory.ldap.channel_attribute: must be an attribute name"},
      {LdapBackendConfig(uri + base + "    verified_attribute = \"Mobile\";\n"),
       "directory.ldap.verified_attribute: must differ from the other directory.ldap attributes"},
      {LdapBackendConfig(uri + base + "    channel_attribute = \"flag\";\n    verified_attribute = \"FLAG\";\n"),
       "directory.ldap.channel_attribute: must differ from the other directory.ldap attributes"},
      {LdapBackendConfig(uri + base + "    email_attribute = \"Mobile\";\n"),
       "directory.ldap.email_attribute: must differ from the other directory.ldap attributes"},
  });
  Config flagged = ExpectLoads(LdapBackendConfig(
      uri + base + "    channel_attribute = \"otpChannel\";\n    verified_attribute = \"phoneNumberVerified\";\n"));
  assert_true(flagged.directory.ldap.channel_attribute == "otpChannel" &&
              flagged.directory.ldap.verified_attribute == "phoneNumberVerified");
  Config mailed = ExpectLoads(LdapBackendConfig(uri + base + "    email_attribute = \"mail\";\n"));
  assert_true(mailed.directory.ldap.email_attribute == "mail");
  ExpectLoads(LdapBackendConfig(uri + base + bind));
  ExpectLoads(LdapBackendConfig("    uri = [\"ldap://a\"];\n    starttls = true;\n" + base + bind));
  // Even anonymous: anyone on the path could answer with their own number.
  ExpectErrorContains(LdapBackendConfig("    uri = [\"ldap://a\"];\n" + base),
                      "directory.ldap.uri[0]: plain ldap:// lets anyone on the network change the numbers");
}

static void test_ldap_group_is_only_schema_checked_for_file_backend(void**) {
  Config c = ExpectLoads(VerifyConfig("", "directory = {\n  ldap = {\n    scope = \"later\";\n  };\n};\n"));
  assert_true(c.directory.backend == Backend::kFile);
  ExpectErrorContains(VerifyConfig("", "directory = { ldap = { timeout = 0; }; };\n"),
                      "directory.ldap.timeout: must be 1..60 (got 0)");
}

static void test_message_placeholders_are_checked(void**) {
  ExpectErrors({
      {WithKey("policy.message", "\"{code} for {colour}\""),
       "policy.message: unknown placeholder \"{colour}\"; known: {code} {user} {host} {service} {rhost} "
       "{minutes} {command}"},
      {WithKey("policy.message", "\"Your code is ready\""), "policy.message: must contain {code}"},
      {WithKey("policy.message", "\"{code} for {user\""), "policy.message: has a \"{\" without its \"}\""},
      {WithKey("policy.message", Q("{code}" + std::string(1595, 'x'))),
       "policy.message: longer than 1600 characters"},
  });
  std::string all = "\"{code} {user} {host} {service} {rhost} {minutes} {command}\"";
  ExpectLoads(WithKey("policy.message", all));
}

static void test_prompt_is_at_most_200_characters(void**) {
  std::string accented;
  for (int i = 0; i < 200; ++i) accented += "\xc3\xa9";  // 200 characters, 400 bytes
  ExpectLoads(WithKey("policy.prompt", Q(accented)));
  ExpectErrorContains(WithKey("policy.prompt", Q(std::string(201, 'p'))),
                      "policy.prompt: longer than 200 characters");
}

static void test_channels_must_be_non_empty_and_unique(void**) {
  ExpectErrors({
      {WithKey("policy.channels", "[]"), "policy.channels: must list at least one channel"},
      {WithKey("policy.channels", "[\"sms\", \"call\", \"sms\"]"),
       "policy.channels[2]: \"sms\" is listed twice"},
  });
  Config c = ExpectLoads(WithKey("policy.channels", "[\"call\", \"sms\"]"));
  assert_true(c.policy.channels == std::vector<Channel>({Channel::kCall, Channel::kSms}));
}

static void test_allowed_countries_are_calling_codes(void**) {
  for (const char* bad : {"0", "044", "1234", "+44", "4a"}) {
    ExpectErrorContains(
        WithKey("limits.allowed_countries", std::string("[\"1\", ") + Q(bad) + "]"),
        "limits.allowed_countries[1]: must be a calling code of 1 to 3 digits, not starting with 0");
  }
}

// unenrolled = "enroll" lets whoever has an unenrolled user's password bind
// a number of their choosing: only with allowed_countries, and a text
// channel for its first code (a number being enrolled is never called).
static void test_enroll_needs_allowed_countries_and_a_text_channel(void**) {
  const std::string enroll = "policy = {\n  unenrolled = \"enroll\";\n};\n";
  const std::string refused = ExpectErrorContains(
      VerifyConfig("", enroll), ":7: policy.unenrolled: \"enroll\" needs limits.allowed_countries");
  assert_non_null(strstr(refused.c_str(), "allowed_countries = [\"1\", \"44\"]"));
  assert_non_null(strstr(refused.c_str(), "unenrolled = \"deny\""));
  ExpectErrorContains(VerifyConfig("", enroll + "limits = { allowed_countries = []; };\n"),
                      "policy.unenrolled: \"enroll\" needs limits.allowed_countries");
  ExpectErrorContains(
      VerifyConfig("", "policy = {\n  unenrolled = \"enroll\";\n  channels = [\"call\"];\n};\n"
                       "limits = { allowed_countries = [\"1\"]; };\n"),
      "policy.unenrolled: \"enroll\" needs \"sms\" or \"whatsapp\" in policy.channels");
  Config c = ExpectLoads(VerifyConfig("", enroll + "limits = { allowed_countries = [\"1\"]; };\n"));
  assert_true(c.policy.unenrolled == Unenrolled::kEnroll);
  ExpectLoads(VerifyConfig("", "policy = { unenrolled = \"allow\"; };\n"));  // only "enroll" needs them
}

static void test_config_file_must_pass_the_trust_checks(void**) {
  std::string path = g_tmp.Write("open.conf", VerifyConfig(), 0620);
  Result<Config> open = LoadConfig(path, Trust());
  assert_false(open.ok());
  assert_string_equal(open.status().message().c_str(),
                      (path + ": writable by group or others (mode 0620); chmod go-w it").c_str());
  Result<Config> theirs =
      LoadConfig(g_tmp.Write("theirs.conf", VerifyConfig(), 0600), FileTrust(getuid() + 1));
  assert_false(theirs.ok());
  assert_true(theirs.status().Is(Fault::kConfig));
}

static void test_oversized_config_is_refused(void**) {
  ExpectError(VerifyConfig("", "#" + std::string(1 << 20, 'x') + "\n"), ": larger than 1048576 bytes");
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_minimal_verify_config_gets_defaults),
      cmocka_unit_test(test_example_configs_load_with_their_documented_defaults),
      cmocka_unit_test(test_every_key_is_read_into_the_config),
      cmocka_unit_test(test_verification_details_are_read_and_checked),
      cmocka_unit_test(test_unknown_key_is_rejected_with_line),
      cmocka_unit_test(test_unknown_key_names_the_nearest_known_key),
      cmocka_unit_test(test_wrong_type_is_rejected_with_line),
      cmocka_unit_test(test_syntax_error_names_line),
      cmocka_unit_test(test_duplicate_setting_names_both_lines),
      cmocka_unit_test(test_include_is_refused_because_it_bypasses_trust),
      cmocka_unit_test(test_too_large_integer_is_refused_not_wrapped),
      cmocka_unit_test(test_nul_byte_is_refused),
      cmocka_unit_test(test_code_length_out_of_range_names_key),
      cmocka_unit_test(test_integer_keys_are_range_checked),
      cmocka_unit_test(test_every_integer_key_has_a_range_row),
      cmocka_unit_test(test_enum_values_are_checked),
      cmocka_unit_test(test_skip_rules_and_service_overrides_are_read),
      cmocka_unit_test(test_skip_rules_are_off_by_default),
      cmocka_unit_test(test_bad_network_names_its_element),
      cmocka_unit_test(test_missing_account_sid_is_required),
      cmocka_unit_test(test_sids_must_have_their_prefix_and_32_hex_digits),
      cmocka_unit_test(test_credentials_need_exactly_one_source),
      cmocka_unit_test(test_credentials_are_read_from_the_secret_file),
      cmocka_unit_test(test_secret_readable_by_others_is_refused_without_showing_it),
      cmocka_unit_test(test_verify_mode_requires_service_sid),
      cmocka_unit_test(test_verify_mode_refuses_messaging_keys),
      cmocka_unit_test(test_locale_and_friendly_name_are_checked),
      cmocka_unit_test(test_proxy_must_be_http_host_and_port),
      cmocka_unit_test(test_messaging_mode_requires_from_or_service),
      cmocka_unit_test(test_messaging_call_channel_requires_from),
      cmocka_unit_test(test_messaging_from_and_service_together_only_for_calls),
      cmocka_unit_test(test_messaging_mode_refuses_whatsapp),
      cmocka_unit_test(test_regions_make_the_regional_hosts),
      cmocka_unit_test(test_messaging_mode_refuses_verify_keys),
      cmocka_unit_test(test_from_must_be_e164),
      cmocka_unit_test(test_urls_must_be_https),
      cmocka_unit_test(test_ca_file_must_exist_and_be_trusted),
      cmocka_unit_test(test_paths_must_be_absolute),
      cmocka_unit_test(test_empty_strings_are_refused),
      cmocka_unit_test(test_ldap_backend_checks_its_group),
      cmocka_unit_test(test_ldap_group_is_only_schema_checked_for_file_backend),
      cmocka_unit_test(test_message_placeholders_are_checked),
      cmocka_unit_test(test_prompt_is_at_most_200_characters),
      cmocka_unit_test(test_channels_must_be_non_empty_and_unique),
      cmocka_unit_test(test_allowed_countries_are_calling_codes),
      cmocka_unit_test(test_enroll_needs_allowed_countries_and_a_text_channel),
      cmocka_unit_test(test_config_file_must_pass_the_trust_checks),
      cmocka_unit_test(test_oversized_config_is_refused),
  };
  return cmocka_run_group_tests_name("config", tests, Setup, Teardown);
}
