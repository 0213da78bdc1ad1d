// Test harness for full logins through real Linux-PAM (pam_wrapper +
// libpamtest) against the local Twilio stand-in (tests/fake_twilio/). run.sh
// starts the stand-in and sets the environment this reads.
#ifndef PAM_TWILIO_OTP_TESTS_INTEGRATION_HARNESS_H_
#define PAM_TWILIO_OTP_TESTS_INTEGRATION_HARNESS_H_

#include <security/pam_appl.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness_ldap.h"

namespace itest {

struct Env {
  std::string dir;     // a private scratch directory
  std::string mode;    // "verify" | "messaging": this run's Twilio mode
  std::string url, ca, fake_dir;
  std::string account_sid, token_file, api_key_sid, api_key_secret_file;
  std::string verify_sid, messaging_sid, from;
  std::string cli;  // build/twilio-otp
  // "file", or "ldap": numbers in slapd (harness_ldap.h), the same tests.
  std::string backend = "file";
  LdapEnv ldap;
  // Two providers in multi-provider replication (run.sh, ldap runs only):
  // fleet_a / fleet_b bound as the root DN, for setting up and reading
  // back; the module binds as state_dn, which may write only the fleet
  // state's attributes. Empty when not started.
  LdapEnv fleet_a, fleet_b;
  std::string fleet_suffix, state_dn, state_pw_file;
  int fleet_pid_b = 0;  // provider B's slapd, to stop and resume
};
const Env& TestEnv();

// What a test changes in the config; the rest points at the stand-in.
struct ConfigOptions {
  std::string failmode = "secure";
  std::string unenrolled = "deny";
  std::string channels = "\"sms\", \"call\"";
  std::string token_file;  // "" = the stand-in's real token
  std::string users_file;  // "" = the shared users file (under ldap: its unit)
  std::string ldap_uris;   // ldap backend: the inside of uri = [...]; "" = the test slapd
  std::string extra_top;   // raw libconfig text appended at top level
  std::string twilio;      // raw libconfig text added inside twilio = { ... }
  std::string policy;      // raw libconfig text added inside policy = { ... }
  std::string limits = "resend_cooldown = 0;";  // the inside of limits = { ... }
  std::string state = "state";  // state_dir, under the test directory
  bool use_api_key = false;
  int max_attempts = 3;
  int timeout = 3;
  int total_timeout = 6;
  // "A" or "B": a host of the fleet, whose directory.ldap tries provider
  // A (or B) first and then the other, bound as the state account, with
  // state = { backend = "ldap"; <fleet_state> }. Its users live in the
  // providers (FleetWriteUsers), in the unit named after users_file.
  std::string fleet_host;
  std::string fleet_state;
  bool fleet_own_provider_only = false;  // no failover to the other provider
  bool fleet_admin = false;  // bound as the root DN: an administrator's config (backup-codes)
  std::string twilio_url;  // api_url and verify_url; "" = the stand-in
  bool write_urls = true;  // false: no api_url / verify_url (twilio.region makes them)
};
// Writes a config (root, 0600) and a PAM service using it; returns the service
// name. With `set_items`, pam_set_items runs first and copies PAM_RHOST and
// PAM_TTY from the environment (see SetRemoteHost).
std::string MakeService(const std::string& name, const ConfigOptions& options, bool set_items = false);
// A config whose users file holds only `user` at `number`, with a state
// directory of its own (named after `name`).
ConfigOptions Isolated(const std::string& name, const std::string& user, const std::string& number);
// Writes a raw config text as the config of a new service (for bad configs).
std::string MakeServiceWithConfigText(const std::string& name, const std::string& text, bool set_items = false);
// The config file behind a service MakeService returned.
std::string ConfigPathOf(const std::string& service);
// PAM_RHOST for the next logins through set_items services ("" unsets it).
void SetRemoteHost(const std::string& rhost);
// Runs the twilio-otp CLI with `args` against `config`; returns its stdout.
std::string RunCli(const std::string& config, const std::string& args);
std::string UsersFilePath();
void WriteFile(const std::string& path, const std::string& text, int mode);
// Enrolls the users of `text` (users-file lines) in the directory a config
// with users_file = `path` reads: that file, or under ldap its unit.
void WriteUsers(const std::string& path, const std::string& text);

// The stand-in's fault switch (tests/fake_twilio/README.md); "" clears it.
void SetFault(const std::string& json);

// One scripted conversation: what to answer at each hidden prompt, and what
// the module showed.
struct Step {
  // kNullReply answers PAM_SUCCESS with a NULL reply text; kNoReplies with
  // no reply array at all (conversation functions that misbehave so).
  enum Kind { kRightCode, kWrongCode, kText, kFail, kNullReply, kNoReplies } kind;
  std::string text;
};
// The answers a test scripts most: the latest code, a wrong one, any text.
inline Step Right() { return {Step::kRightCode, ""}; }
inline Step Wrong() { return {Step::kWrongCode, ""}; }
inline Step Say(const std::string& text) { return {Step::kText, text}; }
inline Step NullReply() { return {Step::kNullReply, ""}; }
inline Step NoReplies() { return {Step::kNoReplies, ""}; }

// What pam_authenticate reports when every module of the stack returned
// PAM_IGNORE (libpam's "no module had an opinion"): seeing it proves the
// module said IGNORE, not SUCCESS. The shipped snippets add pam_permit for this.
inline constexpr int kOnlyIgnored = PAM_PERM_DENIED;

struct Dialogue {
  Dialogue(std::string who, std::vector<Step> script) : number(std::move(who)), steps(std::move(script)) {}
  std::string number;  // whose latest code kRightCode types
  std::vector<Step> steps;
  bool fail_everything = false;  // like a caller with no terminal
  std::function<void()> at_prompt;  // runs before each answer (e.g. waits for parallel logins)
  size_t next = 0;
  std::vector<std::string> prompts, infos, errors;
  bool Showed(const std::string& needle) const;  // in any info or error
  // The last error shown says what to do next: retry (now, later, by
  // another channel) or ask an administrator. Every refusal must end so.
  bool EndedWithAdvice() const;
};

// NSS runs under nss_wrapper (run.sh), and the module refuses users NSS
// doesn't know. EnsureAccount gives `user` a passwd line of its own, with
// a uid of its own, unless it has one or could not be an account name
// (only [A-Za-z0-9._-], not starting with '-', at most 32 bytes): a name
// with a newline, a colon or a slash stays unknown to NSS. RunLogin calls
// it for every user, as LdapEnsureUser gives each an LDAP entry.
void EnsureAccount(const std::string& user);
// Adds `alias` to passwd with `account`'s uid, after `account`'s line: NSS
// maps it back to `account` (getpwuid answers the first line), the way
// sssd maps another case of a name to the account's own.
void AddAccountAlias(const std::string& alias, const std::string& account);

// pam_start(service, user) + pam_authenticate through libpamtest; returns
// what pam_authenticate returned.
int RunLogin(const std::string& service, const std::string& user, Dialogue& dialogue);
// Enrolls the users of `text` on provider A, in the unit a config with
// users_file = `path` reads (replication brings them to B); their entries
// have the class twilioOtpState unless !state_class (the module adds it).
void FleetWriteUsers(const std::string& path, const std::string& text, bool state_class = true);
// Waits until both providers hold the same data (their contextCSN agree),
// bounded only to catch a hang.
void FleetWaitReplicated();
// The fleet state values of `attribute` on `user`'s entry in unit
// `users_file`, as provider `env` has them.
std::vector<std::string> FleetValuesOf(const LdapEnv& env, const std::string& users_file, const std::string& user,
                                       const std::string& attribute);
// Logins at once, login i of users[i] through services[i] answering
// dialogues[i]; their pam_authenticate results.
std::vector<int> RunLoginsAtOnce(const std::vector<std::string>& services, const std::vector<std::string>& users,
                                 std::vector<Dialogue>& dialogues);
// Logins at once, login i of users[i] answering dialogues[i]; their
// pam_authenticate results. Threads, not processes: pam_wrapper sets itself
// up again in every new process and its scratch names then collide.
std::vector<int> RunLoginsAtOnce(const std::string& service, const std::vector<std::string>& users,
                                 std::vector<Dialogue>& dialogues);
// `twilio-otp status USER --json` against the config of `service`.
nlohmann::json UserStatus(const std::string& service, const std::string& user);

// What the module logged during one login. Under pam_wrapper, pam_syslog
// lines go to stderr as "PWRAP_<LEVEL>(<pid>) - SYSLOG(<priority>): <text>".
struct LoginLog {
  std::vector<std::string> syslog;  // the <text> of each of the module's pam_syslog lines
  std::vector<std::string> other;   // stderr lines that are not pam_wrapper's (none expected)
  bool Has(const std::string& needle) const;  // in any syslog line
  std::string Joined() const;                 // syslog and other lines, one per line
};
// RunLogin with stderr sent to a file and PAM_WRAPPER_DEBUGLEVEL raised for
// the call (so warnings and notices are printed, not only errors); fills *log.
int RunLoginLogged(const std::string& service, const std::string& user, Dialogue& dialogue, LoginLog* log);

// A string field of a record; "" when absent or not a string (e.g. null).
std::string Field(const nlohmann::json& record, const char* key);

// The stand-in's records (one JSON object per request), since the last
// ForgetRecords(): one stand-in serves both modes' runs.
std::vector<nlohmann::json> Records();
void ForgetRecords();
// Successful requests of `kind` to `to` ("verification", "message", "call", ...).
int CountSends(const std::string& to);
// Successful sends to anyone.
int TotalSends();
// A record the stand-in answered with success (hung or dropped requests have
// no status at all).
bool Answered(const nlohmann::json& record);
int CountRecords(const std::string& kind, const std::string& to);
// The last answered record of `kind` to `to`; an empty object when none.
nlohmann::json LastRecord(const std::string& kind, const std::string& to);
std::string LastCode(const std::string& to);

// harness_totp.cc: `twilio-otp enroll USER --totp` against the config of
// `service`, typing the code the app would show; the CLI's exit status (its
// output is in TestEnv().dir/enroll-totp.out).
int EnrollAuthenticatorApp(const std::string& service, const std::string& user);
// The code `user`'s authenticator app shows now (`offset` time steps on),
// from the seed of the latest factor the stand-in created for them.
std::string AppCode(const std::string& user, int offset = 0);

}  // namespace itest

#endif  // PAM_TWILIO_OTP_TESTS_INTEGRATION_HARNESS_H_
