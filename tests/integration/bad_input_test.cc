// Bad input through the real PAM stack: odd user names, numbers of every
// wrong shape, a 64 KiB code, conversations that fail or answer NULL,
// broken configs, and users files the module must not believe. Each ends in
// a clear refusal (or the documented outcome), sends nothing it shouldn't,
// and leaves the directory as it was.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"

// Last: cmocka defines a fail() macro that breaks <ios> if included before it.
#include "cmocka_cxx.h"

using itest::ConfigOptions;
using itest::Dialogue;
using itest::MakeService;
using itest::Right;
using itest::RunLogin;
using itest::Say;
using itest::TestEnv;

namespace {

// The users of one test, in their own file (or LDAP unit) and state dir.
ConfigOptions Users(const std::string& name, const std::string& lines) {
  ConfigOptions o;
  o.users_file = TestEnv().dir + "/users-bad-" + name;
  itest::WriteUsers(o.users_file, lines);
  o.state = "state-bad-" + name;
  return o;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void test_odd_user_names_are_unenrolled_and_get_nothing(void**) {
  ConfigOptions o = Users("names", "plain +15550400001 sms -\n");
  const std::string service = MakeService("bad_names", o);
  const std::string before = TestEnv().backend == "file" ? Slurp(o.users_file) : "";
  const int sent = itest::TotalSends();
  const std::vector<std::string> names = {"a:b", "a\nb", std::string(300, 'x'), "\xff\xfe\xfd", "*)(uid=*", "../plain",
                                          "plain ", "-plain"};
  for (const std::string& name : names) {
    Dialogue d{"", {Say("123456")}};
    const int rc = RunLogin(service, name, d);
    if (rc != PAM_AUTH_ERR && rc != PAM_USER_UNKNOWN) fail_msg("user of %zu bytes: PAM result %d", name.size(), rc);
  }
  assert_int_equal(itest::TotalSends(), sent);
  if (TestEnv().backend == "file") assert_true(Slurp(o.users_file) == before);
}

// A name NSS doesn't know is refused (never "not enrolled", whatever
// unenrolled says), and reaches syslog escaped: its newline forges no line.
void test_unknown_user_is_refused_and_logged_escaped(void**) {
  ConfigOptions o = Users("unknown", "");
  o.unenrolled = "allow";
  const std::string service = MakeService("bad_unknown_user", o);
  const std::string name = "ghost\nsshd[1]: Accepted for root\x1b[8m";
  Dialogue d{"", {Say("123456")}};
  itest::LoginLog log;
  assert_int_equal(itest::RunLoginLogged(service, name, d, &log), PAM_USER_UNKNOWN);
  assert_true(d.prompts.empty() && d.infos.empty());
  if (!log.other.empty() || !log.Has("user=ghost\\nsshd[1]: Accepted for root\\x1b[8m result=refused (unknown to NSS)")) {
    fail_msg("log:\n%s", log.Joined().c_str());
  }
}

void test_wrong_shaped_numbers_refuse_their_user_only(void**) {
  ConfigOptions o = Users("shapes",
                          "shape1 5550400002 sms -\n"
                          "shape2 +1555 sms -\n"
                          "shape3 +1555040000312345678 sms -\n"
                          "shape4 ++15550400004 sms -\n"
                          "shape5 +15550400005x sms -\n"
                          "fine +15550400006 sms -\n");
  const std::string service = MakeService("bad_shapes", o);
  const int sent = itest::TotalSends();
  for (const char* user : {"shape1", "shape2", "shape3", "shape4", "shape5"}) {
    Dialogue d{"", {Say("123456")}};
    const int rc = RunLogin(service, user, d);
    if (rc != PAM_AUTHINFO_UNAVAIL) fail_msg("%s: PAM result %d", user, rc);
    assert_true(d.prompts.empty());
  }
  assert_int_equal(itest::TotalSends(), sent);
  Dialogue fine{"+15550400006", {Right()}};  // the others' bad lines cost "fine" nothing
  assert_int_equal(RunLogin(service, "fine", fine), PAM_SUCCESS);
}

void test_enrolment_refuses_numbers_of_every_wrong_shape(void**) {
  ConfigOptions o = Users("enroll", "");
  o.unenrolled = "enroll";
  o.limits += " allowed_countries = [\"1\"];";
  const std::string service = MakeService("bad_enroll", o);
  const int sent = itest::TotalSends();
  // The last: well formed, but +881 (satellite) is not in allowed_countries.
  const std::vector<std::string> typed = {"", "abc", "+", "+1", std::string(40, '1'), "+1 555 040 0007 ext 9",
                                          std::string(64 * 1024, '5'), "+15550400007\n+15550400008",
                                          "+881631001234"};
  for (const std::string& number : typed) {
    Dialogue d{"", {Say(number), Say(number), Say(number)}};
    const int rc = RunLogin(service, "newbie", d);
    if (rc != PAM_AUTH_ERR) fail_msg("number of %zu bytes: PAM result %d", number.size(), rc);
  }
  assert_int_equal(itest::TotalSends(), sent);
  Dialogue again{"", {}};  // still not enrolled: asked for a number again
  again.fail_everything = true;
  assert_int_equal(RunLogin(service, "newbie", again), PAM_CONV_ERR);
}

void test_a_64_KiB_code_is_a_wrong_code(void**) {
  ConfigOptions o = Users("huge_code", "bigcode +15550400009 sms -\n");
  const std::string service = MakeService("bad_huge_code", o);
  const std::string huge(64 * 1024, '7');
  Dialogue d{"+15550400009", {Say(huge), Say(huge + "x"), Say(std::string(64 * 1024, ' '))}};
  assert_int_equal(RunLogin(service, "bigcode", d), PAM_AUTH_ERR);
  Dialogue right{"+15550400009", {Right()}};  // and the module still works
  assert_int_equal(RunLogin(service, "bigcode", right), PAM_SUCCESS);
}

void test_conversations_that_fail_or_answer_null(void**) {
  ConfigOptions o = Users("conv", "conv +15550400010 sms -\n");
  const std::string service = MakeService("bad_conv", o);
  Dialogue fails{"", {}};
  fails.fail_everything = true;
  assert_int_equal(RunLogin(service, "conv", fails), PAM_CONV_ERR);
  Dialogue null_reply{"", {itest::NullReply()}};
  assert_int_equal(RunLogin(service, "conv", null_reply), PAM_CONV_ERR);
  // Ctrl-D at the prompt: the person reads why, not only "Conversation error".
  assert_true(null_reply.Showed("the login was cancelled"));
  Dialogue no_replies{"", {itest::NoReplies()}};
  assert_int_equal(RunLogin(service, "conv", no_replies), PAM_CONV_ERR);
}

void test_broken_configs_refuse_the_login(void**) {
  const std::vector<std::pair<std::string, std::string>> texts = {
      {"empty", ""},
      {"syntax", "policy = { failmode = \"safe\" \n"},
      {"type", "policy = { max_attempts = \"three\"; };\n"},
      {"range", "policy = { code_length = 99; };\n"},
      {"unknown", "twilio = { colour = \"blue\"; };\n"},
      {"nul", std::string("policy = {\0};\n", 14)},
  };
  for (const auto& [name, text] : texts) {
    const std::string service = itest::MakeServiceWithConfigText("bad_config_" + name, text);
    Dialogue d{"", {Say("123456")}};
    const int rc = RunLogin(service, "right", d);
    if (rc != PAM_AUTHINFO_UNAVAIL) fail_msg("config %s: PAM result %d", name.c_str(), rc);
    // Not only PAM's "cannot retrieve authentication info": whom to ask.
    if (!d.EndedWithAdvice() || !d.Showed("ask your administrator")) fail_msg("config %s: no sentence", name.c_str());
  }
  // A config others may write, or a symlink to a good one, is not believed.
  const std::string good = itest::MakeService("bad_config_good", {});
  const std::string path = itest::ConfigPathOf(good);
  assert_int_equal(chmod(path.c_str(), 0666), 0);
  Dialogue writable{"", {Say("123456")}};
  assert_int_equal(RunLogin(good, "right", writable), PAM_AUTHINFO_UNAVAIL);
  assert_int_equal(chmod(path.c_str(), 0600), 0);
  const std::string linked = itest::MakeServiceWithConfigText("bad_config_link", "");
  const std::string link_path = itest::ConfigPathOf(linked);
  assert_int_equal(unlink(link_path.c_str()), 0);
  assert_int_equal(symlink(path.c_str(), link_path.c_str()), 0);
  Dialogue symlinked{"", {Say("123456")}};
  assert_int_equal(RunLogin(linked, "right", symlinked), PAM_AUTHINFO_UNAVAIL);
}

void test_users_files_not_to_be_believed(void**) {
  if (TestEnv().backend != "file") skip();  // the file backend's own trust rules
  const std::string lines = "trusty +15550400011 sms -\n";
  ConfigOptions linked = Users("link_target", lines);
  const std::string target = linked.users_file;
  linked.users_file = TestEnv().dir + "/users-bad-symlink";
  unlink(linked.users_file.c_str());
  assert_int_equal(symlink(target.c_str(), linked.users_file.c_str()), 0);
  Dialogue d{"", {Say("123456")}};
  assert_int_equal(RunLogin(MakeService("bad_users_link", linked), "trusty", d), PAM_AUTHINFO_UNAVAIL);

  ConfigOptions foreign = Users("foreign", lines);
  assert_int_equal(chown(foreign.users_file.c_str(), 65534, 65534), 0);
  Dialogue d2{"", {Say("123456")}};
  assert_int_equal(RunLogin(MakeService("bad_users_foreign", foreign), "trusty", d2), PAM_AUTHINFO_UNAVAIL);
  assert_true(d2.Showed("ask your administrator"));
  assert_true(Slurp(foreign.users_file) == lines);  // refused, and left as it was
}

}  // namespace

int RunBadInputTests() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_odd_user_names_are_unenrolled_and_get_nothing),
      cmocka_unit_test(test_unknown_user_is_refused_and_logged_escaped),
      cmocka_unit_test(test_wrong_shaped_numbers_refuse_their_user_only),
      cmocka_unit_test(test_enrolment_refuses_numbers_of_every_wrong_shape),
      cmocka_unit_test(test_a_64_KiB_code_is_a_wrong_code),
      cmocka_unit_test(test_conversations_that_fail_or_answer_null),
      cmocka_unit_test(test_broken_configs_refuse_the_login),
      cmocka_unit_test(test_users_files_not_to_be_believed),
  };
  const std::string group = "bad_input_" + TestEnv().mode + (TestEnv().backend == "ldap" ? "_ldap" : "");
  return cmocka_run_group_tests_name(group.c_str(), tests, nullptr, nullptr);
}
