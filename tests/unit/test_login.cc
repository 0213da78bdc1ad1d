// The login flow (login.cc) without PAM: a scripted conversation, an
// in-memory directory and a fake challenge, so every branch is reachable.
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "backup_codes.h"
#include "login.h"
#include "temp_files.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

namespace {

class ScriptedConversation : public Conversation {
 public:
  std::deque<std::string> answers;
  bool broken = false;
  std::vector<std::string> infos, errors, prompts;
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
    if (broken || answers.empty()) return Status::BadInput("no answer");
    Secret s(answers.front());
    answers.pop_front();
    return s;
  }
  Result<Secret> AskVisible(const std::string& p) override { return AskHidden(p); }
};

class FakeChallenge : public Challenge {
 public:
  std::string code = "424242";
  Status send_status;
  Status check_status;     // non-ok: Check returns it
  Status resend_status;    // non-ok: every send after the first returns it
  int dead_until_resend = 0;  // this many checks say kCodeDead until a new send
  std::vector<Channel> sent;
  int checks = 0;
  bool abandoned = false;
  std::function<void()> on_check;  // runs inside Check (e.g. another login's lockout)
  Status Send(const std::string&, Channel c, const ChallengeContext&) override {
    if (!send_status.ok()) return send_status;
    if (!sent.empty() && !resend_status.ok()) return resend_status;
    if (!sent.empty()) dead_until_resend = 0;
    sent.push_back(c);
    return Status::Ok();
  }
  Result<CheckOutcome> Check(const Secret& typed) override {
    ++checks;
    if (on_check) on_check();
    if (!check_status.ok()) return check_status;
    if (dead_until_resend > 0) return Status::Error(Fault::kCodeDead, "expired");
    return typed.str() == code ? CheckOutcome::kApproved : CheckOutcome::kWrongCode;
  }
  void Abandon() override { abandoned = true; }
  PendingCode Export(std::time_t) const override { return {}; }
  Status Adopt(const PendingCode&) override { return Status::Error(Fault::kCodeDead, "nothing to adopt"); }
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
  void Log(LogLevel, const std::string& line) override { lines.push_back(line); }
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
  bool opened = false;

