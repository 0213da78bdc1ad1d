// The fleet state (state.backend = "ldap") through real Linux-PAM, against
// two OpenLDAP providers in multi-provider replication (run.sh starts them;
// tests/ldap/slapd_env.sh, ldap_start_providers): host A's config tries
// provider A first, host B's provider B, both binding as the state account,
// which may write only the fleet state's attributes. Verify mode only (the
// stand-in records every check, which is how a test knows which codes were
// checked); skipped unless the providers are up.
#include <security/pam_appl.h>
#include <signal.h>

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using itest::ConfigOptions;
using itest::Dialogue;
using itest::Field;
using itest::FleetValuesOf;
using itest::FleetWaitReplicated;
using itest::MakeService;
using itest::Right;
using itest::RunLogin;
using itest::Say;
using itest::TestEnv;
using itest::Wrong;

namespace {

constexpr char kFailure[] = "twilioOtpFailure";
constexpr char kBackupCode[] = "twilioOtpBackupCode";

bool FleetUp() { return TestEnv().mode == "verify" && !TestEnv().fleet_a.uri.empty(); }

// One user in a unit of their own, and a service for each host of the fleet.
struct Fleet {
  std::string users_file;
  std::string host_a, host_b;
};

Fleet MakeFleet(const std::string& name, const std::string& user, const std::string& number,
                const std::string& limits = "resend_cooldown = 0;", bool state_class = true) {
  Fleet f;
  f.users_file = TestEnv().dir + "/users-fleet-" + name;
  itest::FleetWriteUsers(f.users_file, user + " " + number + " sms -\n", state_class);
  for (const char* host : {"A", "B"}) {
    ConfigOptions o;
    o.users_file = f.users_file;
    o.state = std::string("state-fleet-") + name + "-" + host;  // each host its own state_dir
    o.fleet_host = host;
    o.limits = limits;
    (host[0] == 'A' ? f.host_a : f.host_b) = MakeService(std::string("fleet-") + name + "-" + host, o);
  }
  FleetWaitReplicated();
  return f;
}

// An administrator's config for the fleet's users: provider A first, bound
// as the root DN (which may make backup codes and give entries the class).
std::string AdminService(const Fleet& f, const std::string& name) {
  ConfigOptions admin;
  admin.users_file = f.users_file;
  admin.state = "state-fleet-" + name + "-admin";
  admin.fleet_host = "A";
  admin.fleet_admin = true;
  return MakeService("fleet-" + name + "-admin", admin);
}

int Checks() {
  int n = 0;
  for (const auto& r : itest::Records()) n += Field(r, "kind") == "verification_check" && itest::Answered(r) ? 1 : 0;
  return n;
}

std::vector<std::string> Values(const Fleet& f, const itest::LdapEnv& provider, const std::string& user,
                                const char* attribute) {
  return FleetValuesOf(provider, f.users_file, user, attribute);
}

int Setup(void**) {
  itest::SetFault("");
  itest::SetRemoteHost("");
  itest::ForgetRecords();
  return 0;
}

// Provider B stopped as a hung server is: it accepts connections and never
// answers. Resumed by the destructor, so a failing test leaves it running.
class ProviderBStopped {
 public:
  ProviderBStopped() { kill(TestEnv().fleet_pid_b, SIGSTOP); }
  ~ProviderBStopped() { Resume(); }
  void Resume() {
    if (stopped_) kill(TestEnv().fleet_pid_b, SIGCONT);
    stopped_ = false;
  }

