// login/login_state: LoginState's transactions against a real StateStore in a
// temp dir, on a fake clock: codes counted before the check (attempts in
// flight) and the failures and lockouts they turn into, a pending code
// shared instead of sent and left to the other holders, an approved shared
// code letting the others in, refused countries, failed sends that still
// count, backup codes used once. Every test reads its outcome back from the
// store.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "login/login_state.h"
#include "base/atomic_file.h"
#include "state/backup_codes.h"
#include "fake_clock.h"
#include "state_edit.h"
#include "temp_files.h"
#include "table_processes.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;
using twotp_test::TableProcesses;

namespace {

constexpr std::time_t kNow = 1'800'000'000;

// Verify mode's shape: the pending code is a SID. The login passes the
// send in as a callback; Check answers as Twilio would (on_check first).
class FakeChallenge : public Challenge {
 public:
  bool has_code = false;               // set by a test's send callback or Adopt
  std::string sid = "VEmine";
  std::string code = "424242";
  int checks = 0;
  bool gone_at_twilio = false;         // Check answers 404 (approved elsewhere)
  std::function<void()> on_check;
  bool abandoned = false;
  bool forgotten = false;
  std::string adopted;                 // the SID Adopt took over
  std::vector<std::string> cancelled;  // the SIDs Cancel ended
  Status Send(const std::string&, Channel, const ChallengeContext&) override { return Status::Ok(); }
  Result<CheckOutcome> Check(const Secret& typed) override {
    ++checks;
    if (on_check) on_check();
    if (gone_at_twilio) {
      has_code = false;
      return Status::CodeDead("verification not found");
    }
    return typed.str() == code ? CheckOutcome::kApproved : CheckOutcome::kWrongCode;
  }
  void Abandon() override {
    abandoned = has_code;
    has_code = false;
  }
  void Forget() override {
    forgotten = true;
    has_code = false;
  }
  PendingCode Export(std::time_t at) const override {
    if (!has_code) return {};
    return PendingCode{sid, "", "", "sms", at, {}};
  }
  Status Adopt(const PendingCode& p) override {
    if (p.verification_sid.empty()) return Status::CodeDead("nothing to adopt");
    adopted = sid = p.verification_sid;
    has_code = true;
    return Status::Ok();
  }
  void Cancel(const PendingCode& p) override { cancelled.push_back(p.verification_sid); }
};

struct Fixture {
  twotp_test::TempDir tmp;
  FileTrust trust{getuid()};
  std::unique_ptr<StateStore> store;
  Config config;
  FakeClock clock{kNow};
  TableProcesses processes;
  FakeChallenge challenge;

  LoginState For(const std::string& user = "alice") {
    return LoginState(config, *store, clock, processes, user, std::nullopt);
  }
  UserState Stored(const std::string& user = "alice") {
    Result<UserState> state = store->Read(user);
    if (!state.ok()) fail_msg("%s", state.status().ToString().c_str());
    return state.value();
  }
  GlobalState StoredGlobal() {
    Result<GlobalState> global = store->ReadGlobal();
    if (!global.ok()) fail_msg("%s", global.status().ToString().c_str());
    return global.value();
  }
};

int Setup(void** state) {
  auto* f = new Fixture;
  *state = f;
  if (!f->tmp.Create("test_login_state")) return -1;
  f->store = std::make_unique<StateStore>(f->tmp.File("state"), f->trust);
  f->config.limits.resend_cooldown = 0;
  return f->store->Prepare().ok() ? 0 : -1;
}

int Teardown(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  f->tmp.Remove();
  delete f;
  return 0;
}

Fixture& F(void** state) { return *static_cast<Fixture*>(*state); }

// A code is counted before it is checked (an attempt in flight), and
// becomes a failure when it turns out wrong; the max_failures-th locks.
void test_an_attempt_is_counted_before_the_check_and_a_wrong_code_becomes_a_failure(void** state) {
  Fixture& f = F(state);
  f.config.limits.max_failures = 3;
  f.config.limits.lockout = 600;
  LoginState login = f.For();
  bool already_locked = true;
  bool locks_now = true;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    assert_true(login.ReserveAttempt(&already_locked).ok());
    assert_false(already_locked);
    assert_int_equal(f.Stored().attempts.size(), 1);  // counted, nothing checked yet
    assert_int_equal(f.Stored().failures.size(), attempt - 1);
    assert_true(login.RecordWrongCode(&locks_now).ok());
    assert_true(f.Stored().attempts.empty());
    assert_int_equal(locks_now, attempt == 3);  // the max_failures-th
  }
  assert_int_equal(f.Stored().locked_until, kNow + 600);
  assert_true(f.Stored().failures.empty());  // the next lockout needs new failures
  // Locked: nothing more is counted.
  assert_true(login.ReserveAttempt(&already_locked).ok());
  assert_true(already_locked);
  assert_true(f.Stored().attempts.empty());
}