  World() {
    assert_true(state.Prepare().ok());
    config.limits.resend_cooldown = 0;
    directory.records["alice"] = PhoneRecord{"alice", "+15550104567", Channel::kSms, "2026-11-23T19:00:00Z", true};
  }
  Verdict Login(const std::string& user = "alice") {
    LoginDeps deps{config, directory,
                   [this]() -> Result<Challenge*> {
                     opened = true;
                     return static_cast<Challenge*>(&challenge);
                   },
                   conversation, log, clock, state,
                   [this](const std::string&) -> Result<std::vector<std::string>> { return groups; }};
    return Authenticate(LoginRequest{user, "sshd", "bastion", "192.0.2.7", "ssh", ""}, deps);
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

void test_unavailable_twilio_follows_failmode(void**) {
  for (FailMode mode : {FailMode::kSecure, FailMode::kSafe}) {
    World w;
    w.config.policy.failmode = mode;
    w.challenge.send_status = Status::Unavailable("connect timed out");
    assert_int_equal(w.Login(), mode == FailMode::kSafe ? Verdict::kIgnore : Verdict::kRefuse);
    assert_int_equal(w.log.Count("Twilio unavailable (send: unavailable: connect timed out)"), 1);
    assert_int_equal(w.log.Count("result="), 1);
  }
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
  Status stop = Status::Error(Fault::kRecipient, "recipient opted out (STOP)");
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

// LDAP with every server down: an outage, like Twilio's, so failmode
// decides; under failmode=secure a backup code still gets the user in.
void test_directory_outage_follows_failmode_and_takes_a_backup_code(void**) {
  const Status down = Status::Unavailable("ldap: no server could answer");
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
  assert_true(rescued.state.Update("alice", [&](UserState& s) {
    s.backup_codes = codes->hashes;
    return Status::Ok();
  }).ok());
  rescued.conversation.answers = {codes->codes[0].str()};
  assert_int_equal(rescued.Login(), Verdict::kAllow);
  assert_true(rescued.challenge.sent.empty());
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
    assert_int_equal(w.Login("mallory"), row.expected);
    assert_false(w.opened);
  }
}

void test_enroll_at_login_saves_the_number_only_after_the_code(void**) {
  World w;
  w.config.policy.unenrolled = Unenrolled::kEnroll;
  w.conversation.answers = {"+1 (555) 010-9999", "000000", "424242"};
  assert_int_equal(w.Login("newbie"), Verdict::kAllow);
  const PhoneRecord& saved = w.directory.records.at("newbie");
  assert_string_equal(saved.number.c_str(), "+15550109999");
  assert_false(saved.verified_at.empty());
  assert_int_equal(w.log.Count("enrolled +1 ••• ••• 9999 at login"), 1);
}

void test_enroll_at_login_wrong_codes_save_nothing(void**) {
  World w;
  w.config.policy.unenrolled = Unenrolled::kEnroll;
  w.conversation.answers = {"+15550109999", "000000", "111111", "222222"};
  assert_int_equal(w.Login("newbie"), Verdict::kDeny);
  assert_int_equal(w.directory.records.count("newbie"), 0);
}

void test_enroll_at_login_refuses_a_malformed_number(void**) {
  World w;
  w.config.policy.unenrolled = Unenrolled::kEnroll;
  w.conversation.answers = {"call me maybe"};
  assert_int_equal(w.Login("newbie"), Verdict::kDeny);
  assert_true(w.challenge.sent.empty());
}

void test_backup_code_never_enrols_a_number(void**) {
  World w;
  w.config.policy.unenrolled = Unenrolled::kEnroll;
  Result<NewBackupCodes> codes = GenerateBackupCodes(1);
  assert_true(w.state.Update("newbie", [&](UserState& s) {
    s.backup_codes = codes->hashes;
    return Status::Ok();
  }).ok());
  const std::string code = codes->codes[0].str();
  w.conversation.answers = {"+15550109999", code, code, code};
  assert_int_equal(w.Login("newbie"), Verdict::kDeny);
  assert_int_equal(w.directory.records.count("newbie"), 0);
}

void test_right_code_after_a_parallel_lockout_is_refused(void**) {
  World w;
  w.conversation.answers = {"424242"};
  w.challenge.on_check = [&w] {  // another login of alice used up the failures meanwhile
    (void)w.state.Update("alice", [](UserState& s) {
      s.locked_until = std::time(nullptr) + 900;
      return Status::Ok();
    });
  };
  assert_int_equal(w.Login(), Verdict::kDeny);
  assert_true(w.conversation.errors.back().find("Too many failed codes") != std::string::npos);
}

void test_break_glass_survives_a_corrupt_state_file(void**) {
  World w;
  w.config.policy.exempt_users = {"alice"};
  w.config.policy.grace_period = 600;  // the grace rule would read the state
  assert_true(w.state.Update("alice", [](UserState&) { return Status::Ok(); }).ok());
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
  w.challenge.check_status = Status::Error(Fault::kCodeDead, "expired");
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

void test_failed_resend_keeps_the_login_going(void**) {
  World w;
  w.conversation.answers = {"resend", "424242"};
  w.challenge.resend_status = Status::Unavailable("HTTP 503");
  assert_int_equal(w.Login(), Verdict::kAllow);
  assert_int_equal(w.challenge.sent.size(), 1);
  assert_true(w.conversation.errors.front().find("last one still works") != std::string::npos);
  assert_int_equal(w.log.Count("resend failed"), 1);
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
      {Fault::kUnavailable, FailMode::kSafe, Verdict::kIgnore},
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
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_right_code_allows),
      cmocka_unit_test(test_surrounding_spaces_in_the_code_are_ignored),
      cmocka_unit_test(test_broken_conversation_sends_nothing),
      cmocka_unit_test(test_unavailable_twilio_follows_failmode),
      cmocka_unit_test(test_unavailable_check_follows_failmode),
      cmocka_unit_test(test_config_fault_refuses_even_under_failsafe),
      cmocka_unit_test(test_blocked_recipient_is_denied_with_advice),
      cmocka_unit_test(test_directory_fault_is_never_read_as_unenrolled),
      cmocka_unit_test(test_directory_outage_follows_failmode_and_takes_a_backup_code),
      cmocka_unit_test(test_unenrolled_policy),
      cmocka_unit_test(test_enroll_at_login_saves_the_number_only_after_the_code),
      cmocka_unit_test(test_enroll_at_login_wrong_codes_save_nothing),
      cmocka_unit_test(test_enroll_at_login_refuses_a_malformed_number),
      cmocka_unit_test(test_backup_code_never_enrols_a_number),
      cmocka_unit_test(test_right_code_after_a_parallel_lockout_is_refused),
      cmocka_unit_test(test_break_glass_survives_a_corrupt_state_file),
      cmocka_unit_test(test_wrong_codes_use_up_attempts_then_abandon),
      cmocka_unit_test(test_dead_code_costs_an_attempt_and_resend_recovers),
      cmocka_unit_test(test_dead_codes_alone_end_in_a_deny),
      cmocka_unit_test(test_resends_are_capped_per_login),
      cmocka_unit_test(test_call_switches_channel_and_sms_switches_back),
      cmocka_unit_test(test_resend_cooldown_is_enforced),
      cmocka_unit_test(test_failed_resend_keeps_the_login_going),
      cmocka_unit_test(test_logs_hold_no_code_and_no_full_number),
      cmocka_unit_test(test_verdict_for_fault_table),
  };
  return cmocka_run_group_tests_name("login", tests, nullptr, nullptr);
}