 private:
  bool stopped_ = true;
};

void test_failures_on_host_a_lock_the_user_out_on_host_b(void**) {
  if (!FleetUp()) skip();
  const std::string to = "+15550100701";
  const Fleet f = MakeFleet("lock", "roamer", to, "resend_cooldown = 0; max_failures = 3; lockout = 900;");
  Dialogue a{to, {Wrong(), Wrong(), Wrong()}};
  assert_int_not_equal(RunLogin(f.host_a, "roamer", a), PAM_SUCCESS);
  assert_true(a.Showed("Too many failed codes"));
  assert_int_equal(Values(f, TestEnv().fleet_a, "roamer", kFailure).size(), 3);
  FleetWaitReplicated();
  assert_int_equal(Values(f, TestEnv().fleet_b, "roamer", kFailure).size(), 3);

  // Host B has never seen a failure of its own: the lockout is the fleet's.
  const int sends = itest::CountSends(to);
  Dialogue b{to, {Right()}};
  assert_int_not_equal(RunLogin(f.host_b, "roamer", b), PAM_SUCCESS);
  assert_true(b.Showed("Too many failed codes"));
  assert_int_equal(itest::CountSends(to), sends);  // nothing sent to a locked-out user
  // check-config proves the state account may write the fleet state, and
  // leaves nothing behind.
  assert_true(itest::RunCli(itest::ConfigPathOf(f.host_a), "check-config").starts_with("OK: "));
  assert_int_equal(Values(f, TestEnv().fleet_a, "roamer", "twilioOtpGrace").size(), 0);
  assert_int_equal(Values(f, TestEnv().fleet_a, "roamer", kBackupCode).size(), 0);
  const std::string all = itest::RunCli(itest::ConfigPathOf(f.host_b), "status --all");
  assert_true(all.find("roamer") != std::string::npos);

  // An unlock on host B lifts it on host A too.
  itest::RunCli(itest::ConfigPathOf(f.host_b), "unlock roamer");
  FleetWaitReplicated();
  Dialogue again{to, {Right()}};
  assert_int_equal(RunLogin(f.host_a, "roamer", again), PAM_SUCCESS);
}

void test_a_backup_code_made_on_a_works_once_on_b_then_nowhere(void**) {
  if (!FleetUp()) skip();
  const std::string to = "+15550100702";
  const Fleet f = MakeFleet("backup", "phoneless", to);
  // The hosts' bind may consume backup codes, not make them (root on one
  // host would let itself in as anyone): an administrator's config does.
  assert_true(itest::RunCli(itest::ConfigPathOf(f.host_a), "backup-codes phoneless --count 2").empty());
  assert_int_equal(Values(f, TestEnv().fleet_a, "phoneless", kBackupCode).size(), 0);
  const std::string admin_service = AdminService(f, "backup");
  std::istringstream printed(itest::RunCli(itest::ConfigPathOf(admin_service), "backup-codes phoneless --count 2"));
  std::string code;
  assert_true(static_cast<bool>(std::getline(printed, code)));
  assert_int_equal(Values(f, TestEnv().fleet_a, "phoneless", kBackupCode).size(), 2);
  FleetWaitReplicated();

  Dialogue on_b{to, {Say(code)}};
  assert_int_equal(RunLogin(f.host_b, "phoneless", on_b), PAM_SUCCESS);
  assert_int_equal(Values(f, TestEnv().fleet_b, "phoneless", kBackupCode).size(), 1);
  FleetWaitReplicated();
  assert_int_equal(Values(f, TestEnv().fleet_a, "phoneless", kBackupCode).size(), 1);
  for (const std::string& host : {f.host_a, f.host_b}) {
    Dialogue reused{to, {Say(code)}};
    reused.steps.resize(1);
    assert_int_not_equal(RunLogin(host, "phoneless", reused), PAM_SUCCESS);
  }
  // The failed tries were counted like any wrong code, on both hosts' provider.
  FleetWaitReplicated();
  assert_int_equal(Values(f, TestEnv().fleet_a, "phoneless", kFailure).size(), 2);
}

void test_parallel_wrong_codes_over_both_providers_are_all_counted(void**) {
  if (!FleetUp()) skip();
  const std::string to = "+15550100703";
  const Fleet f = MakeFleet("parallel", "crowd", to, "resend_cooldown = 0; max_failures = 5; lockout = 900;");
  constexpr int kLogins = 20;
  std::vector<std::string> services, users;
  std::vector<Dialogue> dialogues;
  for (int i = 0; i < kLogins; ++i) {
    services.push_back(i % 2 == 0 ? f.host_a : f.host_b);
    users.push_back("crowd");
    dialogues.emplace_back(to, std::vector<itest::Step>{Wrong()});
  }
  const std::vector<int> results = itest::RunLoginsAtOnce(services, users, dialogues);
  for (int rc : results) assert_int_not_equal(rc, PAM_SUCCESS);
  FleetWaitReplicated();
  const std::vector<std::string> on_a = Values(f, TestEnv().fleet_a, "crowd", kFailure);
  assert_true(on_a == Values(f, TestEnv().fleet_b, "crowd", kFailure));
  // Every code Twilio checked is a failure value, and so is every code
  // refused unchecked because the limit was reached; only a code Twilio
  // would not check (the shared verification's own check limit, 60202) is
  // taken back, since nothing was learned from it. A login that started
  // once the lockout was in force was refused before its prompt.
  const size_t typed = static_cast<size_t>(std::count_if(dialogues.begin(), dialogues.end(),
                                                         [](const Dialogue& d) { return d.next > 0; }));
  const int checked = Checks();
  print_message("fleet: %d parallel logins over two providers: %zu typed a wrong code, %d checked, %zu counted\n",
                kLogins, typed, checked, on_a.size());
  assert_true(static_cast<size_t>(checked) <= on_a.size() && on_a.size() <= typed);
  // At most max_failures checked on each provider.
  assert_in_range(checked, 1, 10);
  Dialogue late{to, {Right()}};
  assert_int_not_equal(RunLogin(f.host_b, "crowd", late), PAM_SUCCESS);
  assert_true(late.Showed("Too many failed codes"));
}

void test_a_provider_down_mid_login_loses_nothing(void**) {
  if (!FleetUp()) skip();
  const std::string to = "+15550100704";
  // An entry without the class: the first failure gives it the class.
  const Fleet f = MakeFleet("outage", "steady", to, "resend_cooldown = 0;", /*state_class=*/false);
  {
    ProviderBStopped down;
    // Host B fails over to provider A, where its failure is counted.
    Dialogue b{to, {Wrong(), Right()}};
    assert_int_equal(RunLogin(f.host_b, "steady", b), PAM_SUCCESS);
    Dialogue a{to, {Wrong()}};
    a.steps.resize(1);
    assert_int_not_equal(RunLogin(f.host_a, "steady", a), PAM_SUCCESS);
    assert_int_equal(Values(f, TestEnv().fleet_a, "steady", kFailure).size(), 1);
  }
  // Back up: provider B catches up with what it missed.
  FleetWaitReplicated();
  assert_int_equal(Values(f, TestEnv().fleet_b, "steady", kFailure).size(), 1);
}

// `twilio-otp enroll` gives the entry the class the fleet state needs, so
// two providers never race to add it at a login's first failure.
void test_enrolment_gives_the_entry_the_state_class(void**) {
  if (!FleetUp()) skip();
  const std::string to = "+15550100707";
  const Fleet f = MakeFleet("prepare", "newcomer", to, "resend_cooldown = 0;", /*state_class=*/false);
  auto classes = [&] { return Values(f, TestEnv().fleet_a, "newcomer", "objectClass"); };
  const auto has_class = [](const std::vector<std::string>& v) {
    return std::find(v.begin(), v.end(), "twilioOtpState") != v.end();
  };
  assert_false(has_class(classes()));
  const std::string service = AdminService(f, "prepare");
  const std::string out = itest::RunCli(itest::ConfigPathOf(service), "enroll newcomer " + to + " --no-verify");
  assert_true(out.starts_with("enrolled newcomer"));
  assert_true(has_class(classes()));
  // Again: the class is there already, and that is no error.
  assert_true(itest::RunCli(itest::ConfigPathOf(service), "enroll newcomer " + to + " --no-verify")
                  .starts_with("enrolled newcomer"));
}

// A success leaves a grace stamp in the directory, which the next login
// from the same place reads (and is skipped), and ends this host's resend
// cooldown as a local success does (ssh, then sudo at once, gets a code).
void test_a_success_leaves_a_grace_stamp_and_ends_the_cooldown(void**) {
  if (!FleetUp()) skip();
  const std::string to = "+15550100706";
  const Fleet f = MakeFleet("grace", "graceful", to);
  ConfigOptions o;
  o.users_file = f.users_file;
  o.state = "state-fleet-grace-A";  // one host: both services share its state_dir
  o.fleet_host = "A";
  o.limits = "resend_cooldown = 60;";
  o.policy = "grace_period = 600;";
  const std::string with_grace = MakeService("fleet-grace-A", o, /*set_items=*/true);
  o.policy = "";
  const std::string without_grace = MakeService("fleet-grace-A2", o);

  itest::SetRemoteHost("198.51.100.40");
  Dialogue first{to, {Right()}};
  assert_int_equal(RunLogin(with_grace, "graceful", first), PAM_SUCCESS);
  assert_int_equal(Values(f, TestEnv().fleet_a, "graceful", "twilioOtpGrace").size(), 1);
  const int sends = itest::CountSends(to);
  Dialogue again{to, {Right()}};
  assert_int_equal(RunLogin(with_grace, "graceful", again), PAM_SUCCESS);  // pam_set_items' success; we said IGNORE
  assert_true(again.prompts.empty());
  assert_int_equal(itest::CountSends(to), sends);
  itest::SetRemoteHost("");

  Dialogue next{to, {Right()}};
  assert_int_equal(RunLogin(without_grace, "graceful", next), PAM_SUCCESS);
  assert_int_equal(itest::CountSends(to), sends + 1);
}

// A host that can reach only provider B, which stops answering while the
// user is at the prompt: the code can't be counted, so it is never checked,
// and failmode = "safe" doesn't let the login through.
void test_a_code_that_cant_be_counted_is_refused_unchecked(void**) {
  if (!FleetUp()) skip();
  const std::string to = "+15550100705";
  const Fleet f = MakeFleet("uncounted", "cutoff", to);
  ConfigOptions o;
  o.users_file = f.users_file;
  o.state = "state-fleet-uncounted-C";
  o.fleet_host = "B";
  o.failmode = "safe";
  o.fleet_own_provider_only = true;
  std::string service = MakeService("fleet-uncounted-C", o);

  std::optional<ProviderBStopped> down;
  Dialogue d{to, {Right()}};
  d.at_prompt = [&] { down.emplace(); };
  const int checks = Checks();
  assert_int_equal(RunLogin(service, "cutoff", d), PAM_AUTHINFO_UNAVAIL);
  assert_int_equal(Checks(), checks);  // never checked
  down.reset();

  // With state.fallback = "local" the same outage counts on this host instead.
  o.fleet_state = "fallback = \"local\";";
  o.state = "state-fleet-uncounted-D";
  service = MakeService("fleet-uncounted-D", o);
  Dialogue local{to, {Wrong(), Right()}};
  local.at_prompt = [&] {
    if (!down) down.emplace();
  };
  assert_int_equal(RunLogin(service, "cutoff", local), PAM_SUCCESS);
  assert_int_equal(Checks(), checks + 2);
}

}  // namespace

int RunFleetTests() {
  if (!FleetUp()) return 0;  // only the LDAP runs start the providers, and only verify mode counts checks
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_failures_on_host_a_lock_the_user_out_on_host_b, Setup),
      cmocka_unit_test_setup(test_a_backup_code_made_on_a_works_once_on_b_then_nowhere, Setup),
      cmocka_unit_test_setup(test_parallel_wrong_codes_over_both_providers_are_all_counted, Setup),
      cmocka_unit_test_setup(test_a_provider_down_mid_login_loses_nothing, Setup),
      cmocka_unit_test_setup(test_a_success_leaves_a_grace_stamp_and_ends_the_cooldown, Setup),
      cmocka_unit_test_setup(test_enrolment_gives_the_entry_the_state_class, Setup),
      cmocka_unit_test_setup(test_a_code_that_cant_be_counted_is_refused_unchecked, Setup),
  };
  return cmocka_run_group_tests_name("fleet_state", tests, nullptr, nullptr);
}
