// login/fleet_ledger: the fleet's share of a login (state.backend = "ldap")
// against an in-memory FleetStore with the directory's rules (adding a value
// that is there, or deleting one that isn't, fails), on a fake clock: codes
// counted before their check, the lockout they add up to, a crowd over the
// limit counted unchecked, backup codes used once, grace stamps read back.
#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "login/fleet_ledger.h"
#include "state/backup_codes.h"
#include "state/send_limits.h"
#include "state/fleet_values.h"
#include "fake_clock.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

namespace {

constexpr std::time_t kStart = 1'800'000'000;
const std::string kGraceKey = "sshd|rhost:198.51.100.7";

class MemoryFleetStore : public FleetStore {
 public:
  bool down = false;  // every call kUnavailable, as when no server answers
  // Another host consumes the backup code between this one's read and its
  // delete: the delete finds the value gone.
  bool raced = false;
  std::map<std::string, FleetValues> users;

  Result<FleetValues> Read(const std::string& user) override {
    if (down) return Status::Unavailable("directory down");
    return users[user];
  }
  Status Add(const std::string& user, FleetAttribute attribute, const std::string& value) override {
    if (down) return Status::Unavailable("directory down");
    std::vector<std::string>& values = Of(user, attribute);
    if (std::find(values.begin(), values.end(), value) != values.end()) return Status::DirectoryError("exists");
    values.push_back(value);
    return Status::Ok();
  }
  Status Delete(const std::string& user, FleetAttribute attribute, const std::string& value) override {
    if (down) return Status::Unavailable("directory down");
    std::vector<std::string>& values = Of(user, attribute);
    if (raced && attribute == FleetAttribute::kBackupCode) std::erase(values, value);
    auto it = std::find(values.begin(), values.end(), value);
    if (it == values.end()) return Status::NotFound("no such value");
    values.erase(it);
    return Status::Ok();
  }
  Status Replace(const std::string& user, FleetAttribute attribute, const std::vector<std::string>& values) override {
    if (down) return Status::Unavailable("directory down");
    Of(user, attribute) = values;
    return Status::Ok();
  }
  Status PrepareEntry(const std::string&) override { return Status::Ok(); }
  Result<std::vector<std::pair<std::string, FleetValues>>> UsersWith(FleetAttribute) override {
    return std::vector<std::pair<std::string, FleetValues>>{};
  }

  std::vector<std::string>& Of(const std::string& user, FleetAttribute attribute) {
    FleetValues& v = users[user];
    switch (attribute) {
      case FleetAttribute::kFailure: return v.failures;
      case FleetAttribute::kBackupCode: return v.backup_codes;
      case FleetAttribute::kGrace: return v.grace;
    }
    return v.failures;
  }
};

struct Rig {
  Rig() {
    config.state.backend = StateBackend::kLdap;
    config.limits.max_failures = 3;
    config.limits.lockout = 600;
  }
  FleetLedger Ledger() { return FleetLedger(config, &store, clock, "alice", kGraceKey, "web1"); }
  void Later(int seconds) { clock.Advance(std::chrono::seconds(seconds)); }
  size_t Failures() { return store.users["alice"].failures.size(); }