// At most max_failures codes (failures included) are checked at once: a
// login finding the slots taken waits for one to end (on the fake clock),
// and gives up after twilio.total_timeout without counting anything. Right codes
// in flight never lock anybody out.
void test_attempts_in_flight_take_slots_until_they_end(void** state) {
  Fixture& f = F(state);
  f.config.limits.max_failures = 2;
  f.config.twilio.total_timeout = 3;
  bool already_locked = false;
  LoginState first = f.For();
  LoginState second = f.For();
  LoginState third = f.For();
  assert_true(first.ReserveAttempt(&already_locked).ok());
  assert_true(second.ReserveAttempt(&already_locked).ok());
  const Status busy = third.ReserveAttempt(&already_locked);
  assert_true(busy.Is(Fault::kRejected));
  assert_true(busy.user_message().has_value());
  assert_false(already_locked);
  // It waited twilio.total_timeout, looking again at growing intervals.
  std::chrono::milliseconds waited{0};
  for (const auto& sleep : f.clock.sleeps()) {
    assert_true(sleep <= std::chrono::milliseconds(160));
    waited += sleep;
  }
  assert_true(waited >= std::chrono::seconds(3) && waited < std::chrono::milliseconds(3160));
  assert_int_equal(f.Stored().attempts.size(), 2);
  assert_int_equal(f.Stored().locked_until, 0);
  assert_true(first.RecordSuccess().ok());  // takes back its own attempt only
  assert_true(f.Stored().attempts == (std::vector<AttemptInFlight>{AttemptInFlight{f.processes.self, kNow}}));
  assert_true(third.ReserveAttempt(&already_locked).ok());
  assert_int_equal(f.Stored().attempts.size(), 2);
}

// A login killed mid-check (or that ended without a verdict) leaves its
// attempt: it counts as a failure, whoever comes next.
void test_an_attempt_whose_login_is_gone_is_a_failure(void** state) {
  Fixture& f = F(state);
  assert_true(EditState(*f.store, "alice", [&](UserState& s) {
                s.attempts = {AttemptInFlight{ProcessId{6000, 900}, kNow - 3}};
              }).ok());
  bool already_locked = false;
  LoginState next = f.For();
  assert_true(next.ReserveAttempt(&already_locked).ok());
  assert_int_equal(f.Stored().failures.size(), 1);
  assert_int_equal(f.Stored().attempts.size(), 1);  // next's own
  {
    LoginState ended = f.For();
    assert_true(ended.ReserveAttempt(&already_locked).ok());
  }
  assert_int_equal(f.Stored().failures.size(), 2);
  assert_int_equal(f.Stored().attempts.size(), 1);
}

void test_send_or_share_shares_a_live_senders_code(void** state) {
  Fixture& f = F(state);
  const ProcessId sender{1111, 5};
  f.processes.others = {sender};
  assert_true(EditState(*f.store, "alice", [&](UserState& s) {
                s.pending = PendingCode{"VEother", "", "", "sms", kNow - 10, {sender}};
              }).ok());
  LoginState login = f.For();
  bool sent = false;
  SendReport report;
  Status s = login.SendOrShare(f.challenge, "+15550104567", /*fresh=*/false,
                               [&] {
                                 sent = true;
                                 return Status::Ok();
                               },
                               &report);
  assert_true(s.ok());
  assert_false(sent);
  assert_true(report.shared);
  assert_false(report.sender_ended);
  assert_int_equal(report.age, 10);
  assert_string_equal(f.challenge.adopted.c_str(), "VEother");
  const UserState after = f.Stored();
  assert_true(after.sends.empty());  // sharing is not a send
  assert_string_equal(after.pending.verification_sid.c_str(), "VEother");
  // The sender's, and this login's too now.
  assert_true(after.pending.holders == (std::vector<ProcessId>{sender, f.processes.self}));
  assert_true(f.StoredGlobal().sends.empty());
}

