// login/login: the login flow (login.cc) without PAM: a scripted conversation,
// an in-memory directory and a fake challenge, so every branch is reachable.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "state/backup_codes.h"
#include "login/login.h"
#include "state/probe_record.h"
#include "temp_files.h"
#include "state_edit.h"
#include "table_processes.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;
using twotp_test::TableProcesses;

namespace {

class ScriptedConversation : public Conversation {
 public:
  std::deque<std::string> answers;
  bool broken = false;
  std::vector<std::string> infos, errors, prompts;
  std::function<void()> on_ask;  // runs as each answer is given
  Status Info(const std::string& t) override {
    if (broken) return Status::BadInput("no conversation");
    infos.push_back(t);
    return Status::Ok();
  }
  Status Error(const std::string& t) override {
    errors.push_back(t);
    return Status::Ok();
  }
  Result<Secret> AskHidden(const std::string& p) override {
    prompts.push_back(p);
    if (on_ask) on_ask();
    if (broken || answers.empty()) return Status::BadInput("no answer");
    Secret s(answers.front());
    answers.pop_front();
    return s;
  }
  Result<Secret> AskVisible(const std::string& p) override { return AskHidden(p); }
  bool Said(const std::string& text) const {  // an info or error line, whole
    return std::find(infos.begin(), infos.end(), text) != infos.end() ||
           std::find(errors.begin(), errors.end(), text) != errors.end();
  }
};

class FakeChallenge : public Challenge {
 public:
  std::string code = "424242";
  Status send_status;
  Status check_status;     // non-ok: Check returns it
  Status resend_status;    // non-ok: every send after the first returns it
  int dead_until_resend = 0;  // this many checks say kCodeDead until a new send
  std::vector<Channel> sent;
  std::vector<std::string> sent_to;        // the destination of each send
  std::map<Channel, Status> refused;       // channels Twilio refuses, and how
  int checks = 0;
  bool abandoned = false;
  std::function<void()> on_check;  // runs inside Check (e.g. another login's lockout)
  Status Send(const std::string& to, Channel c, const ChallengeContext&) override {
    if (!send_status.ok()) return send_status;
    if (auto refusal = refused.find(c); refusal != refused.end()) return refusal->second;
    sent_to.push_back(to);
    if (!sent.empty() && !resend_status.ok()) return resend_status;
    if (!sent.empty()) dead_until_resend = 0;
    sent.push_back(c);
    return Status::Ok();
  }
  Result<CheckOutcome> Check(const Secret& typed) override {
    ++checks;
    if (on_check) on_check();
    if (!check_status.ok()) return check_status;
    if (dead_until_resend > 0) return Status::CodeDead("expired");
    return typed.str() == code ? CheckOutcome::kApproved : CheckOutcome::kWrongCode;
  }
  void Abandon() override { abandoned = true; }
  bool forgotten = false;
  void Forget() override { forgotten = true; }
  // Verify mode's shape: the pending code is a SID, "VEfake<N>" after N sends.
  PendingCode Export(std::time_t at) const override {
    if (sent.empty()) return {};
    return PendingCode{"VEfake" + std::to_string(sent.size()), "", "", "sms", at, {}};
  }
  std::string adopted;                 // the SID Adopt took over
  std::vector<std::string> cancelled;  // the SIDs Cancel ended
  Status Adopt(const PendingCode& p) override {
    if (p.verification_sid.empty()) return Status::CodeDead("nothing to adopt");
    adopted = p.verification_sid;
    return Status::Ok();
  }
  void Cancel(const PendingCode& p) override { cancelled.push_back(p.verification_sid); }
};

class MapDirectory : public Directory {
 public:
  Status fault;
  std::map<std::string, PhoneRecord> records;
  Result<PhoneRecord> Lookup(const std::string& user) override {
    if (!fault.ok()) return fault;
    auto it = records.find(user);
    if (it == records.end()) return Status::NotFound("no record");
    return it->second;
  }
  Status Enroll(const PhoneRecord& record) override {
    records[record.user] = record;
    return Status::Ok();
  }
  Status Remove(const std::string& user) override {
    return records.erase(user) == 1 ? Status::Ok() : Status::NotFound("no record");
  }
  Result<std::vector<PhoneRecord>> List() override {
    std::vector<PhoneRecord> all;
    for (const auto& [user, record] : records) all.push_back(record);
    return all;
  }
  std::string Where() const override { return "memory"; }
};

class CapturingLogger : public Logger {
 public:
  std::vector<std::string> lines;
  void Write(LogLevel, const std::string& line) override { lines.push_back(line); }
  bool debug_enabled() const override { return true; }
  int Count(const std::string& needle) const {
    int n = 0;
    for (const auto& l : lines) n += l.find(needle) != std::string::npos;
    return n;
  }
};

// A scratch directory for the state store, removed with the World.
struct Scratch {
  twotp_test::TempDir dir;
  Scratch() { assert_true(dir.Create("twotp-login")); }
  ~Scratch() { dir.Remove(); }
};

struct World {
  Config config;
  MapDirectory directory;
  FakeChallenge challenge;
  ScriptedConversation conversation;
  CapturingLogger log;
  SystemClock clock;
  Scratch scratch;
  FileTrust trust{getuid()};
  StateStore state{scratch.dir.File("state"), trust};
  std::vector<std::string> groups;  // what the group lookup answers for anyone
  TableProcesses processes;
  std::string rhost = "192.0.2.7";
  std::optional<SessionIdentity> session;  // a local login's terminal session (rhost "")
  bool opened = false;
  std::optional<twotp::Result<twotp::LineType>> line;  // what Lookup answers (twilio.lookup)
  std::vector<std::string> looked_up;                   // the numbers it was asked about
  std::vector<std::string> app_factors;                 // the user's verified TOTP factors at "Twilio"
  std::string app_code = "135790";                      // what the app shows now
  std::vector<std::string> app_checks;                  // the codes checked against a factor

