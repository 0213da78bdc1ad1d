// Abuse resistance through the real PAM stack (issue 5): lockout, cooldown,
// the host-wide cap, countries, backup codes raced by two logins, grace and
// trusted networks (PAM_RHOST through pam_set_items), break-glass. Each test
// has its own users file and state directory; parallel logins of one user
// and of many are parallel_test.cc's.
#include <security/pam_appl.h>
#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using itest::ConfigOptions;
using itest::CountSends;
using itest::Dialogue;
using itest::MakeService;
using itest::RunLogin;
using itest::Step;
using itest::TestEnv;
using itest::Right;
using itest::Say;
using itest::Wrong;
using itest::Isolated;
using itest::kOnlyIgnored;

namespace {


void test_failed_codes_lock_the_user_out(void**) {
  ConfigOptions o = Isolated("lockout", "locky", "+15550200001");
  o.max_attempts = 1;
  o.limits = "resend_cooldown = 0; max_failures = 2; lockout = 900;";
  const std::string service = MakeService("lockout", o);
  for (int i = 0; i < 2; ++i) {
    Dialogue d{"+15550200001", {Wrong()}};
    assert_int_equal(RunLogin(service, "locky", d), PAM_AUTH_ERR);
  }
  const int sends = CountSends("+15550200001");
  Dialogue locked{"+15550200001", {Right()}};
  assert_int_equal(RunLogin(service, "locky", locked), PAM_AUTH_ERR);
  assert_true(locked.Showed("Too many failed codes"));
  assert_true(locked.prompts.empty());                  // told, not asked
  assert_int_equal(CountSends("+15550200001"), sends);  // and nothing sent
  assert_true(itest::UserStatus(service, "locky")["locked"].get<bool>());

  itest::RunCli(itest::ConfigPathOf(service), "unlock locky");
  Dialogue after{"+15550200001", {Right()}};
  assert_int_equal(RunLogin(service, "locky", after), PAM_SUCCESS);
}

void test_cooldown_refuses_a_quick_resend(void**) {
  ConfigOptions o = Isolated("cooldown", "hasty", "+15550200002");
  o.limits = "resend_cooldown = 600;";
  const std::string service = MakeService("cooldown", o);
  Dialogue d{"+15550200002", {Say("resend"), Right()}};
  assert_int_equal(RunLogin(service, "hasty", d), PAM_SUCCESS);
  assert_int_equal(CountSends("+15550200002"), 1);
  assert_true(d.Showed("A code was just sent; try again in 10 minutes."));
}

// ssh, then sudo: a right code ends the cooldown, so the next login of the
// same user sends a new code at once instead of refusing for 10 minutes.
void test_a_success_ends_the_cooldown(void**) {
  ConfigOptions o = Isolated("cooldown-ends", "quick", "+15550200029");
  o.limits = "resend_cooldown = 600;";
  const std::string service = MakeService("cooldown-ends", o);
  Dialogue first{"+15550200029", {Right()}};
  assert_int_equal(RunLogin(service, "quick", first), PAM_SUCCESS);
  Dialogue second{"+15550200029", {Right()}};
  assert_int_equal(RunLogin(service, "quick", second), PAM_SUCCESS);
  assert_int_equal(CountSends("+15550200029"), 2);
  assert_false(second.Showed("A code was just sent"));
}

// Twilio down (503) or refusing the credentials (401) when the code is due:
// nothing was sent, so nothing is counted. The next login is not told "a
// code was just sent" (the cooldown is the shipped 30 s) and the failed
// attempts don't fill the window.
void test_a_send_twilio_refused_costs_nothing(void**) {
  ConfigOptions o = Isolated("refused-send", "unlucky", "+15550200030");
  o.limits = "resend_cooldown = 30; sends_per_window = 2;";
  const std::string service = MakeService("refused-send", o);
  for (const char* fault : {R"({"fault":"http503"})", R"({"fault":"http401"})", R"({"fault":"http503"})"}) {
    itest::SetFault(fault);
    Dialogue down{"+15550200030", {Right()}};
    assert_int_not_equal(RunLogin(service, "unlucky", down), PAM_SUCCESS);
    itest::SetFault("");
  }
  assert_int_equal(itest::UserStatus(service, "unlucky")["sends_in_window"].get<int>(), 0);
  Dialogue next{"+15550200030", {Right()}};
  assert_int_equal(RunLogin(service, "unlucky", next), PAM_SUCCESS);
  assert_false(next.Showed("A code was just sent"));
  assert_false(next.Showed("Too many codes sent"));
  assert_int_equal(CountSends("+15550200030"), 1);
}

void test_user_window_caps_sends(void**) {
  ConfigOptions o = Isolated("window", "pumped", "+15550200003");
  o.limits = "resend_cooldown = 0; sends_per_window = 2; send_window = 900;";
  const std::string service = MakeService("window", o);
  Dialogue d{"+15550200003", {Say("resend"), Say("resend"), Right()}};
  assert_int_equal(RunLogin(service, "pumped", d), PAM_SUCCESS);
  assert_int_equal(CountSends("+15550200003"), 2);
  assert_true(d.Showed("Too many codes sent"));
}

void test_host_wide_cap_refuses_other_users(void**) {
  ConfigOptions o = Isolated("global", "g1", "+15550200011");
  itest::WriteUsers(o.users_file, "g1 +15550200011 sms -\ng2 +15550200012 sms -\ng3 +15550200013 sms -\n");
  o.limits = "resend_cooldown = 0; global_sends_per_hour = 2;";
  const std::string service = MakeService("global", o);
  for (const char* user : {"g1", "g2"}) {
    Dialogue d{std::string("+155502000") + (user[1] == '1' ? "11" : "12"), {Right()}};
    assert_int_equal(RunLogin(service, user, d), PAM_SUCCESS);
  }
  Dialogue third{"+15550200013", {Right()}};
  assert_int_equal(RunLogin(service, "g3", third), PAM_AUTH_ERR);
  assert_int_equal(CountSends("+15550200013"), 0);
  assert_true(third.Showed("from this host"));
}

void test_numbers_outside_allowed_countries_get_nothing(void**) {
  ConfigOptions o = Isolated("country", "abroad", "+15550200004");
  o.limits = "resend_cooldown = 0; allowed_countries = [\"44\"];";
  const std::string service = MakeService("country", o);
  Dialogue d{"+15550200004", {Right()}};
  assert_int_equal(RunLogin(service, "abroad", d), PAM_AUTH_ERR);
  assert_int_equal(CountSends("+15550200004"), 0);
  assert_true(d.Showed("country"));
}

// Two logins race with the same backup code: exactly one gets in.
void test_backup_code_works_once_even_when_raced(void**) {
  ConfigOptions o = Isolated("backup", "lost", "+15550200005");
  const std::string service = MakeService("backup", o);
  std::istringstream printed(itest::RunCli(itest::ConfigPathOf(service), "backup-codes lost --count 3"));
  std::string code;
  std::getline(printed, code);
  assert_int_equal(code.size(), 9);  // "xxxx-xxxx"

  std::vector<Dialogue> both(2, Dialogue{"", {Say(code)}});
  const std::vector<int> results = itest::RunLoginsAtOnce(service, {"lost", "lost"}, both);
  assert_int_equal(std::count(results.begin(), results.end(), PAM_SUCCESS), 1);
  assert_int_equal(itest::UserStatus(service, "lost")["backup_codes_left"].get<int>(), 2);
}

// No SMS can arrive (Twilio down, failmode = "secure"): a user with backup
// codes is asked for one instead of being refused.
void test_backup_code_when_no_code_can_be_sent(void**) {
  ConfigOptions o = Isolated("backup_down", "stranded", "+15550200022");
  const std::string service = MakeService("backup_down", o);
  std::istringstream printed(itest::RunCli(itest::ConfigPathOf(service), "backup-codes stranded --count 2"));
  std::string code;
  std::getline(printed, code);
  itest::SetFault(R"({"fault":"http503"})");
  Dialogue wrong_then_right{"", {Say("zzzz-zzzz"), Say(code)}};
  assert_int_equal(RunLogin(service, "stranded", wrong_then_right), PAM_SUCCESS);
  assert_true(wrong_then_right.Showed("Backup code"));
  Dialogue spent{"", {Say(code), Say(code), Say(code)}};  // single use
  assert_int_equal(RunLogin(service, "stranded", spent), PAM_AUTH_ERR);
  itest::SetFault("");
  // Without backup codes the same outage refuses, as failmode = "secure" says.
  ConfigOptions none = Isolated("no_backup_down", "plain", "+15550200023");
  const std::string plain = MakeService("no_backup_down", none);
  itest::SetFault(R"({"fault":"http503"})");
  Dialogue refused{"", {Say(code)}};
  assert_int_equal(RunLogin(plain, "plain", refused), PAM_AUTHINFO_UNAVAIL);
  itest::SetFault("");
}

void test_grace_skips_a_second_login_from_the_same_host_only(void**) {
  ConfigOptions o = Isolated("grace", "regular", "+15550200006");
  o.policy = "grace_period = 600;";
  const std::string service = MakeService("grace", o, /*set_items=*/true);
  itest::SetRemoteHost("198.51.100.7");
  Dialogue first{"+15550200006", {Right()}};
  assert_int_equal(RunLogin(service, "regular", first), PAM_SUCCESS);
  const int sends = CountSends("+15550200006");

  Dialogue again{"+15550200006", {}};
  assert_int_equal(RunLogin(service, "regular", again), PAM_SUCCESS);  // pam_set_items' success; we said IGNORE
  assert_true(again.prompts.empty());
  assert_int_equal(CountSends("+15550200006"), sends);

  itest::SetRemoteHost("203.0.113.9");
  Dialogue elsewhere{"+15550200006", {Right()}};
  assert_int_equal(RunLogin(service, "regular", elsewhere), PAM_SUCCESS);
  assert_int_equal(elsewhere.prompts.size(), 1);
  itest::SetRemoteHost("");
}

void test_trusted_network_is_not_asked(void**) {
  ConfigOptions o = Isolated("trusted", "insider", "+15550200007");
  o.policy = "trusted_networks = [\"198.51.100.0/24\", \"2001:db8::/32\"];";
  const std::string service = MakeService("trusted", o, /*set_items=*/true);
  itest::SetRemoteHost("2001:db8::42");
  Dialogue inside{"+15550200007", {}};
  assert_int_equal(RunLogin(service, "insider", inside), PAM_SUCCESS);
  assert_true(inside.prompts.empty());
  assert_int_equal(CountSends("+15550200007"), 0);

  itest::SetRemoteHost("192.0.2.1");
  Dialogue outside{"+15550200007", {Right()}};
  assert_int_equal(RunLogin(service, "insider", outside), PAM_SUCCESS);
  assert_int_equal(outside.prompts.size(), 1);
  itest::SetRemoteHost("");
}

void test_break_glass_user_is_ignored_and_nothing_sent(void**) {
  ConfigOptions o = Isolated("breakglass", "rescue", "+15550200008");
  o.policy = "exempt_users = [\"rescue\"];";
  const std::string service = MakeService("breakglass", o);
  Dialogue d{"+15550200008", {}};
  assert_int_equal(RunLogin(service, "rescue", d), kOnlyIgnored);  // only PAM_IGNORE in the stack
  assert_int_equal(CountSends("+15550200008"), 0);
}

void test_users_outside_policy_groups_are_ignored(void**) {
  ConfigOptions o = Isolated("groups", "root", "+15550200009");
  o.policy = "groups = [\"twotp-nobody-is-in-this-group\"];";
  const std::string service = MakeService("groups", o);
  Dialogue skipped{"+15550200009", {}};
  assert_int_equal(RunLogin(service, "root", skipped), kOnlyIgnored);
  o.policy = "groups = [\"root\"];";
  const std::string asked = MakeService("groups_root", o);
  Dialogue d{"+15550200009", {Right()}};
  assert_int_equal(RunLogin(asked, "root", d), PAM_SUCCESS);
}

void test_enroll_at_login_proves_and_saves_the_number(void**) {
  ConfigOptions o = Isolated("enroll", "someone", "+15550200098");
  o.unenrolled = "enroll";
  o.limits += " allowed_countries = [\"1\"];";
  const std::string service = MakeService("enroll", o);
  Dialogue first{"+15550200020", {Say("+1 555 020 0020"), Wrong(), Right()}};
  assert_int_equal(RunLogin(service, "newcomer", first), PAM_SUCCESS);
  Dialogue again{"+15550200020", {Right()}};
  assert_int_equal(RunLogin(service, "newcomer", again), PAM_SUCCESS);
  assert_true(again.Showed("+1 ••• ••• 0020"));
  assert_int_equal(again.prompts.size(), 1);  // enrolled: no number asked this time
}

// twilio.lookup: Lookup's line type is asked before a typed number gets a
// code: a landline (codes by SMS) is refused with the reason and costs no
// send; a VoIP number is enrolled.
void test_enroll_at_login_asks_lookup_for_the_line_type(void**) {
  ConfigOptions o = Isolated("lookup", "someone", "+15550200097");
  o.unenrolled = "enroll";
  o.limits += " allowed_countries = [\"1\"];";
  o.twilio = "lookup = true; lookup_url = \"" + TestEnv().url + "\";";
  const std::string service = MakeService("lookup", o);
  const int lookups = itest::CountRecords("lookup", "+15005550009");
  const int sends = itest::CountSends("+15005550009");  // other tests use the landline too
  Dialogue landline{"+15005550009", {Say("+15005550009"), Right()}};
  assert_int_equal(RunLogin(service, "landlined", landline), PAM_AUTH_ERR);
  assert_true(landline.Showed("This number can't be enrolled: it is a landline"));
  assert_int_equal(itest::CountRecords("lookup", "+15005550009"), lookups + 1);
  assert_int_equal(itest::CountSends("+15005550009"), sends);
  Dialogue voip{"+15005550020", {Say("+15005550020"), Right()}};
  assert_int_equal(RunLogin(service, "voiper", voip), PAM_SUCCESS);
  assert_true(itest::CountRecords("lookup", "+15005550020") >= 1);
}

// One account, other names (sssd folding case; a second passwd line with
// the same uid): with unenrolled = "allow", neither passes as an unenrolled
// user. Each is asked the account's code, and the log names both.
void test_other_names_of_an_enrolled_account_are_asked_its_code(void**) {
  ConfigOptions o = Isolated("alias", "rtuser", "+15550200031");
  o.unenrolled = "allow";
  const std::string service = MakeService("alias", o);
  itest::AddAccountAlias("RTUSER", "rtuser");
  itest::AddAccountAlias("rtalias", "rtuser");
  for (const std::string name : {"RTUSER", "rtalias"}) {
    Dialogue d{"+15550200031", {Right()}};
    itest::LoginLog log;
    const int rc = itest::RunLoginLogged(service, name, d, &log);
    if (rc != PAM_SUCCESS || d.prompts.size() != 1 || !log.Has("user=rtuser (as " + name + ") ")) {
      fail_msg("%s: PAM result %d, %zu prompt(s), log:\n%s", name.c_str(), rc, d.prompts.size(), log.Joined().c_str());
    }
  }
  // The CLI maps the name the same way: RTUSER's state is rtuser's.
  assert_string_equal(itest::UserStatus(service, "RTUSER")["user"].get<std::string>().c_str(), "rtuser");
}

// A login that gave up (wrong codes, Ctrl-C) leaves no code behind for the
// next one to share: that login sends a fresh code, and its prompt is true.
void test_a_login_that_gave_up_leaves_no_code_to_share(void**) {
  ConfigOptions o = Isolated("giveup", "quitter", "+15550200021");
  const std::string service = MakeService("giveup", o);
  Dialogue denied{"+15550200021", {Wrong(), Wrong(), Wrong()}};
  assert_int_equal(RunLogin(service, "quitter", denied), PAM_AUTH_ERR);
  Dialogue aborted{"+15550200021", {{Step::kFail, ""}}};
  assert_int_equal(RunLogin(service, "quitter", aborted), PAM_CONV_ERR);
  Dialogue next{"+15550200021", {Right()}};
  assert_int_equal(RunLogin(service, "quitter", next), PAM_SUCCESS);
  assert_int_equal(CountSends("+15550200021"), 3);
}

}  // namespace

