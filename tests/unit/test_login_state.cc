// login/login_state: LoginState's transactions against a real StateStore in a
// temp dir, on a fake clock: failures counted before the check and the lockout
// they start, a success lifting only its own lockout, a pending code shared
// instead of sent, refused countries, failed sends that still count, backup
// codes used once. Every test reads its outcome back from the store.
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "login/login_state.h"
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

// LoginState only exports, adopts and cancels pending codes: Send and Check
// belong to the login, which passes the send in as a callback.
class FakeChallenge : public Challenge {
 public:
  bool has_code = false;               // set by a test's send callback
  std::string adopted;                 // the SID Adopt took over
  std::vector<std::string> cancelled;  // the SIDs Cancel ended
  Status Send(const std::string&, Channel, const ChallengeContext&) override { return Status::Ok(); }
  Result<CheckOutcome> Check(const Secret&) override { return CheckOutcome::kWrongCode; }
  void Abandon() override {}
  PendingCode Export(std::time_t at) const override {
    if (!has_code) return {};
    return PendingCode{"VEmine", "", "", "sms", at};
  }
  Status Adopt(const PendingCode& p) override {
    if (p.verification_sid.empty()) return Status::CodeDead("nothing to adopt");
    adopted = p.verification_sid;
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

void test_reserve_attempt_counts_before_the_check_and_locks_on_the_last(void** state) {
  Fixture& f = F(state);
  f.config.limits.max_failures = 3;
  f.config.limits.lockout = 600;
  LoginState login = f.For();
  bool already_locked = true;
  bool locks_now = true;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    assert_true(login.ReserveAttempt(&already_locked, &locks_now).ok());
    assert_false(already_locked);
    assert_false(locks_now);
    assert_int_equal(f.Stored().failures.size(), attempt);  // counted, nothing checked yet
    assert_int_equal(f.Stored().locked_until, 0);
  }
  assert_true(login.ReserveAttempt(&already_locked, &locks_now).ok());
  assert_false(already_locked);
  assert_true(locks_now);  // the max_failures-th
  assert_int_equal(f.Stored().locked_until, kNow + 600);
  assert_true(f.Stored().failures.empty());  // the next lockout needs new failures
  // Locked: nothing more is counted.
  assert_true(login.ReserveAttempt(&already_locked, &locks_now).ok());
  assert_true(already_locked);
  assert_false(locks_now);
  assert_true(f.Stored().failures.empty());
  assert_int_equal(f.Stored().locked_until, kNow + 600);
}

void test_record_success_lifts_only_the_lockout_its_reservation_started(void** state) {
  Fixture& f = F(state);
  f.config.limits.max_failures = 1;
  bool already_locked = false;
  bool locks_now = false;
  // Another login's wrong code locked the user: this login's success leaves it.
  LoginState other = f.For();
  assert_true(other.ReserveAttempt(&already_locked, &locks_now).ok());
  assert_true(locks_now);
  LoginState mine = f.For();
  assert_true(mine.RecordSuccess().ok());
  assert_int_equal(f.Stored().locked_until, kNow + f.config.limits.lockout);
  // The login whose own (right) attempt started it takes it back.
  assert_true(other.RecordSuccess().ok());
  const UserState after = f.Stored();
  assert_int_equal(after.locked_until, 0);
  assert_true(after.failures.empty());
}

void test_send_or_share_shares_a_live_senders_code(void** state) {
  Fixture& f = F(state);
  const ProcessId sender{1111, 5};
  f.processes.others = {sender};
  assert_true(EditState(*f.store, "alice", [&](UserState& s) {
                s.pending = PendingCode{"VEother", "", "", "sms", kNow - 10, sender};
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
  assert_true(after.pending.owner == sender);  // still the sender's
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
  assert_int_equal(after.sends.size(), 1);  // it may have cost: it counts
  assert_int_equal(after.sends[0], kNow);
  assert_true(after.pending.empty());  // nothing to share
  assert_int_equal(f.StoredGlobal().sends.size(), 1);
}

void test_sent_code_is_pending_for_this_login_until_forgotten(void** state) {
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
  assert_true(after.pending.owner == f.processes.self);
  assert_true(login.ForgetPending().ok());
  after = f.Stored();
  assert_true(after.pending.empty());
  assert_int_equal(after.sends.size(), 1);  // the send still counts
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
      cmocka_unit_test_setup_teardown(test_reserve_attempt_counts_before_the_check_and_locks_on_the_last, Setup,
                                      Teardown),
      cmocka_unit_test_setup_teardown(test_record_success_lifts_only_the_lockout_its_reservation_started, Setup,
                                      Teardown),
      cmocka_unit_test_setup_teardown(test_send_or_share_shares_a_live_senders_code, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_send_or_share_refuses_a_country_not_allowed, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_failed_send_still_counts_and_returns_its_status, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_sent_code_is_pending_for_this_login_until_forgotten, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_use_backup_code_consumes_a_code_once, Setup, Teardown),
  };
  return cmocka_run_group_tests_name("login_state", tests, nullptr, nullptr);
}
