// state/send_limits: every abuse limit as a pure function with explicit times:
// the per-user window, the resend cooldown, the host-wide cap, lockout start
// and expiry, failures cleared by a success, and the allowed countries.
#include <ctime>
#include <string>

#include "state/send_limits.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

namespace {

constexpr std::time_t kT = 1700000000;
const std::string kNotHere = "Codes can't be sent to this phone number's country; ask your administrator.";

LimitsConfig Limits() {
  LimitsConfig l;
  l.sends_per_window = 3;
  l.send_window = 900;
  l.resend_cooldown = 30;
  l.max_failures = 3;
  l.lockout = 900;
  l.global_sends_per_hour = 100;
  return l;
}

// A refusal: kRejected, the log line mentions `log`, and the user is told
// exactly `user_message`.
void AssertRefused(const Status& s, const std::string& log, const std::string& user_message) {
  if (s.ok()) fail_msg("allowed; expected \"%s\"", user_message.c_str());
  assert_true(s.Is(Fault::kRejected));
  if (s.message().find(log) == std::string::npos) fail_msg("log line: %s", s.message().c_str());
  assert_true(s.user_message().has_value());
  assert_string_equal(s.user_message()->c_str(), user_message.c_str());
}

// Checks and, when allowed, records a send at `now`, as a login does.
Status Send(UserState& user, GlobalState& global, const LimitsConfig& limits, std::time_t now) {
  Status s = CheckSend(user, global, limits, now);
  if (s.ok()) RecordSend(user, global, now);
  return s;
}

}  // namespace

static void test_user_window_refuses_the_extra_send_until_the_oldest_expires(void**) {
  const LimitsConfig limits = Limits();
  UserState user;
  GlobalState global;
  for (std::time_t t : {kT, kT + 100, kT + 200}) assert_true(Send(user, global, limits, t).ok());
  // The 4th send 300 s in: the first leaves the window at kT + 900, 600 s on.
  AssertRefused(CheckSend(user, global, limits, kT + 300), "user send limit: 3 codes in the last 900 s",
                "Too many codes sent; try again in 10 minutes.");
  // 1 s short of it, the wait is said in seconds.
  AssertRefused(CheckSend(user, global, limits, kT + 899), "next send in 1 s",
                "Too many codes sent; try again in 1 second.");
  assert_true(Send(user, global, limits, kT + 900).ok());
  assert_int_equal(user.sends.size(), 3);  // kT was pruned
}

static void test_wait_is_rounded_up_to_whole_minutes(void**) {
  const LimitsConfig limits = Limits();
  UserState user;
  GlobalState global;
  user.sends = {kT, kT + 1, kT + 2};
  AssertRefused(CheckSend(user, global, limits, kT + 839), "next send in 61 s",
                "Too many codes sent; try again in 2 minutes.");
  AssertRefused(CheckSend(user, global, limits, kT + 840), "next send in 60 s",
                "Too many codes sent; try again in 1 minute.");
}

static void test_cooldown_refuses_a_quick_resend(void**) {
  const LimitsConfig limits = Limits();
  UserState user;
  GlobalState global;
  assert_true(Send(user, global, limits, kT).ok());
  AssertRefused(CheckSend(user, global, limits, kT + 10), "resend cooldown: last code sent 10 s ago",
                "A code was just sent; try again in 20 seconds.");
  assert_true(Send(user, global, limits, kT + 30).ok());
}

// ssh, then sudo at once: the first login's right code ends the cooldown, so
// the second gets a fresh code without waiting; the window still counts both.
static void test_success_ends_the_cooldown(void**) {
  LimitsConfig limits = Limits();
  UserState user;
  GlobalState global;
  assert_true(Send(user, global, limits, kT).ok());
  RecordSuccess(user, kT + 5, kT + 1);
  assert_int_equal(user.succeeded_at, kT + 5);
  assert_true(Send(user, global, limits, kT + 6).ok());
  assert_int_equal(user.sends.size(), 2);
  // A send after the success starts a cooldown of its own.
  AssertRefused(CheckSend(user, global, limits, kT + 10), "resend cooldown: last code sent 4 s ago",
                "A code was just sent; try again in 26 seconds.");
  // The window bounds sends whatever the successes: limits.sends_per_window.
  limits.sends_per_window = 2;
  RecordSuccess(user, kT + 11, kT + 7);
  AssertRefused(CheckSend(user, global, limits, kT + 12), "user send limit: 2 codes",
                "Too many codes sent; try again in 15 minutes.");
}

static void test_zero_cooldown_allows_back_to_back_sends(void**) {
  LimitsConfig limits = Limits();
  limits.resend_cooldown = 0;
  UserState user;
  GlobalState global;
  assert_true(Send(user, global, limits, kT).ok());
  assert_true(Send(user, global, limits, kT).ok());
}

static void test_longest_wait_is_the_one_reported(void**) {
  LimitsConfig limits = Limits();
  limits.resend_cooldown = 600;
  UserState user;
  GlobalState global;
  user.sends = {kT, kT + 1, kT + 800};
  // Window frees up at kT + 900 (90 s); the cooldown needs until kT + 1400.
  AssertRefused(CheckSend(user, global, limits, kT + 810), "resend cooldown",
                "A code was just sent; try again in 10 minutes.");
}

