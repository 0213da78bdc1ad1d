// login/skip_rules: when the module has no say: exemptions, groups, trusted
// networks, grace, and the per-service overrides, decided on a table of groups.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/cidr.h"
#include "base/unix_groups.h"
#include "login/grace.h"
#include "login/skip_rules.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

namespace {

constexpr std::time_t kNow = 1'800'000'000;

Result<std::vector<std::string>> TableGroups(const std::string& user) {
  static const std::map<std::string, std::vector<std::string>> table = {
      {"alice", {"alice", "admins"}}, {"bot", {"bot", "robots"}}, {"carol", {"carol"}}, {"oncall", {"oncall", "sre"}}};
  auto it = table.find(user);
  if (it == table.end()) return Status::DirectoryError("no such user");
  return it->second;
}

// pts/3 in the session led by pid 4100, started at tick 52000 after boot.
const SessionIdentity kSession{34819, 4100, 52000};

SkipRequest Ssh(const std::string& user, const std::string& rhost = "198.51.100.7") {
  return {user, "sshd", rhost, std::nullopt};  // sshd asks before any pty exists
}

SkipRequest Sudo(const std::string& user, std::optional<SessionIdentity> session = kSession) {
  return {user, "sudo", "", session};
}

// `state` stands for the user's state file; reads counts the loads, so a test
// can prove the state is read only for the grace period.
int reads = 0;

Result<SkipDecision> Decide(const SkipRequest& r, const PolicyConfig& p, const UserState* state = nullptr) {
  return DecideSkip(r, p, TableGroups,
                    [state]() -> Result<UserState> {
                      ++reads;
                      if (state == nullptr) return UserState{};
                      return *state;
                    },
                    kNow);
}

void test_nothing_is_skipped_by_default(void**) {
  PolicyConfig p;
  Result<SkipDecision> d = Decide(Ssh("carol"), p);
  assert_true(d.ok());
  assert_false(d->skip);
}

void test_exempt_user_is_break_glass(void**) {
  PolicyConfig p;
  p.exempt_users = {"oncall"};
  Result<SkipDecision> d = Decide(Ssh("oncall"), p);
  assert_true(d->skip && d->break_glass);
  assert_false(Decide(Ssh("carol"), p)->skip);
}

void test_exempt_group_is_break_glass(void**) {
  PolicyConfig p;
  p.exempt_groups = {"sre"};
  assert_true(Decide(Ssh("oncall"), p)->break_glass);
}

void test_only_members_of_groups_are_asked(void**) {
  PolicyConfig p;
  p.groups = {"admins"};
  assert_false(Decide(Ssh("alice"), p)->skip);
  Result<SkipDecision> carol = Decide(Ssh("carol"), p);
  assert_true(carol->skip);
  assert_false(carol->break_glass);
}

void test_skip_groups_are_not_asked(void**) {
  PolicyConfig p;
  p.skip_groups = {"robots"};
  assert_true(Decide(Ssh("bot"), p)->skip);
  assert_false(Decide(Ssh("alice"), p)->skip);
}

void test_unknown_user_with_group_rules_is_a_fault_not_a_skip(void**) {
  PolicyConfig p;
  p.groups = {"admins"};
  Result<SkipDecision> d = Decide(Ssh("mallory"), p);
  assert_false(d.ok());
  assert_true(d.status().Is(Fault::kDirectory));
}

void test_trusted_network_and_its_service_override(void**) {
  PolicyConfig p;
  p.trusted_networks = {Cidr::Parse("198.51.100.0/24").value()};
  p.services.push_back(ServiceOverride{"sudo", -1, true, {}});
  assert_true(Decide(Ssh("carol"), p)->skip);
  assert_false(Decide(Ssh("carol", "203.0.113.9"), p)->skip);
  assert_false(Decide(Ssh("carol", ""), p)->skip);  // a local login has no RHOST
  assert_false(Decide({"carol", "sudo", "198.51.100.7", kSession}, p)->skip);  // sudo always asks
}

void test_grace_is_keyed_by_service_and_origin(void**) {
  PolicyConfig p;
  p.grace_period = 600;
  UserState state;
  state.grace[*GraceKey("sshd", "198.51.100.7", std::nullopt)] = kNow - 100;
  assert_true(Decide(Ssh("carol"), p, &state)->skip);
  assert_false(Decide(Ssh("carol", "203.0.113.9"), p, &state)->skip);          // another host
  assert_false(Decide({"carol", "sudo", "198.51.100.7", kSession}, p, &state)->skip);  // another service
  state.grace[*GraceKey("sshd", "198.51.100.7", std::nullopt)] = kNow - 700;   // expired
  assert_false(Decide(Ssh("carol"), p, &state)->skip);
}

// A terminal's name is not a session: after the user's session on
// /dev/pts/3 closed, a process of theirs that got /dev/pts/3 again is in
// another session (or one whose leader started at another time).
void test_grace_is_bound_to_the_terminal_session(void**) {
  PolicyConfig p;
  p.grace_period = 600;
  UserState state;
  state.grace[*GraceKey("sudo", "", kSession)] = kNow - 100;
  assert_true(Decide(Sudo("carol"), p, &state)->skip);
  assert_false(Decide(Sudo("carol", SessionIdentity{34819, 4177, 52000}), p, &state)->skip);  // another session
  assert_false(Decide(Sudo("carol", SessionIdentity{34819, 4100, 61000}), p, &state)->skip);  // sid reused
  assert_false(Decide(Sudo("carol", SessionIdentity{34820, 4100, 52000}), p, &state)->skip);  // another terminal
}

// Without a terminal (and without a remote host) there is nothing to bind a
// grace to: none is honoured, not even one stored under the bare keys every
// terminal-less caller shared before ("sudo|tty:"), and the state isn't read.
// Entries older builds keyed by a terminal's name never match either.
void test_no_terminal_and_old_terminal_name_entries_get_no_grace(void**) {
  PolicyConfig p;
  p.grace_period = 600;
  UserState state;
  for (const char* key : {"sudo|tty:", "sudo|session:", "sudo", "sudo|tty:/dev/pts/3", "sudo|tty:pts/3"}) {
    state.grace[key] = kNow - 10;
  }
  reads = 0;
  assert_false(Decide(Sudo("carol", std::nullopt), p, &state)->skip);
  assert_int_equal(reads, 0);
  assert_false(Decide(Sudo("carol"), p, &state)->skip);  // on /dev/pts/3, in a session
}

void test_service_override_turns_grace_off(void**) {
  PolicyConfig p;
  p.grace_period = 600;
  p.services.push_back(ServiceOverride{"sshd", 0, false, {}});
  UserState state;
  state.grace[*GraceKey("sshd", "198.51.100.7", std::nullopt)] = kNow - 10;
  reads = 0;
  assert_false(Decide(Ssh("carol"), p, &state)->skip);
  assert_int_equal(reads, 0);  // grace off for sshd: the state is not read
  assert_false(Decide({"carol", "login", "", kSession}, p, &state)->skip);
  assert_int_equal(reads, 1);  // grace on for login: read once
}

void test_corrupt_state_is_a_fault_only_when_grace_needs_it(void**) {
  PolicyConfig p;
  p.grace_period = 600;
  p.exempt_users = {"oncall"};
  const StateLoader corrupt = []() -> Result<UserState> { return Status::StateError("corrupt"); };
  Result<SkipDecision> exempt = DecideSkip(Ssh("oncall"), p, TableGroups, corrupt, kNow);
  assert_true(exempt.ok() && exempt->break_glass);
  Result<SkipDecision> other = DecideSkip(Ssh("carol"), p, TableGroups, corrupt, kNow);
  assert_true(other.status().Is(Fault::kState));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nothing_is_skipped_by_default),
      cmocka_unit_test(test_exempt_user_is_break_glass),
      cmocka_unit_test(test_exempt_group_is_break_glass),
      cmocka_unit_test(test_only_members_of_groups_are_asked),
      cmocka_unit_test(test_skip_groups_are_not_asked),
      cmocka_unit_test(test_unknown_user_with_group_rules_is_a_fault_not_a_skip),
      cmocka_unit_test(test_trusted_network_and_its_service_override),
      cmocka_unit_test(test_grace_is_keyed_by_service_and_origin),
      cmocka_unit_test(test_grace_is_bound_to_the_terminal_session),
      cmocka_unit_test(test_no_terminal_and_old_terminal_name_entries_get_no_grace),
      cmocka_unit_test(test_service_override_turns_grace_off),
      cmocka_unit_test(test_corrupt_state_is_a_fault_only_when_grace_needs_it),
  };
  return cmocka_run_group_tests_name("skip_rules", tests, nullptr, nullptr);
}