void test_send_or_share_refuses_a_country_not_allowed(void** state) {
  Fixture& f = F(state);
  f.config.limits.allowed_countries = {"1"};
  LoginState login = f.For();
  bool sent = false;
  SendReport report;
  Status s = login.SendOrShare(f.challenge, "+447700900123", /*fresh=*/false,
                               [&] {
                                 sent = true;
                                 return Status::Ok();
                               },
                               &report);
  assert_true(s.Is(Fault::kRejected));
  assert_false(sent);
  assert_false(report.shared);
  const UserState after = f.Stored();
  assert_true(after.sends.empty());
  assert_true(after.pending.empty());
  assert_true(f.StoredGlobal().sends.empty());
}

// A timeout (the request may have left) still counts: it may have cost.
void test_failed_send_still_counts_and_returns_its_status(void** state) {
  Fixture& f = F(state);
  LoginState login = f.For();
  int sends = 0;
  SendReport report;
  Status s = login.SendOrShare(f.challenge, "+15550104567", /*fresh=*/false,
                               [&] {
                                 ++sends;
                                 return Status::Unavailable("twilio is down");
                               },
                               &report);
  assert_true(s.Is(Fault::kUnavailable));
  assert_string_equal(s.message().c_str(), "twilio is down");
  assert_int_equal(sends, 1);
  const UserState after = f.Stored();
  assert_int_equal(after.sends.size(), 1);  // a timeout may have cost: it counts
  assert_int_equal(after.sends[0], kNow);
  assert_true(after.pending.empty());  // nothing to share
  assert_int_equal(f.StoredGlobal().sends.size(), 1);
}

// A send Twilio refused (a 4xx, or its own 5xx) or never got (refused
// before a byte was written) costs nothing: no window, no cooldown, no
// host-wide count.
void test_a_send_that_never_left_or_was_refused_costs_nothing(void** state) {
  Fixture& f = F(state);
  Status refused_by_twilio = Status::Unavailable("HTTP 503");
  refused_by_twilio.Witnessed();
  for (const Status& failure : {Status::Rejected("HTTP 400, Twilio 21211"), Status::ConfigError("HTTP 401, Twilio 20003"),
                                refused_by_twilio}) {
    LoginState login = f.For();
    SendReport report;
    Status s = login.SendOrShare(f.challenge, "+15550104567", /*fresh=*/false, [&] { return failure; }, &report);
    assert_int_equal(s.fault(), failure.fault());
    assert_true(f.Stored().sends.empty());
    assert_true(f.StoredGlobal().sends.empty());
  }
}

void test_sent_code_is_pending_for_this_login_until_released(void** state) {
  Fixture& f = F(state);
  LoginState login = f.For();
  SendReport report;
  Status s = login.SendOrShare(f.challenge, "+15550104567", /*fresh=*/false,
                               [&] {
                                 f.challenge.has_code = true;
                                 return Status::Ok();
                               },
                               &report);
  assert_true(s.ok());
  assert_false(report.shared);
  UserState after = f.Stored();
  assert_int_equal(after.sends.size(), 1);
  assert_string_equal(after.pending.verification_sid.c_str(), "VEmine");
  assert_int_equal(after.pending.sent_at, kNow);
  assert_true(after.pending.holders == std::vector<ProcessId>{f.processes.self});
  assert_true(login.Release(f.challenge).ok());
  after = f.Stored();
  assert_true(after.pending.empty());
  assert_true(f.challenge.abandoned);  // the last holder ends it at Twilio
  assert_int_equal(after.sends.size(), 1);  // the send still counts
}

// Parallel logins share one code: one that gives up leaves it to the others
// (no cancel at Twilio), and the dead holders go with it.
void test_a_login_that_gives_up_leaves_the_code_to_the_others(void** state) {
  Fixture& f = F(state);
  const ProcessId sibling{1111, 5};
  f.processes.others = {sibling};
  assert_true(EditState(*f.store, "alice", [&](UserState& s) {
                s.pending = PendingCode{"VEshared", "", "", "sms", kNow - 10, {sibling, ProcessId{2222, 7}}};
              }).ok());
  LoginState login = f.For();
  SendReport report;
  assert_true(login.SendOrShare(f.challenge, "+15550104567", false, [] { return Status::Ok(); }, &report).ok());
  assert_true(report.shared);
  assert_true(login.Release(f.challenge).ok());
  assert_false(f.challenge.abandoned);
  assert_true(f.challenge.forgotten);
  const UserState after = f.Stored();
  assert_string_equal(after.pending.verification_sid.c_str(), "VEshared");
  assert_true(after.pending.holders == std::vector<ProcessId>{sibling});
}