static void test_global_cap_counts_every_user_over_an_hour(void**) {
  LimitsConfig limits = Limits();
  limits.global_sends_per_hour = 2;
  GlobalState global;
  UserState alice, bob, carol;
  assert_true(Send(alice, global, limits, kT).ok());
  assert_true(Send(bob, global, limits, kT + 1000).ok());
  AssertRefused(CheckSend(carol, global, limits, kT + 3000),
                "host send cap: 2 codes in the last hour (limits.global_sends_per_hour = 2)",
                "Too many codes have been sent from this host; try again in 10 minutes.");
  assert_true(carol.sends.empty());
  assert_true(Send(carol, global, limits, kT + 3600).ok());  // alice's send has aged out
  assert_int_equal(global.sends.size(), 2);
}

// A clock stepped back must not erase sends, nor block the user until the
// clock catches up with a send "in the future".
static void test_send_from_the_future_counts_as_now(void**) {
  const LimitsConfig limits = Limits();
  UserState user;
  GlobalState global;
  user.sends = {kT + 7200};
  AssertRefused(CheckSend(user, global, limits, kT), "next send in 30 s",
                "A code was just sent; try again in 30 seconds.");
  assert_int_equal(user.sends.size(), 1);
}

static void test_lockout_starts_at_max_failures_and_expires(void**) {
  const LimitsConfig limits = Limits();
  UserState user;
  assert_true(CheckLockout(user, kT).ok());
  assert_false(RecordFailure(user, limits, kT));
  assert_false(RecordFailure(user, limits, kT + 10));
  assert_true(CheckLockout(user, kT + 10).ok());
  assert_true(RecordFailure(user, limits, kT + 20));
  assert_int_equal(user.locked_until, kT + 920);
  assert_true(user.failures.empty());
  AssertRefused(CheckLockout(user, kT + 21), "locked out after too many failed codes, 899 s left",
                "Too many failed codes; try again in 15 minutes.");
  AssertRefused(CheckLockout(user, kT + 919), "1 s left", "Too many failed codes; try again in 1 second.");
  assert_true(CheckLockout(user, kT + 920).ok());
  // After the lockout the count starts again from zero.
  assert_false(RecordFailure(user, limits, kT + 930));
}

// A success forgives the failures before its login began; a parallel
// login's (at or after it began) stand.
static void test_success_clears_failures_before_its_login_began(void**) {
  const LimitsConfig limits = Limits();
  UserState user;
  assert_false(RecordFailure(user, limits, kT + 1));
  assert_false(RecordFailure(user, limits, kT + 4));
  RecordSuccess(user, kT + 5, kT + 2);
  assert_true(user.failures == std::vector<std::time_t>{kT + 4});
  RecordSuccess(user, kT + 6, kT + 6);
  assert_true(user.failures.empty());
  assert_false(RecordFailure(user, limits, kT + 2));
  assert_false(RecordFailure(user, limits, kT + 3));
  assert_int_equal(user.locked_until, 0);
}

static void test_countries_empty_list_allows_any(void**) {
  const LimitsConfig limits = Limits();
  assert_true(CheckCountry("+447700900123", limits).ok());
  assert_true(CheckCountry("+15550104567", limits).ok());
}

static void test_countries_outside_the_list_are_refused(void**) {
  LimitsConfig limits = Limits();
  limits.allowed_countries = {"44", "353"};
  assert_true(CheckCountry("+447700900123", limits).ok());
  assert_true(CheckCountry("+353851234567", limits).ok());
  AssertRefused(CheckCountry("+15550104567", limits), "country calling code +1 is not in limits.allowed_countries",
                kNotHere);
  AssertRefused(CheckCountry("+35512345678", limits), "+355 is not", kNotHere);
  AssertRefused(CheckCountry("not a number", limits), "an unknown country calling code", kNotHere);
}

// "1" is the whole NANP: allowing it allows Jamaica (+1 876) too.
static void test_country_one_covers_all_of_nanp(void**) {
  LimitsConfig limits = Limits();
  limits.allowed_countries = {"1"};
  assert_true(CheckCountry("+14165550123", limits).ok());  // Canada
  assert_true(CheckCountry("+18765550123", limits).ok());  // Jamaica
  assert_false(CheckCountry("+447700900123", limits).ok());
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_user_window_refuses_the_extra_send_until_the_oldest_expires),
      cmocka_unit_test(test_wait_is_rounded_up_to_whole_minutes),
      cmocka_unit_test(test_cooldown_refuses_a_quick_resend),
      cmocka_unit_test(test_success_ends_the_cooldown),
      cmocka_unit_test(test_zero_cooldown_allows_back_to_back_sends),
      cmocka_unit_test(test_longest_wait_is_the_one_reported),
      cmocka_unit_test(test_global_cap_counts_every_user_over_an_hour),
      cmocka_unit_test(test_send_from_the_future_counts_as_now),
      cmocka_unit_test(test_lockout_starts_at_max_failures_and_expires),
      cmocka_unit_test(test_success_clears_failures_before_its_login_began),
      cmocka_unit_test(test_countries_empty_list_allows_any),
      cmocka_unit_test(test_countries_outside_the_list_are_refused),
      cmocka_unit_test(test_country_one_covers_all_of_nanp),
  };
  return cmocka_run_group_tests_name("send_limits", tests, nullptr, nullptr);
}