int RunAbuseTests() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_failed_codes_lock_the_user_out),
      cmocka_unit_test(test_cooldown_refuses_a_quick_resend),
      cmocka_unit_test(test_a_success_ends_the_cooldown),
      cmocka_unit_test(test_a_send_twilio_refused_costs_nothing),
      cmocka_unit_test(test_user_window_caps_sends),
      cmocka_unit_test(test_host_wide_cap_refuses_other_users),
      cmocka_unit_test(test_numbers_outside_allowed_countries_get_nothing),
      cmocka_unit_test(test_backup_code_works_once_even_when_raced),
      cmocka_unit_test(test_backup_code_when_no_code_can_be_sent),
      cmocka_unit_test(test_grace_skips_a_second_login_from_the_same_host_only),
      cmocka_unit_test(test_trusted_network_is_not_asked),
      cmocka_unit_test(test_break_glass_user_is_ignored_and_nothing_sent),
      cmocka_unit_test(test_users_outside_policy_groups_are_ignored),
      cmocka_unit_test(test_enroll_at_login_proves_and_saves_the_number),
      cmocka_unit_test(test_enroll_at_login_asks_lookup_for_the_line_type),
      cmocka_unit_test(test_other_names_of_an_enrolled_account_are_asked_its_code),
      cmocka_unit_test(test_a_login_that_gave_up_leaves_no_code_to_share),
  };
  const std::string group = "abuse_" + TestEnv().mode + (TestEnv().backend == "ldap" ? "_ldap" : "");
  return cmocka_run_group_tests_name(group.c_str(), tests, nullptr, nullptr);
}