// No state lock is held across a network call: while the code is being
// sent, and while Twilio checks it, another login can take the user's
// state lock at once (its failure counts, its success, the CLI).
void test_no_state_lock_is_held_across_a_network_call(void** state) {
  Fixture& f = F(state);
  auto state_lock_is_free = [&f] {
    Result<std::optional<FileLock>> lock = FileLock::TryAcquire(f.store->UserPath("alice"), LockKind::kExclusive);
    return lock.ok() && lock->has_value();
  };
  LoginState login = f.For();
  SendReport report;
  bool free_during_send = false;
  assert_true(login.SendOrShare(f.challenge, "+15550104567", false,
                                [&] {
                                  free_during_send = state_lock_is_free();
                                  f.challenge.has_code = true;
                                  return Status::Ok();
                                },
                                &report)
                  .ok());
  assert_true(free_during_send);
  bool free_during_check = false;
  f.challenge.on_check = [&] { free_during_check = state_lock_is_free(); };
  Result<CheckOutcome> checked = login.Check(f.challenge, Secret("424242"));
  assert_true(checked.ok());
  assert_true(free_during_check);
}

// Shares "VEshared" (held by a live sibling too) into a fresh challenge.
void ShareWithSibling(Fixture& f, LoginState& login, FakeChallenge& challenge) {
  const ProcessId sibling{1111, 5};
  f.processes.others = {sibling};
  assert_true(EditState(*f.store, "alice", [&](UserState& s) {
                if (s.pending.empty()) s.pending = PendingCode{"VEshared", "", "", "sms", kNow - 10, {sibling}};
              }).ok());
  SendReport report;
  assert_true(login.SendOrShare(challenge, "+15550104567", false, [] { return Status::Ok(); }, &report).ok());
  assert_true(report.shared);
}

// Two logins of alice holding "VEshared" (with a live sibling process).
struct TwoHolders {
  explicit TwoHolders(Fixture& f) : first(f.For()), second(f.For()) {
    ShareWithSibling(f, first, first_code);
    ShareWithSibling(f, second, second_code);
  }
  LoginState first;
  FakeChallenge first_code;
  LoginState second;
  FakeChallenge second_code;
};

// Verify mode: the login whose check Twilio approved leaves the approval
// (an HMAC of the code, never the code) for the holders still waiting; each
// of them is let in with the same code without asking Twilio (which would
// say 404), and a wrong one is still wrong.
void test_an_approved_shared_code_lets_every_holder_in(void** state) {
  Fixture& f = F(state);
  TwoHolders logins(f);
  auto& [first, first_code, second, second_code] = logins;

  Result<CheckOutcome> approved = first.Check(first_code, Secret("424242"));
  assert_true(approved.ok() && approved.value() == CheckOutcome::kApproved);
  assert_true(first.RecordSuccess().ok());
  UserState after = f.Stored();
  assert_true(after.pending.empty());  // used: a new login gets a fresh code
  assert_string_equal(after.approved.code_id.c_str(), "VEshared");
  assert_int_equal(after.approved.expires_at, kNow - 10 + f.config.policy.code_ttl);
  assert_true(SerializeUserState(after).find("424242") == std::string::npos);

  Result<CheckOutcome> wrong = second.Check(second_code, Secret("111111"));
  assert_true(wrong.ok() && wrong.value() == CheckOutcome::kWrongCode);
  Result<CheckOutcome> right = second.Check(second_code, Secret("424242"));
  assert_true(right.ok() && right.value() == CheckOutcome::kApproved);
  assert_int_equal(second_code.checks, 0);  // Twilio was never asked

  // Past the code's TTL the approval lets nobody in.
  LoginState late = f.For();
  FakeChallenge late_code;
  late_code.Adopt(PendingCode{"VEshared", "", "", "sms", kNow - 10, {}}).ok();
  f.clock.Advance(std::chrono::seconds(f.config.policy.code_ttl));
  late_code.gone_at_twilio = true;
  Result<CheckOutcome> expired = late.Check(late_code, Secret("424242"));
  assert_true(expired.status().Is(Fault::kCodeDead));
}

