// state/fleet_values: the text forms of the fleet state's values, and the
// lockout they add up to, which must match what the local state's
// RecordFailure does, whatever order the values come in.
#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "state/fleet_values.h"
#include "state/send_limits.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

namespace {

constexpr std::time_t kT0 = 1796000000;  // 2026-11-30 00:53:20 UTC

LimitsConfig Limits(int max_failures = 3, int lockout = 600) {
  LimitsConfig limits;
  limits.max_failures = max_failures;
  limits.lockout = lockout;
  return limits;
}

std::string Failure(std::time_t at, const std::string& host = "web1") {
  Result<FleetFailure> f = NewFleetFailure(at, host);
  assert_true(f.ok());
  return f->value;
}

FleetLockout AddUp(const std::vector<std::string>& values, const LimitsConfig& limits, std::time_t now) {
  Result<FleetLockout> lockout = AddUpFailures(values, limits, now);
  assert_true(lockout.ok());
  return lockout.value();
}

void test_generalized_time_round_trips(void**) {
  assert_string_equal(GeneralizedTime(kT0).c_str(), "20261130005320Z");
  assert_true(ParseGeneralizedTime("20261130005320Z") == kT0);
  assert_false(ParseGeneralizedTime("20261330080000Z").has_value());  // month 13
  assert_false(ParseGeneralizedTime("20261130080061Z").has_value());  // second 61
  assert_false(ParseGeneralizedTime("20261130080000").has_value());
  assert_false(ParseGeneralizedTime("2026113008000aZ").has_value());
}

void test_failure_values_are_unique_and_parse_back(void**) {
  const std::string a = Failure(kT0), b = Failure(kT0);
  assert_true(a != b);  // two failures in one second are two values
  Result<FleetFailure> parsed = ParseFleetFailure(a);
  assert_true(parsed.ok());
  assert_true(parsed->at == kT0);
  assert_string_equal(parsed->host.c_str(), "web1");
  assert_int_equal(parsed->nonce.size(), 16);
  assert_string_equal(parsed->value.c_str(), a.c_str());
}

void test_malformed_failure_is_a_state_fault(void**) {
  for (const char* bad : {"", "20261130080000Z", "20261130080000Z 0011223344556677", "x 0011223344556677 web1",
                          "20261130080000Z 00112233445566 web1", "20261130080000Z 0011223344556677 web 1",
                          "20261130080000Z 0011223344556677 web1 extra"}) {
    assert_true(ParseFleetFailure(bad).status().Is(Fault::kState));
    assert_true(AddUpFailures({Failure(kT0), bad}, Limits(), kT0).status().Is(Fault::kState));
  }
  assert_true(NewFleetFailure(kT0, "bad host").status().Is(Fault::kBadInput));
  assert_true(NewFleetFailure(kT0, "").status().Is(Fault::kBadInput));
}

void test_failures_below_the_limit_do_not_lock(void**) {
  const FleetLockout l = AddUp({Failure(kT0), Failure(kT0 + 5)}, Limits(3), kT0 + 10);
  assert_int_equal(l.live.size(), 2);
  assert_true(l.locked_until == 0);
  assert_true(l.stale.empty());
}

void test_the_limit_locks_from_its_last_failure(void**) {
  const FleetLockout l = AddUp({Failure(kT0 + 7), Failure(kT0), Failure(kT0 + 3)}, Limits(3, 600), kT0 + 8);
  assert_true(l.locked_until == kT0 + 7 + 600);
  assert_int_equal(l.live.size(), 3);
  assert_true(l.live[0].at == kT0 && l.live[2].at == kT0 + 7);  // in time order
}

void test_failures_during_a_lockout_belong_to_it(void**) {
  // Hosts racing: 20 failures in one second lock once, not seven times.
  std::vector<std::string> values;
  for (int i = 0; i < 20; ++i) values.push_back(Failure(kT0));
  const FleetLockout l = AddUp(values, Limits(5, 900), kT0 + 1);
  assert_true(l.locked_until == kT0 + 900);
  assert_int_equal(l.live.size(), 20);
  // Once it is over they are all stale, and the user starts afresh.
  const FleetLockout after = AddUp(values, Limits(5, 900), kT0 + 900);
  assert_true(after.locked_until == 0);
  assert_true(after.live.empty());
  assert_int_equal(after.stale.size(), 20);
}

void test_a_run_after_a_lockout_counts_afresh(void**) {
  const std::vector<std::string> values = {Failure(kT0), Failure(kT0 + 1), Failure(kT0 + 700)};
  const FleetLockout l = AddUp(values, Limits(2, 600), kT0 + 701);
  assert_true(l.locked_until == 0);
  assert_int_equal(l.live.size(), 1);
  assert_true(l.live[0].at == kT0 + 700);
  assert_int_equal(l.stale.size(), 2);
}

void test_order_of_values_never_matters(void**) {
  std::vector<std::string> values;
  for (int i = 0; i < 12; ++i) values.push_back(Failure(kT0 + (i % 4) * 200, i % 2 ? "a" : "b"));
  const FleetLockout first = AddUp(values, Limits(3, 300), kT0 + 650);
  std::mt19937 shuffle(7);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(values.begin(), values.end(), shuffle);
    const FleetLockout again = AddUp(values, Limits(3, 300), kT0 + 650);
    assert_true(again.locked_until == first.locked_until);
    assert_int_equal(again.live.size(), first.live.size());
    for (size_t i = 0; i < again.live.size(); ++i) {
      assert_string_equal(again.live[i].value.c_str(), first.live[i].value.c_str());
    }
  }
}