  Config config;
  MemoryFleetStore store;
  FakeClock clock{kStart};
};

// The lockout a login would find (LoginState::CheckNotLocked's check).
Status Lockout(Rig& rig) {
  Result<UserState> state = rig.Ledger().Read();
  assert_true(state.ok());
  return CheckLockout(state.value(), rig.clock.WallNow());
}

// A login that types one wrong code.
void WrongCode(Rig& rig, bool* locked_before = nullptr, bool* locks_now = nullptr) {
  FleetLedger ledger = rig.Ledger();
  bool already = false, locks = false;
  assert_true(ledger.ReserveAttempt(&already).ok());
  if (!already) ledger.RecordWrongCode(&locks);
  if (locked_before) *locked_before = already;
  if (locks_now) *locks_now = locks;
}

void test_a_code_is_counted_before_its_check_and_a_wrong_one_stays(void**) {
  Rig rig;
  FleetLedger ledger = rig.Ledger();
  bool already = false;
  assert_true(ledger.ReserveAttempt(&already).ok());
  assert_false(already);
  assert_int_equal(rig.Failures(), 1);  // counted before anything is checked
  bool locks = true;
  ledger.RecordWrongCode(&locks);
  assert_false(locks);
  assert_int_equal(rig.Failures(), 1);
}

void test_the_limit_locks_everywhere_and_later_codes_are_counted_unchecked(void**) {
  Rig rig;
  bool before = false, locks = false;
  WrongCode(rig);
  WrongCode(rig);
  WrongCode(rig, &before, &locks);
  assert_false(before);
  assert_true(locks);  // the third of max_failures = 3
  assert_true(Lockout(rig).Is(Fault::kRejected));
  // A fourth code finds the run full: not checked, but counted.
  WrongCode(rig, &before, &locks);
  assert_true(before);
  assert_int_equal(rig.Failures(), 4);
  // The lockout ends on time, counted from the third failure.
  rig.Later(600);
  assert_true(Lockout(rig).ok());
}

void test_a_right_code_takes_its_value_back_and_forgives_earlier_failures(void**) {
  Rig rig;
  WrongCode(rig);
  rig.Later(5);
  FleetLedger ledger = rig.Ledger();
  bool already = false;
  assert_true(ledger.ReserveAttempt(&already).ok());
  assert_int_equal(rig.Failures(), 2);
  assert_true(ledger.RecordSuccess(kStart + 5, /*grace_in_use=*/false).ok());
  assert_int_equal(rig.Failures(), 0);
}

void test_a_code_never_checked_is_taken_back(void**) {
  Rig rig;
  FleetLedger ledger = rig.Ledger();
  bool already = false;
  assert_true(ledger.ReserveAttempt(&already).ok());
  assert_true(ledger.TakeBackAttempt().ok());
  assert_int_equal(rig.Failures(), 0);
}

void test_a_directory_that_cant_count_refuses(void**) {
  Rig rig;
  rig.store.down = true;
  FleetLedger ledger = rig.Ledger();
  bool already = false;
  assert_true(ledger.ReserveAttempt(&already).Is(Fault::kUnavailable));
  FleetLedger unloaded(rig.config, nullptr, rig.clock, "alice", std::nullopt, "web1");
  assert_true(unloaded.ReserveAttempt(&already).Is(Fault::kUnavailable));
}

void test_a_backup_code_works_once_even_when_two_hosts_race(void**) {
  Rig rig;
  Result<NewBackupCodes> codes = GenerateBackupCodes(2);
  assert_true(codes.ok());
  for (const BackupCodeHash& hash : codes->hashes) {
    rig.store.users["alice"].backup_codes.push_back(FormatFleetBackupCode(hash));
  }
  FleetLedger host_a = rig.Ledger();
  Result<bool> used = host_a.UseBackupCode(codes->codes[0]);
  assert_true(used.ok() && used.value());
  assert_int_equal(rig.store.users["alice"].backup_codes.size(), 1);
  used = rig.Ledger().UseBackupCode(codes->codes[0]);
  assert_true(used.ok() && !used.value());
  // Host B read the second code just before host A consumed it: B's delete
  // of exactly that value fails, and B refuses the code.
  rig.store.raced = true;
  FleetLedger racing = rig.Ledger();
  used = racing.UseBackupCode(codes->codes[1]);
  assert_true(used.ok() && !used.value());
}

void test_a_success_stamps_grace_that_the_next_login_reads(void**) {
  Rig rig;
  FleetLedger first = rig.Ledger();
  assert_true(first.RecordSuccess(kStart, /*grace_in_use=*/true).ok());
  assert_int_equal(rig.store.users["alice"].grace.size(), 1);
  rig.Later(10);
  Result<UserState> read = rig.Ledger().Read();
  assert_true(read.ok());
  assert_int_equal(read->grace.count(kGraceKey), 1);
  assert_true(read->grace.at(kGraceKey) == kStart);
  // A second success replaces the stamp rather than piling them up, and
  // one in the same second (a parallel login) finds its stamp there.
  assert_true(rig.Ledger().RecordSuccess(kStart + 10, true).ok());
  assert_int_equal(rig.store.users["alice"].grace.size(), 1);
  assert_true(rig.Ledger().RecordSuccess(kStart + 10, true).ok());
  assert_int_equal(rig.store.users["alice"].grace.size(), 1);
  // Another user's key doesn't match.
  FleetLedger bob(rig.config, &rig.store, rig.clock, "bob", kGraceKey, "web1");
  rig.store.users["bob"].grace = rig.store.users["alice"].grace;
  assert_int_equal(bob.Read()->grace.size(), 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_code_is_counted_before_its_check_and_a_wrong_one_stays),
      cmocka_unit_test(test_the_limit_locks_everywhere_and_later_codes_are_counted_unchecked),
      cmocka_unit_test(test_a_right_code_takes_its_value_back_and_forgives_earlier_failures),
      cmocka_unit_test(test_a_code_never_checked_is_taken_back),
      cmocka_unit_test(test_a_directory_that_cant_count_refuses),
      cmocka_unit_test(test_a_backup_code_works_once_even_when_two_hosts_race),
      cmocka_unit_test(test_a_success_stamps_grace_that_the_next_login_reads),
  };
  return cmocka_run_group_tests_name("fleet_ledger", tests, nullptr, nullptr);
}