// Two holders type the code at once: Twilio approves one check and answers
// the other 404. That one waits for the checks in flight and finds the
// approval they wrote: a success, not a failure.
void test_a_404_for_a_verification_a_parallel_check_approved_is_a_success(void** state) {
  Fixture& f = F(state);
  TwoHolders logins(f);
  auto& [first, first_code, second, second_code] = logins;
  second_code.gone_at_twilio = true;
  second_code.on_check = [&] {
    Result<CheckOutcome> approved = first.Check(first_code, Secret("424242"));
    assert_true(approved.ok() && approved.value() == CheckOutcome::kApproved);
  };
  Result<CheckOutcome> checked = second.Check(second_code, Secret("424242"));
  assert_true(checked.ok());
  assert_int_equal(checked.value(), CheckOutcome::kApproved);

  // Without an approval, a 404 stays a dead code (no failure: TakeBackAttempt).
  LoginState third = f.For();
  FakeChallenge third_code;
  third_code.Adopt(PendingCode{"VEother", "", "", "sms", kNow - 10, {}}).ok();
  third_code.gone_at_twilio = true;
  assert_true(third.Check(third_code, Secret("424242")).status().Is(Fault::kCodeDead));
}

// A code never tested (kCodeDead) is no failure: its attempt is taken back.
void test_take_back_attempt_uncounts_the_attempt(void** state) {
  Fixture& f = F(state);
  LoginState login = f.For();
  bool already_locked = false;
  assert_true(login.ReserveAttempt(&already_locked).ok());
  assert_int_equal(f.Stored().attempts.size(), 1);
  assert_true(login.TakeBackAttempt().ok());
  const UserState after = f.Stored();
  assert_true(after.attempts.empty());
  assert_true(after.failures.empty());
}

// A success forgives the failures made before its login began, not those
// of a login running beside it: a wrong code typed in a parallel terminal
// is counted whichever login finishes first.
void test_a_success_keeps_a_parallel_logins_failure(void** state) {
  Fixture& f = F(state);
  assert_true(EditState(*f.store, "alice", [&](UserState& s) { s.failures = {kNow - 100}; }).ok());
  LoginState mine = f.For();
  LoginState parallel = f.For();
  f.clock.Advance(std::chrono::seconds(5));
  bool already_locked = false;
  bool locks_now = false;
  assert_true(parallel.ReserveAttempt(&already_locked).ok());  // a wrong code, it turns out
  assert_true(mine.ReserveAttempt(&already_locked).ok());      // the right one
  assert_true(parallel.RecordWrongCode(&locks_now).ok());
  assert_true(mine.RecordSuccess().ok());
  assert_true(f.Stored().failures == std::vector<std::time_t>{kNow + 5});
}

void test_use_backup_code_consumes_a_code_once(void** state) {
  Fixture& f = F(state);
  Result<NewBackupCodes> codes = GenerateBackupCodes(2);
  assert_true(codes.ok());
  assert_true(EditState(*f.store, "alice", [&](UserState& s) {
                s.backup_codes = codes->hashes;
                s.failures = {kNow - 5};
              }).ok());
  LoginState login = f.For();
  Result<bool> first = login.UseBackupCode(codes->codes[0]);
  assert_true(first.ok());
  assert_true(first.value());
  UserState after = f.Stored();
  assert_int_equal(after.backup_codes.size(), 1);
  assert_true(after.failures.empty());  // a success
  Result<bool> again = login.UseBackupCode(codes->codes[0]);
  assert_true(again.ok());
  assert_false(again.value());
  assert_int_equal(f.Stored().backup_codes.size(), 1);
  Result<bool> second = login.UseBackupCode(codes->codes[1]);
  assert_true(second.ok());
  assert_true(second.value());
  assert_true(f.Stored().backup_codes.empty());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_an_attempt_is_counted_before_the_check_and_a_wrong_code_becomes_a_failure, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_attempts_in_flight_take_slots_until_they_end, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_an_attempt_whose_login_is_gone_is_a_failure, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_send_or_share_shares_a_live_senders_code, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_send_or_share_refuses_a_country_not_allowed, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_failed_send_still_counts_and_returns_its_status, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_a_send_that_never_left_or_was_refused_costs_nothing, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_sent_code_is_pending_for_this_login_until_released, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_a_login_that_gives_up_leaves_the_code_to_the_others, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_no_state_lock_is_held_across_a_network_call, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_an_approved_shared_code_lets_every_holder_in, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_a_404_for_a_verification_a_parallel_check_approved_is_a_success, Setup,
                                      Teardown),
      cmocka_unit_test_setup_teardown(test_take_back_attempt_uncounts_the_attempt, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_a_success_keeps_a_parallel_logins_failure, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_use_backup_code_consumes_a_code_once, Setup, Teardown),
  };
  return cmocka_run_group_tests_name("login_state", tests, nullptr, nullptr);
}