// The same failures through the local state's RecordFailure give the same
// lockout: one rule, two stores.
void test_matches_the_local_count(void**) {
  const LimitsConfig limits = Limits(3, 100);
  const std::vector<std::time_t> times = {kT0, kT0 + 10, kT0 + 20, kT0 + 130, kT0 + 140, kT0 + 150, kT0 + 160};
  UserState local;
  std::vector<std::string> values;
  for (std::time_t t : times) {
    if (local.locked_until > t) continue;  // a locked-out user's codes are never checked
    RecordFailure(local, limits, t);
    values.push_back(Failure(t));
    const FleetLockout fleet = AddUp(values, limits, t);
    assert_true(fleet.locked_until == (local.locked_until > t ? local.locked_until : 0));
    assert_int_equal(fleet.live.size() % 3, local.failures.size());
  }
}

void test_run_position(void**) {
  const std::string a = Failure(kT0), b = Failure(kT0 + 1), c = Failure(kT0 + 2);
  const FleetLockout l = AddUp({c, a, b}, Limits(5), kT0 + 3);
  assert_true(RunPosition(l, a) == 0u);
  assert_true(RunPosition(l, c) == 2u);
  assert_false(RunPosition(l, Failure(kT0)).has_value());
}

void test_backup_code_values_round_trip(void**) {
  const BackupCodeHash hash{std::string(32, 'a'), std::string(64, '0')};
  const std::string value = FormatFleetBackupCode(hash);
  Result<BackupCodeHash> back = ParseFleetBackupCode(value);
  assert_true(back.ok());
  assert_string_equal(back->salt_hex.c_str(), hash.salt_hex.c_str());
  assert_string_equal(back->hash_hex.c_str(), hash.hash_hex.c_str());
  assert_true(ParseFleetBackupCode("scrypt " + std::string(31, 'a') + " " + std::string(64, '0'))
                  .status()
                  .Is(Fault::kState));
  assert_true(ParseFleetBackupCode("bcrypt " + std::string(32, 'a') + " " + std::string(64, '0'))
                  .status()
                  .Is(Fault::kState));
  // A damaged value is never quoted: its hash is as good as the code offline.
  const Status damaged = ParseFleetBackupCode("scrypt " + std::string(32, 'a') + " 0123456789abcdef").status();
  assert_true(damaged.Is(Fault::kState));
  assert_null(strstr(damaged.message().c_str(), "0123456789abcdef"));
  assert_null(strstr(damaged.message().c_str(), "aaaaaaaa"));
}

void test_grace_keys_hide_what_they_key(void**) {
  const std::string key = FleetGraceKey("alice", "sshd|rhost:192.0.2.7");
  assert_int_equal(key.size(), 32);
  assert_true(key.find("sshd") == std::string::npos);
  assert_true(key != FleetGraceKey("bob", "sshd|rhost:192.0.2.7"));
  assert_true(key != FleetGraceKey("alice", "sudo|rhost:192.0.2.7"));
  const auto stamp = ParseFleetGrace(FormatFleetGrace(key, kT0));
  assert_true(stamp.has_value() && stamp->first == key && stamp->second == kT0);
  assert_false(ParseFleetGrace("nothex 20261130080000Z").has_value());
}

void test_user_state_from_values(void**) {
  const std::string grace_key = "sshd|rhost:192.0.2.7";
  const std::string mine = FleetGraceKey("alice", grace_key);
  const std::vector<std::string> grace = {FormatFleetGrace(mine, kT0 - 50), FormatFleetGrace(mine, kT0 - 10),
                                          FormatFleetGrace(FleetGraceKey("alice", "sudo|x"), kT0 - 1),
                                          "garbage"};
  const BackupCodeHash hash{std::string(32, 'b'), std::string(64, 'c')};
  Result<UserState> state = FleetUserState("alice", {Failure(kT0 - 5)}, {FormatFleetBackupCode(hash)}, grace,
                                           Limits(), kT0, grace_key);
  assert_true(state.ok());
  assert_int_equal(state->failures.size(), 1);
  assert_int_equal(state->backup_codes.size(), 1);
  assert_int_equal(state->grace.size(), 1);
  assert_true(state->grace.at(grace_key) == kT0 - 10);  // the newest stamp
  assert_true(FleetUserState("alice", {}, {"scrypt x y"}, {}, Limits(), kT0, std::nullopt)
                  .status()
                  .Is(Fault::kState));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_generalized_time_round_trips),
      cmocka_unit_test(test_failure_values_are_unique_and_parse_back),
      cmocka_unit_test(test_malformed_failure_is_a_state_fault),
      cmocka_unit_test(test_failures_below_the_limit_do_not_lock),
      cmocka_unit_test(test_the_limit_locks_from_its_last_failure),
      cmocka_unit_test(test_failures_during_a_lockout_belong_to_it),
      cmocka_unit_test(test_a_run_after_a_lockout_counts_afresh),
      cmocka_unit_test(test_order_of_values_never_matters),
      cmocka_unit_test(test_matches_the_local_count),
      cmocka_unit_test(test_run_position),
      cmocka_unit_test(test_backup_code_values_round_trip),
      cmocka_unit_test(test_grace_keys_hide_what_they_key),
      cmocka_unit_test(test_user_state_from_values),
  };
  return cmocka_run_group_tests_name("fleet_values", tests, nullptr, nullptr);
}