  World() {
    assert_true(state.Prepare().ok());
    config.limits.resend_cooldown = 0;
    directory.records["alice"] = PhoneRecord{"alice", "+15550104567", Channel::kSms, "2026-11-23T19:00:00Z", true, ""};
  }
  Verdict Login(const std::string& user = "alice") {
    LoginDeps deps{config, directory,
                   [this]() -> Result<Challenge*> {
                     opened = true;
                     return static_cast<Challenge*>(&challenge);
                   },
                   conversation, log, clock, state,
                   [this](const std::string&) -> Result<std::vector<std::string>> { return groups; },
                   processes,
                   [this](const std::string& number) -> twotp::Result<twotp::LineType> {
                     looked_up.push_back(number);
                     return line.value_or(twotp::Result<twotp::LineType>(Status::Internal("no lookup scripted")));
                   },
                   twotp::TotpAccess{
                       [this](const std::string&) -> Result<std::vector<std::string>> { return app_factors; },
                       [this](const std::string&, const std::string& factor,
                              const Secret& code) -> Result<CheckOutcome> {
                         app_checks.push_back(factor + ":" + code.str());
                         return code.str() == app_code ? CheckOutcome::kApproved : CheckOutcome::kWrongCode;
                       }}};
    return Authenticate(
        LoginRequest{.user = user, .service = "sshd", .host = "bastion", .rhost = rhost, .tty = "ssh", .command = "",
                     .session = session},
        deps);
  }
};

void test_right_code_allows(void**) {
  World w;
  w.conversation.answers = {"424242"};
  assert_int_equal(w.Login(), Verdict::kAllow);
  assert_int_equal(w.challenge.sent.size(), 1);
  assert_true(w.conversation.prompts[0].find("+1 ••• ••• 4567") != std::string::npos);
}

void test_surrounding_spaces_in_the_code_are_ignored(void**) {
  World w;
  w.conversation.answers = {"  424242\n"};
  assert_int_equal(w.Login(), Verdict::kAllow);
}

void test_broken_conversation_sends_nothing(void**) {
  World w;
  w.conversation.broken = true;
  assert_int_equal(w.Login(), Verdict::kConvError);
  assert_false(w.opened);
  assert_true(w.challenge.sent.empty());
}

void test_witnessed_outage_follows_failmode(void**) {
  for (FailMode mode : {FailMode::kSecure, FailMode::kSafe}) {
    World w;
    w.config.policy.failmode = mode;
    w.challenge.send_status = Status::Unavailable("connect refused").Witnessed();
    assert_int_equal(w.Login(), mode == FailMode::kSafe ? Verdict::kIgnore : Verdict::kRefuse);
    assert_int_equal(w.log.Count("Twilio unavailable (send: unavailable: connect refused)"), 1);
    assert_int_equal(w.log.Count("result="), 1);
  }
}

// A timeout is what a caller who SIGSTOPs its own sudo makes: failmode=safe
// must not let it through.
void test_unwitnessed_outage_refuses_under_failsafe(void**) {
  World w;
  w.config.policy.failmode = FailMode::kSafe;
  w.challenge.send_status = Status::Unavailable("connect timed out");
  assert_int_equal(w.Login(), Verdict::kRefuse);
  assert_int_equal(w.log.Count("not a witnessed outage"), 1);
  assert_int_equal(w.log.Count("result=refused (Twilio unavailable, not witnessed)"), 1);
}

// Root's probe (run from a timer, out of the caller's reach) is a witness a
// login's own timeout may lean on, while its record is fresh.
void test_fresh_probe_record_witnesses_a_timeout(void**) {
  const std::time_t now = std::time(nullptr);
  const struct {
    std::time_t checked_at;
    bool reachable;
    Verdict expected;
  } rows[] = {
      {now - 10, false, Verdict::kIgnore},
      {now - 10, true, Verdict::kRefuse},
      {now - 3600, false, Verdict::kRefuse},  // older than policy.probe_max_age
      {now + 600, false, Verdict::kRefuse},   // from the future: not believed
  };
  for (const auto& row : rows) {
    World w;
    w.config.policy.failmode = FailMode::kSafe;
    w.challenge.send_status = Status::Unavailable("connect timed out");
    assert_true(WriteProbeRecord(w.state.dir(), ProbeRecord{row.checked_at, row.reachable, "x"}).ok());
    assert_int_equal(w.Login(), row.expected);
  }
  World secure;  // failmode=secure is never moved by a probe
  secure.challenge.send_status = Status::Unavailable("connect timed out");
  assert_true(WriteProbeRecord(secure.state.dir(), ProbeRecord{now, false, "x"}).ok());
  assert_int_equal(secure.Login(), Verdict::kRefuse);
}

void test_unavailable_check_follows_failmode(void**) {
  World w;
  w.challenge.check_status = Status::Unavailable("HTTP 503");
  w.conversation.answers = {"424242"};
  assert_int_equal(w.Login(), Verdict::kRefuse);
}

void test_config_fault_refuses_even_under_failsafe(void**) {
  World w;
  w.config.policy.failmode = FailMode::kSafe;
  Status creds = Status::ConfigError("Twilio rejected the credentials");
  creds.WithHttp(401, 20003);
  w.challenge.send_status = creds;
  assert_int_equal(w.Login(), Verdict::kRefuse);
  assert_int_equal(w.log.Count("20003"), 1);
}

void test_blocked_recipient_is_denied_with_advice(void**) {
  World w;
  w.config.policy.failmode = FailMode::kSafe;
  Status stop = Status::Recipient("recipient opted out (STOP)");
  stop.WithUserMessage("Reply START to the sender, or choose a voice call.");
  w.challenge.send_status = stop;
  assert_int_equal(w.Login(), Verdict::kDeny);
  assert_string_equal(w.conversation.errors.back().c_str(), "Reply START to the sender, or choose a voice call.");
}

void test_directory_fault_is_never_read_as_unenrolled(void**) {
  World w;
  w.config.policy.unenrolled = Unenrolled::kAllow;
  w.directory.fault = Status::DirectoryError("users file: permission denied");
  assert_int_equal(w.Login(), Verdict::kRefuse);
  assert_true(w.challenge.sent.empty());
}

// A user name and a fault message with a newline and ESC in them: every
// line the login logs stays one line, the bytes shown as escapes.
void test_control_bytes_in_log_lines_are_escaped(void**) {
  World w;
  w.directory.fault = Status::DirectoryError("/etc/users:3: bad\nMay  1 sshd[1]: Accepted");
  assert_int_equal(w.Login("mal\nlory\x1b[8m"), Verdict::kRefuse);
  assert_false(w.log.lines.empty());
  for (const std::string& line : w.log.lines) {
    assert_true(line.find('\n') == std::string::npos && line.find('\x1b') == std::string::npos);
    assert_true(line.find("user=mal\\nlory\\x1b[8m ") != std::string::npos);
  }
  assert_int_equal(w.log.Count("bad\\nMay  1 sshd[1]: Accepted"), 1);
}

// Log lines name the account and, when PAM gave another spelling, that too.
void test_log_lines_name_the_account_and_the_name_given(void**) {
  LoginRequest request;
  request.user = "rtuser";
  assert_string_equal(UserForLog(request).c_str(), "rtuser");
  request.login_name = "RTUSER";
  assert_string_equal(UserForLog(request).c_str(), "rtuser (as RTUSER)");
  request.login_name = std::string(300, 'x');  // bounded: the rest of the line must fit
  assert_string_equal(UserForLog(request).c_str(), ("rtuser (as " + std::string(64, 'x') + "...)").c_str());
}

// LDAP with every server down: an outage, like Twilio's, so failmode
// decides; under failmode=secure a backup code still gets the user in.
void test_directory_outage_follows_failmode_and_takes_a_backup_code(void**) {
  Status down = Status::Unavailable("ldap: no server could answer");
  down.Witnessed();
  World safe;
  safe.config.policy.failmode = FailMode::kSafe;
  safe.directory.fault = down;
  assert_int_equal(safe.Login(), Verdict::kIgnore);
  assert_true(safe.log.Count("the directory unavailable") > 0);
  World secure;
  secure.directory.fault = down;
  assert_int_equal(secure.Login(), Verdict::kRefuse);
  assert_true(secure.challenge.sent.empty());
  World rescued;
  rescued.directory.fault = down;
  Result<NewBackupCodes> codes = GenerateBackupCodes(1);
  assert_true(EditState(rescued.state, "alice", [&](UserState& s) { s.backup_codes = codes->hashes; }).ok());
  rescued.conversation.answers = {codes->codes[0].str()};
  assert_int_equal(rescued.Login(), Verdict::kAllow);
  assert_true(rescued.challenge.sent.empty());
}

// unenrolled = "enroll" as LoadConfig accepts it: numbers of +1 only, sms first.
void AllowEnrolment(World& w) {
  w.config.policy.unenrolled = Unenrolled::kEnroll;
  w.config.limits.allowed_countries = {"1"};
}

void test_unenrolled_policy(void**) {
  const struct {
    Unenrolled policy;
    Verdict expected;
  } rows[] = {
      {Unenrolled::kDeny, Verdict::kDeny},
      {Unenrolled::kAllow, Verdict::kIgnore},
      {Unenrolled::kEnroll, Verdict::kConvError},  // asks for a number; the script has none
  };
  for (const auto& row : rows) {
    World w;
    w.config.policy.unenrolled = row.policy;
    w.config.limits.allowed_countries = {"1"};
    assert_int_equal(w.Login("mallory"), row.expected);
    assert_false(w.opened);
  }
}

void test_enroll_at_login_saves_the_number_only_after_the_code(void**) {
  World w;
  AllowEnrolment(w);
  w.conversation.answers = {"+1 (555) 010-9999", "000000", "424242"};
  assert_int_equal(w.Login("newbie"), Verdict::kAllow);
  const PhoneRecord& saved = w.directory.records.at("newbie");
  assert_string_equal(saved.number.c_str(), "+15550109999");
  assert_false(saved.verified_at.empty());
  assert_int_equal(w.log.Count("enrolled +1 ••• ••• 9999 at login"), 1);
}

void test_enroll_at_login_wrong_codes_save_nothing(void**) {
  World w;
  AllowEnrolment(w);
  w.conversation.answers = {"+15550109999", "000000", "111111", "222222"};
  assert_int_equal(w.Login("newbie"), Verdict::kDeny);
  assert_int_equal(w.directory.records.count("newbie"), 0);
}

void test_enroll_at_login_refuses_a_malformed_number(void**) {
  World w;
  AllowEnrolment(w);
  w.conversation.answers = {"call me maybe"};
  assert_int_equal(w.Login("newbie"), Verdict::kDeny);
  assert_true(w.challenge.sent.empty());
}

// +881 (satellite) is a classic toll-fraud destination: refused before any
// Twilio session is opened, told to the user, logged.
void test_enroll_at_login_refuses_a_number_outside_allowed_countries(void**) {
  World w;
  AllowEnrolment(w);
  w.config.limits.allowed_countries = {"1", "44"};
  w.conversation.answers = {"+881 631 001 234"};
  assert_int_equal(w.Login("newbie"), Verdict::kDeny);
  assert_false(w.opened);
  assert_true(w.challenge.sent.empty());
  assert_int_equal(w.directory.records.count("newbie"), 0);
  assert_int_equal(w.conversation.errors.size(), 1);
  assert_string_equal(w.conversation.errors[0].c_str(),
                      "Numbers in that country can't be enrolled here (allowed country calling codes: +1, +44).");
  assert_int_equal(
      w.log.Count("result=enrolment refused: country calling code +881 is not in limits.allowed_countries"), 1);
}

// twilio.lookup: the typed number's line type is asked before any code; a
// landline (SMS first) is refused and told why, a VoIP number goes on with a
// notice, and a lookup that can't be had refuses as an outage would.
void test_enroll_at_login_asks_lookup_first(void**) {
  World refused;
  AllowEnrolment(refused);
  refused.config.twilio.lookup = true;
  refused.line = twotp::LineType{true, "landline", "Example Telco"};
  refused.conversation.answers = {"+15550109999"};
  assert_int_equal(refused.Login("newbie"), Verdict::kDeny);
  assert_true(refused.looked_up == std::vector<std::string>{"+15550109999"});
  assert_true(refused.challenge.sent.empty());
  assert_true(refused.conversation.Said(
      "This number can't be enrolled: it is a landline, which can't receive SMS; enrol it for voice calls, or a "
      "mobile."));
  assert_int_equal(refused.log.Count("result=enrolment refused: line type landline"), 1);

  World voip;
  AllowEnrolment(voip);
  voip.config.twilio.lookup = true;
  voip.line = twotp::LineType{true, "nonFixedVoip", ""};
  voip.conversation.answers = {"+15550109999", "424242"};
  assert_int_equal(voip.Login("newbie"), Verdict::kAllow);
  assert_int_equal(voip.log.Count("enrolling +1 ••• ••• 9999 (line type nonFixedVoip): it is a non-fixed VoIP"), 1);

  World down;
  AllowEnrolment(down);
  down.config.twilio.lookup = true;
  down.line = twotp::Result<twotp::LineType>(Status::Unavailable("connect refused").Witnessed());
  down.conversation.answers = {"+15550109999"};
  assert_int_equal(down.Login("newbie"), Verdict::kRefuse);
  assert_true(down.challenge.sent.empty());

  World off;  // without twilio.lookup nobody asks
  AllowEnrolment(off);
  off.conversation.answers = {"+15550109999", "424242"};
  assert_int_equal(off.Login("newbie"), Verdict::kAllow);
  assert_true(off.looked_up.empty());
}

// channel "totp": the app's code is asked and checked by a challenge against
// the user's factor; nothing is sent; SMS is the fallback unless forbidden.
void AppUser(World& w) {
  w.config.policy.channels = {Channel::kTotp, Channel::kSms};
  w.directory.records["alice"].channel = Channel::kTotp;
  w.app_factors = {"YF0123456789abcdef0123456789abcdef"};
}

void test_an_app_user_types_the_apps_code(void**) {
  World w;
  AppUser(w);
  w.conversation.answers = {"resend", "111111", "135790"};
  assert_int_equal(w.Login(), Verdict::kAllow);
  assert_true(w.challenge.sent.empty());  // nothing sent, nothing counted
  assert_true(w.conversation.prompts.at(0).starts_with(
      "Code from your authenticator app (or 'sms' for a text message)."));
  assert_true(w.conversation.Said("Your authenticator app shows a new code every 30 seconds; type the one it shows now."));
  assert_true(w.app_checks == (std::vector<std::string>{"YF0123456789abcdef0123456789abcdef:111111",
                                                       "YF0123456789abcdef0123456789abcdef:135790"}));
  assert_int_equal(w.log.Count("channel=totp"), 1);

  World fallback;  // asks for SMS instead
  AppUser(fallback);
  fallback.conversation.answers = {"sms", "424242"};
  assert_int_equal(fallback.Login(), Verdict::kAllow);
  assert_true(fallback.challenge.sent == std::vector<Channel>{Channel::kSms});

  World app_only;  // totp_fallback = false: the app and nothing else
  AppUser(app_only);
  app_only.config.policy.totp_fallback = false;
  app_only.conversation.answers = {"sms", "135790"};
  assert_int_equal(app_only.Login(), Verdict::kAllow);
  assert_true(app_only.challenge.sent.empty());
  assert_true(app_only.conversation.prompts.at(0).find("'sms'") == std::string::npos);
  assert_true(app_only.conversation.Said("Codes can't be sent by SMS here."));
}

// Twilio has no app for the user any more: the next channel, and told.
void test_an_app_user_without_a_factor_gets_the_next_channel(void**) {
  World w;
  AppUser(w);
  w.app_factors.clear();
  w.conversation.answers = {"424242"};
  assert_int_equal(w.Login(), Verdict::kAllow);
  assert_true(w.challenge.sent == std::vector<Channel>{Channel::kSms});
  assert_true(w.conversation.Said("No authenticator app is enrolled for you; the code was sent by SMS instead."));

  World stuck;
  AppUser(stuck);
  stuck.config.policy.totp_fallback = false;
  stuck.app_factors.clear();
  assert_int_equal(stuck.Login(), Verdict::kDeny);
  assert_true(stuck.challenge.sent.empty());

  World other;  // a user whose channel isn't totp is never offered the app
  other.config.policy.channels = {Channel::kSms, Channel::kTotp};
  other.conversation.answers = {"totp", "424242"};
  assert_int_equal(other.Login(), Verdict::kAllow);
  assert_true(other.conversation.prompts.at(0).find("'totp'") == std::string::npos);
  assert_true(other.app_checks.empty());
}

// A Config that LoadConfig would refuse (no allowed_countries, no text
// channel) asks for no number at all.
void test_enroll_at_login_refuses_a_config_load_would_refuse(void**) {
  for (const bool countries : {false, true}) {
    World w;
    AllowEnrolment(w);
    if (!countries) w.config.limits.allowed_countries.clear();
    if (countries) w.config.policy.channels = {Channel::kCall};
    w.conversation.answers = {"+15550109999", "424242"};
    assert_int_equal(w.Login("newbie"), Verdict::kRefuse);
    assert_true(w.conversation.prompts.empty());
    assert_false(w.opened);
    assert_int_equal(w.log.Count("policy.unenrolled: \"enroll\" needs"), 1);
  }
}

// The number being enrolled is only the caller's word: its code goes by
// text even when "call" comes first in policy.channels, the prompt offers
// no other channel, and 'call' or 'whatsapp' typed there sends nothing.
void test_enroll_at_login_never_calls_the_new_number(void**) {
  World w;
  AllowEnrolment(w);
  w.config.policy.channels = {Channel::kCall, Channel::kSms, Channel::kWhatsapp};
  w.conversation.answers = {"+15550109999", "call", "WhatsApp", "sms", "424242"};
  assert_int_equal(w.Login("newbie"), Verdict::kAllow);
  assert_int_equal(w.challenge.sent.size(), 2);  // the first code, and 'sms' as a resend
  assert_int_equal(w.challenge.sent[0], Channel::kSms);
  assert_int_equal(w.challenge.sent[1], Channel::kSms);
  for (const std::string& prompt : w.conversation.prompts) {
    assert_true(prompt.find("'call'") == std::string::npos && prompt.find("'whatsapp'") == std::string::npos);
  }
  assert_int_equal(w.conversation.errors.size(), 2);
  for (const std::string& error : w.conversation.errors) {
    assert_string_equal(error.c_str(),
                        "While a new number is being enrolled, codes are sent only by SMS; type 'resend' for a new one.");
  }
  assert_int_equal(w.log.Count("while enrolling; refused until the number is proven"), 2);
  assert_int_equal(w.directory.records.at("newbie").channel, Channel::kSms);
}

void test_backup_code_never_enrols_a_number(void**) {
  World w;
  AllowEnrolment(w);
  Result<NewBackupCodes> codes = GenerateBackupCodes(1);
  assert_true(EditState(w.state, "newbie", [&](UserState& s) { s.backup_codes = codes->hashes; }).ok());
  const std::string code = codes->codes[0].str();
  w.conversation.answers = {"+15550109999", code, code, code};
  assert_int_equal(w.Login("newbie"), Verdict::kDeny);
  assert_int_equal(w.directory.records.count("newbie"), 0);
}

void test_right_code_after_a_parallel_lockout_is_refused(void**) {
  World w;
  w.conversation.answers = {"424242"};
  w.challenge.on_check = [&w] {  // another login of alice used up the failures meanwhile
    (void)EditState(w.state, "alice", [](UserState& s) { s.locked_until = std::time(nullptr) + 900; });
  };
  assert_int_equal(w.Login(), Verdict::kDeny);
  assert_true(w.conversation.errors.back().find("Too many failed codes") != std::string::npos);
}

// The caller of su or sudo can make a write fail (its own rlimits on
// descriptors, file size or memory): a guess must be counted before it is
// checked, or a failed count after a wrong code would be a free guess whose
// answer ("refused" vs "in") is still told.
void test_a_guess_is_counted_before_it_is_checked(void**) {
  for (const char* typed : {"111111", "424242"}) {
    World w;
    w.conversation.answers = {typed};
    const std::string lock = w.state.UserPath("alice") + ".lock";
    w.challenge.on_check = [&lock] {  // from here on, no state write can succeed
      (void)unlink(lock.c_str());
      assert_int_equal(mkdir(lock.c_str(), 0700), 0);
    };
    const Verdict verdict = w.Login();
    assert_int_equal(rmdir(lock.c_str()), 0);
    Result<UserState> after = w.state.Read("alice");
    assert_true(after.ok());
    // A wrong guess never gets in; a right one may be refused when the
    // state can't even be read back (fail closed), never the other way.
    if (std::string(typed) != "424242") assert_int_not_equal(verdict, Verdict::kAllow);
    // Counted either way, before the check: an attempt in flight, a failure
    // once this login is gone (its verdict could not be written).
    assert_int_equal(after->attempts.size(), 1);
    assert_int_equal(w.challenge.checks, 1);
  }
}

// Nothing is checked once the count can't be written.
void test_no_check_without_a_written_count(void**) {
  World w;
  w.conversation.answers = {"424242"};
  const std::string lock = w.state.UserPath("alice") + ".lock";
  w.conversation.on_ask = [&lock] {
    (void)unlink(lock.c_str());
    (void)mkdir(lock.c_str(), 0700);
  };
  assert_int_equal(w.Login(), Verdict::kRefuse);
  assert_int_equal(w.challenge.checks, 0);
  (void)rmdir(lock.c_str());
}

// A right code after a wrong one gets in and forgives it (codes in flight
// never lock); the max_failures-th wrong code locks the user out.
void test_a_right_code_on_the_last_allowed_attempt_still_gets_in(void**) {
  World w;
  w.config.limits.max_failures = 2;
  w.conversation.answers = {"111111", "424242"};
  assert_int_equal(w.Login(), Verdict::kAllow);
  Result<UserState> after = w.state.Read("alice");
  assert_true(after.ok());
  assert_int_equal(after->locked_until, 0);
  assert_int_equal(after->failures.size(), 0);
  World wrong;
  wrong.config.limits.max_failures = 2;
  wrong.conversation.answers = {"111111", "222222", "424242"};
  assert_int_equal(wrong.Login(), Verdict::kDeny);
  assert_true(wrong.state.Read("alice")->locked_until > std::time(nullptr));
  assert_int_equal(wrong.challenge.checks, 2);
}

void test_break_glass_survives_a_corrupt_state_file(void**) {
  World w;
  w.config.policy.exempt_users = {"alice"};
  w.config.policy.grace_period = 600;  // the grace rule would read the state
  assert_true(EditState(w.state, "alice", [](UserState&) {}).ok());
  std::ofstream(w.state.UserPath("alice"), std::ios::trunc) << "{\"version\":";
  assert_int_equal(w.Login(), Verdict::kIgnore);
  assert_int_equal(w.log.Count(" break-glass: "), 1);  // the warning at every use
  w.config.policy.exempt_users.clear();  // anyone else with that file is refused
  assert_int_equal(w.Login(), Verdict::kRefuse);
}

void test_wrong_codes_use_up_attempts_then_abandon(void**) {
  World w;
  w.config.policy.max_attempts = 3;
  w.conversation.answers = {"000000", "111111", "222222", "424242"};
  assert_int_equal(w.Login(), Verdict::kDeny);
  assert_int_equal(w.challenge.checks, 3);
  assert_true(w.challenge.abandoned);
  assert_int_equal(w.conversation.answers.size(), 1);
}

void test_dead_code_costs_an_attempt_and_resend_recovers(void**) {
  World w;
  w.challenge.dead_until_resend = 1;
  w.conversation.answers = {"424242", "resend", "424242"};
  assert_int_equal(w.Login(), Verdict::kAllow);
  assert_int_equal(w.challenge.sent.size(), 2);
  assert_true(w.conversation.errors.front().find("resend") != std::string::npos);
}

void test_dead_codes_alone_end_in_a_deny(void**) {
  World w;
  w.challenge.check_status = Status::CodeDead("expired");
  w.conversation.answers = {"424242", "424242", "424242"};
  assert_int_equal(w.Login(), Verdict::kDeny);
  assert_int_equal(w.challenge.checks, 3);
}

void test_resends_are_capped_per_login(void**) {
  World w;
  w.conversation.answers = {"resend", "resend", "resend", "resend", "resend", "424242"};
  assert_int_equal(w.Login(), Verdict::kAllow);
  assert_int_equal(w.challenge.sent.size(), 4);
  assert_int_equal(w.log.Count("result=success"), 1);
}

void test_call_switches_channel_and_sms_switches_back(void**) {
  World w;
  w.conversation.answers = {"call", "SMS", "424242"};
  assert_int_equal(w.Login(), Verdict::kAllow);
  assert_int_equal(w.challenge.sent.size(), 3);
  assert_int_equal(w.challenge.sent[1], Channel::kCall);
  assert_int_equal(w.challenge.sent[2], Channel::kSms);
  assert_true(w.conversation.prompts[1].find("voice call") != std::string::npos);
}

void test_resend_cooldown_is_enforced(void**) {
  World w;
  w.config.limits.resend_cooldown = 600;
  w.conversation.answers = {"resend", "424242"};
  assert_int_equal(w.Login(), Verdict::kAllow);
  assert_int_equal(w.challenge.sent.size(), 1);
  assert_true(w.conversation.errors.front().find("try again in") != std::string::npos);
}

// ssh, then sudo within the cooldown, shipped defaults: the ssh login's right
// code ends the cooldown, so sudo sends a fresh code at once.
void test_a_login_right_after_a_success_gets_a_new_code(void**) {
  World w;
  w.config.limits = LimitsConfig{};  // the shipped defaults, resend_cooldown 30 s included
  assert_true(w.config.limits.resend_cooldown > 0);
  w.conversation.answers = {"424242"};
  assert_int_equal(w.Login(), Verdict::kAllow);
  w.conversation.answers = {"424242"};
  assert_int_equal(w.Login(), Verdict::kAllow);
  assert_int_equal(w.challenge.sent.size(), 2);
  assert_true(w.conversation.errors.empty());
}

void test_failed_resend_keeps_the_login_going(void**) {
  World w;
  w.conversation.answers = {"resend", "424242"};
  w.challenge.resend_status = Status::Unavailable("HTTP 503");
  assert_int_equal(w.Login(), Verdict::kAllow);
  assert_int_equal(w.challenge.sent.size(), 1);
  assert_true(w.conversation.errors.front().find("last one still works") != std::string::npos);
  assert_int_equal(w.log.Count("resend failed"), 1);
}

// A code another login of alice sent `age` seconds ago, and left pending.
void LeavePending(World& w, ProcessId owner, std::time_t age) {
  assert_true(EditState(w.state, "alice", [&](UserState& s) {
    s.pending = PendingCode{"VEleft", "", "", "sms", std::time(nullptr) - age, {owner}};
    s.sends.push_back(s.pending.sent_at);
  }).ok());
}

bool ToldOfAnEndedLogin(const World& w) {
  for (const std::string& info : w.conversation.infos) {
    if (info.find("for an earlier login that ended") != std::string::npos) return true;
  }
  return false;
}

// Within limits.resend_cooldown a pending code is shared, as with parallel
// logins; only whether its login still runs decides what the user is told.
// A pid alone is not the login: one reused by another process is not it.
void test_a_code_whose_login_ended_is_shared_only_with_a_word(void**) {
  const ProcessId self{4242, 777};
  const ProcessId sibling{5150, 900};
  const struct {
    ProcessId owner;
    bool told;
  } rows[] = {
      {self, false},         // this very process (logins in one process, as in the integration run)
      {sibling, false},      // a parallel login still at its prompt
      {{5150, 901}, true},   // the sibling's pid, reused by a process started later
      {{6000, 900}, true},   // gone
      {{}, true},            // unknown: written before owners were kept
  };
  for (const auto& row : rows) {
    World w;
    w.config.limits.resend_cooldown = 30;
    w.processes.others = {sibling};
    LeavePending(w, row.owner, 12);
    std::vector<ProcessId> holders_at_prompt;
    w.challenge.on_check = [&w, &holders_at_prompt] { holders_at_prompt = w.state.Read("alice")->pending.holders; };
    w.conversation.answers = {"424242"};
    assert_int_equal(w.Login(), Verdict::kAllow);
    assert_true(w.challenge.sent.empty());
    assert_string_equal(w.challenge.adopted.c_str(), "VEleft");
    assert_true(w.challenge.cancelled.empty());
    assert_int_equal(ToldOfAnEndedLogin(w), row.told);
    // Whoever shares a code holds it too: the next login must not take it
    // for left behind while this one waits for it.
    const std::vector<ProcessId> expected{row.owner, self};
    assert_true(holders_at_prompt == expected);
  }
}

void test_the_word_says_how_old_the_code_is(void**) {
  World w;
  w.config.limits.resend_cooldown = 30;
  LeavePending(w, ProcessId{6000, 900}, 12);
  w.conversation.answers = {"424242"};
  assert_int_equal(w.Login(), Verdict::kAllow);
  // Greeting first, then the word, then the prompt.
  assert_int_equal(w.conversation.infos.size(), 2);
  const std::string& said = w.conversation.infos[1];
  const std::string tail = " ago for an earlier login that ended; it still works, or type 'resend' for a new one.";
  if (said != "A code was sent 12 seconds" + tail && said != "A code was sent 13 seconds" + tail) {
    fail_msg("said \"%s\"", said.c_str());
  }
  assert_int_equal(w.log.Count("sharing the code a login that ended sent 1"), 1);
}

// Past the cooldown a new code could be sent anyway: the one left behind is
// cancelled (before the send, or Verify would hand it back) and a fresh one
// sent, owned by this login.
void test_a_code_whose_login_ended_is_replaced_after_the_cooldown(void**) {
  World w;
  w.config.limits.resend_cooldown = 30;
  LeavePending(w, ProcessId{6000, 900}, 40);
  std::vector<ProcessId> holders_at_prompt;
  w.challenge.on_check = [&w, &holders_at_prompt] { holders_at_prompt = w.state.Read("alice")->pending.holders; };
  w.conversation.answers = {"424242"};
  assert_int_equal(w.Login(), Verdict::kAllow);
  assert_int_equal(w.challenge.cancelled.size(), 1);
  assert_string_equal(w.challenge.cancelled[0].c_str(), "VEleft");
  assert_int_equal(w.challenge.sent.size(), 1);
  assert_true(w.challenge.adopted.empty());
  assert_false(ToldOfAnEndedLogin(w));
  assert_true(holders_at_prompt == std::vector<ProcessId>{w.processes.self});
  assert_int_equal(w.log.Count("cancelled the code a login that ended sent 4"), 1);
}

// Past the cooldown a code is still shared (within its TTL) while its login
// runs, as before; and a code left behind is, with the word, when the limits
// refuse a new one: it still works, which beats a refusal.
void test_a_code_is_shared_past_the_cooldown_while_its_login_runs_or_no_new_one_may_go(void**) {
  const ProcessId sibling{5150, 900};
  const struct {
    ProcessId owner;
    int sends_per_window;
    bool told;
  } rows[] = {
      {sibling, 5, false},
      {{6000, 900}, 1, true},  // the window is used up by the code left behind
  };
  for (const auto& row : rows) {
    World w;
    w.config.limits.resend_cooldown = 30;
    w.config.limits.sends_per_window = row.sends_per_window;
    w.processes.others = {sibling};
    LeavePending(w, row.owner, 40);
    w.conversation.answers = {"424242"};
    assert_int_equal(w.Login(), Verdict::kAllow);
    assert_true(w.challenge.sent.empty() && w.challenge.cancelled.empty());
    assert_int_equal(ToldOfAnEndedLogin(w), row.told);
  }
}

// A local login's grace is bound to its terminal session (from /proc, in
// the request); a login without one neither earns nor gets a grace.
void test_grace_needs_a_terminal_session(void**) {
  World w;
  w.config.policy.grace_period = 600;
  w.rhost = "";
  w.session = SessionIdentity{34819, 4100, 52000};
  w.conversation.answers = {"424242"};
  assert_int_equal(w.Login(), Verdict::kAllow);
  assert_int_equal(w.Login(), Verdict::kIgnore);  // same session: within the grace period
  w.session = SessionIdentity{34819, 4177, 53000};  // same terminal, a new session
  w.conversation.answers = {"424242"};
  assert_int_equal(w.Login(), Verdict::kAllow);

  World none;
  none.config.policy.grace_period = 600;
  none.rhost = "";
  none.conversation.answers = {"424242", "424242"};
  assert_int_equal(none.Login(), Verdict::kAllow);
  assert_true(none.state.Read("alice")->grace.empty());  // nothing stamped
  assert_int_equal(none.Login(), Verdict::kAllow);       // and asked again
  assert_int_equal(none.challenge.checks, 2);
}

void test_logs_hold_no_code_and_no_full_number(void**) {
  World w;
  w.conversation.answers = {"000000", "call", "424242"};
  assert_int_equal(w.Login(), Verdict::kAllow);
  assert_false(w.log.lines.empty());
  for (const auto& line : w.log.lines) {
    assert_true(line.find("424242") == std::string::npos);
    assert_true(line.find("000000") == std::string::npos);
    assert_true(line.find("5550104567") == std::string::npos);
  }
  assert_int_equal(w.log.Count("result="), 1);
}

void test_verdict_for_fault_table(void**) {
  const struct {
    Fault fault;
    FailMode mode;
    Verdict expected;
  } rows[] = {
      {Fault::kUnavailable, FailMode::kSecure, Verdict::kRefuse},
      {Fault::kUnavailable, FailMode::kSafe, Verdict::kRefuse},  // not witnessed
      {Fault::kConfig, FailMode::kSafe, Verdict::kRefuse},
      {Fault::kDirectory, FailMode::kSafe, Verdict::kRefuse},
      {Fault::kInternal, FailMode::kSafe, Verdict::kRefuse},
      {Fault::kCodeDead, FailMode::kSafe, Verdict::kDeny},
      {Fault::kRecipient, FailMode::kSafe, Verdict::kDeny},
      {Fault::kRejected, FailMode::kSafe, Verdict::kDeny},
      {Fault::kNone, FailMode::kSafe, Verdict::kDeny},
  };
  for (const auto& row : rows) {
    assert_int_equal(VerdictForFault(Status::Error(row.fault, "x"), row.mode), row.expected);
  }
  assert_int_equal(VerdictForFault(Status::Unavailable("x").Witnessed(), FailMode::kSafe), Verdict::kIgnore);
  assert_int_equal(VerdictForFault(Status::Unavailable("x").Witnessed(), FailMode::kSecure), Verdict::kRefuse);
}

// Twilio's word that a number can't take SMS (60205 in verify mode, 21614
// in messaging mode), as ClassifyTwilioError words it.
Status Landline(int code) {
  return Status::Recipient("Twilio verification start: number can't receive SMS").WithHttp(code == 60205 ? 403 : 400,
                                                                                          code);
}

void test_a_landline_gets_the_next_channel_and_is_told(void**) {
  for (int code : {60205, 21614}) {
    World w;
    w.config.policy.channels = {Channel::kSms, Channel::kCall};
    w.challenge.refused[Channel::kSms] = Landline(code);
    w.conversation.answers = {"424242"};
    assert_int_equal(w.Login(), Verdict::kAllow);
    assert_true(w.challenge.sent == std::vector<Channel>{Channel::kCall});
    assert_true(w.conversation.Said("This number can't receive SMS; the code was sent by voice call instead."));
    assert_true(w.conversation.prompts[0].starts_with("Code sent by voice call"));
    assert_int_equal(w.log.Count("sms can't reach +1 ••• ••• 4567"), 1);
    assert_int_equal(w.log.Count("channel=call"), 1);
  }
}

// No channel left to try, or a refusal that says nothing about the channel
// (Fraud Guard, an opt-out): no fallback, the user is denied as before.
void test_no_fallback_without_another_channel_or_for_other_refusals(void**) {
  World alone;
  alone.config.policy.channels = {Channel::kSms};
  alone.challenge.refused[Channel::kSms] = Landline(60205);
  assert_int_equal(alone.Login(), Verdict::kDeny);
  assert_true(alone.challenge.sent.empty());

  World blocked;
  blocked.config.policy.channels = {Channel::kSms, Channel::kCall};
  blocked.challenge.refused[Channel::kSms] = Status::Recipient("blocked by Fraud Guard").WithHttp(403, 60410);
  assert_int_equal(blocked.Login(), Verdict::kDeny);
  assert_true(blocked.challenge.sent.empty());
}

// Email goes to the record's address; the prompt masks it; the user can
// switch to the number and back; a user without an address is never
// offered email.
void test_email_goes_to_the_address_and_is_offered_only_with_one(void**) {
  World w;
  w.config.policy.channels = {Channel::kEmail, Channel::kSms};
  w.config.limits.allowed_countries = {"44"};  // the number's +1 is not allowed; email has no country
  w.directory.records["alice"].email = "alice@example.com";
  w.directory.records["alice"].channel = Channel::kEmail;
  w.conversation.answers = {"424242"};
  assert_int_equal(w.Login(), Verdict::kAllow);
  assert_true(w.challenge.sent_to == std::vector<std::string>{"alice@example.com"});
  assert_true(w.conversation.prompts[0].starts_with("Code sent by email to a•••@example.com ("));
  assert_true(w.conversation.prompts[0].find("'sms' for a text message") != std::string::npos);

  World switcher;
  switcher.config.policy.channels = {Channel::kEmail, Channel::kSms};
  switcher.directory.records["alice"].email = "alice@example.com";
  switcher.conversation.answers = {"email", "424242"};
  assert_int_equal(switcher.Login(), Verdict::kAllow);  // the record's channel is sms
  assert_true(switcher.challenge.sent_to == (std::vector<std::string>{"+15550104567", "alice@example.com"}));

  World none;
  none.config.policy.channels = {Channel::kEmail, Channel::kSms};
  none.conversation.answers = {"email", "424242"};
  assert_int_equal(none.Login(), Verdict::kAllow);
  assert_true(none.challenge.sent == std::vector<Channel>{Channel::kSms});  // email: no address, first usable
  assert_true(none.conversation.prompts[0].find("'email'") == std::string::npos);
  assert_true(none.conversation.Said("Codes can't be sent by email here."));

  World unreachable;
  unreachable.config.policy.channels = {Channel::kEmail};
  assert_int_equal(unreachable.Login(), Verdict::kRefuse);
  assert_int_equal(unreachable.log.Count("no channel of policy.channels reaches this user"), 1);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_right_code_allows),
      cmocka_unit_test(test_a_landline_gets_the_next_channel_and_is_told),
      cmocka_unit_test(test_no_fallback_without_another_channel_or_for_other_refusals),
      cmocka_unit_test(test_email_goes_to_the_address_and_is_offered_only_with_one),
      cmocka_unit_test(test_surrounding_spaces_in_the_code_are_ignored),
      cmocka_unit_test(test_broken_conversation_sends_nothing),
      cmocka_unit_test(test_witnessed_outage_follows_failmode),
      cmocka_unit_test(test_unwitnessed_outage_refuses_under_failsafe),
      cmocka_unit_test(test_fresh_probe_record_witnesses_a_timeout),
      cmocka_unit_test(test_unavailable_check_follows_failmode),
      cmocka_unit_test(test_config_fault_refuses_even_under_failsafe),
      cmocka_unit_test(test_blocked_recipient_is_denied_with_advice),
      cmocka_unit_test(test_directory_fault_is_never_read_as_unenrolled),
      cmocka_unit_test(test_control_bytes_in_log_lines_are_escaped),
      cmocka_unit_test(test_log_lines_name_the_account_and_the_name_given),
      cmocka_unit_test(test_directory_outage_follows_failmode_and_takes_a_backup_code),
      cmocka_unit_test(test_unenrolled_policy),
      cmocka_unit_test(test_enroll_at_login_saves_the_number_only_after_the_code),
      cmocka_unit_test(test_enroll_at_login_wrong_codes_save_nothing),
      cmocka_unit_test(test_enroll_at_login_refuses_a_malformed_number),
      cmocka_unit_test(test_enroll_at_login_refuses_a_number_outside_allowed_countries),
      cmocka_unit_test(test_enroll_at_login_asks_lookup_first),
      cmocka_unit_test(test_an_app_user_types_the_apps_code),
      cmocka_unit_test(test_an_app_user_without_a_factor_gets_the_next_channel),
      cmocka_unit_test(test_enroll_at_login_refuses_a_config_load_would_refuse),
      cmocka_unit_test(test_enroll_at_login_never_calls_the_new_number),
      cmocka_unit_test(test_backup_code_never_enrols_a_number),
      cmocka_unit_test(test_right_code_after_a_parallel_lockout_is_refused),
      cmocka_unit_test(test_a_guess_is_counted_before_it_is_checked),
      cmocka_unit_test(test_no_check_without_a_written_count),
      cmocka_unit_test(test_a_right_code_on_the_last_allowed_attempt_still_gets_in),
      cmocka_unit_test(test_break_glass_survives_a_corrupt_state_file),
      cmocka_unit_test(test_wrong_codes_use_up_attempts_then_abandon),
      cmocka_unit_test(test_dead_code_costs_an_attempt_and_resend_recovers),
      cmocka_unit_test(test_dead_codes_alone_end_in_a_deny),
      cmocka_unit_test(test_resends_are_capped_per_login),
      cmocka_unit_test(test_call_switches_channel_and_sms_switches_back),
      cmocka_unit_test(test_resend_cooldown_is_enforced),
      cmocka_unit_test(test_a_login_right_after_a_success_gets_a_new_code),
      cmocka_unit_test(test_failed_resend_keeps_the_login_going),
      cmocka_unit_test(test_a_code_whose_login_ended_is_shared_only_with_a_word),
      cmocka_unit_test(test_the_word_says_how_old_the_code_is),
      cmocka_unit_test(test_a_code_whose_login_ended_is_replaced_after_the_cooldown),
      cmocka_unit_test(test_a_code_is_shared_past_the_cooldown_while_its_login_runs_or_no_new_one_may_go),
      cmocka_unit_test(test_grace_needs_a_terminal_session),
      cmocka_unit_test(test_logs_hold_no_code_and_no_full_number),
      cmocka_unit_test(test_verdict_for_fault_table),
  };
  return cmocka_run_group_tests_name("login", tests, nullptr, nullptr);
}
