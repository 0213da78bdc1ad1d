// The fault matrix: every failure the Twilio stand-in can inject (and a
// closed port), one at a time, each under failmode = "secure" and "safe".
// For each login: the PAM result, the wall time (at most twilio.timeout + 1 s),
// a log line that names the cause, no secret in anything the module logged,
// no crash (the module runs in this process). Then the answers that must never
// let anyone through under failmode = "safe", and (verify mode) a check that
// fails in transit after a wrong code. A table of what happened is printed at
// the end of the group, for notes.
//
// TWOTP_FAULT_MATRIX_VERBOSE=1 prints what the module logged at each login.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <security/pam_appl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "harness.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using itest::ConfigOptions;
using itest::Dialogue;
using itest::LoginLog;
using itest::MakeService;
using itest::Right;
using itest::TestEnv;
using itest::kOnlyIgnored;

namespace {

constexpr int kTimeout = 2;       // twilio.timeout
constexpr int kTotalTimeout = 3;  // twilio.total_timeout

// A bound that only catches a hang: ten times twilio.timeout, so a busy
// machine (both cores loaded, valgrind, sanitizers) never fails it. That the
// deadline itself is kept is proven on a fake clock (test_https_transport.cc);
// the times this suite measures are printed in its table, not asserted.
double Bound() { return kTimeout * 10.0; }
constexpr int kUnavail = PAM_AUTHINFO_UNAVAIL;

bool VerifyMode() { return TestEnv().mode == "verify"; }
// The kind of request a login's first send is (the stand-in's `only`).
std::string SendKind() { return VerifyMode() ? "verification" : "message"; }

struct Row {
  const char* fault;    // the stand-in's fault, or "refused" (a closed port)
  const char* control;  // the control file's other keys, JSON members ("" for none)
  std::vector<std::string> causes;  // the log names the cause: one line holds all of these
  int secure;           // what the module returns, failmode = "secure"
  int safe;             // and failmode = "safe"
  const char* user;
  const char* number;
};

// Witnessed outages (the network refused before the request left, or
// Twilio itself answered 5xx / 429) follow failmode. The rest refuse under
// both: a timeout, or a reply cut short or unreadable after the request
// left, is what a caller who stops its own su or sudo can make (status.h,
// Witnessed). Configuration faults refuse under both.
const std::vector<Row>& Rows() {
  static const std::vector<Row> rows = {
      {"refused", "", {"Couldn't connect to server"}, kUnavail, kOnlyIgnored, "fm_refused",
       "+15550300101"},
      {"hang", "", {"Timeout was reached", "with 0 bytes received"}, kUnavail, kUnavail,
       "fm_hang", "+15550300102"},
      // Headers at once, then a byte every 200 ms: only a total timeout ends it.
      {"drip", R"("drip_ms": 200)", {"Timeout was reached", " out of "}, kUnavail, kUnavail,
       "fm_drip", "+15550300103"},
      // A certificate the configured CA did not sign, or for another name:
      // ca_file or the URL is wrong, or someone is in the path. Not an
      // outage: refused under both failmodes.
      {"wrong_ca", "", {"SSL certificate problem: unable to get local issuer certificate"}, kUnavail, kUnavail, "fm_wrong_ca", "+15550300104"},
      {"wrong_host", "", {"no alternative certificate subject name matches target host name"}, kUnavail, kUnavail, "fm_wrong_host", "+15550300105"},
      {"http401", "", {"rejected the credentials", "(HTTP 401, Twilio 20003)"}, kUnavail, kUnavail,
       "fm_http401", "+15550300106"},
      {"http404", "", {"not found", "(HTTP 404, Twilio 20404)"}, kUnavail, kUnavail, "fm_http404",
       "+15550300107"},
      // A verification start's 429 (the service's rate limits, Verify's own
      // guard) is a refused send: whoever has the password can cause it.
      TestEnv().mode == "verify"
          ? Row{"http429", "", {"a rate limit", "(HTTP 429, Twilio 20429)"}, PAM_AUTH_ERR, PAM_AUTH_ERR,
                "fm_http429", "+15550300108"}
          : Row{"http429", "", {"rate limited", "(HTTP 429, Twilio 20429)"}, kUnavail, kOnlyIgnored,
                "fm_http429", "+15550300108"},
      {"http500", "", {"Twilio server error", "(HTTP 500, Twilio 20500)"}, kUnavail, kOnlyIgnored,
       "fm_http500", "+15550300109"},
      {"http503", "", {"Twilio server error", "(HTTP 503, Twilio 20503)"}, kUnavail, kOnlyIgnored,
       "fm_http503", "+15550300110"},
      {"garbage", "", {"garbage reply (not a JSON object)"}, kUnavail, kUnavail, "fm_garbage",
       "+15550300111"},
      {"truncated", "", {"Transferred a partial file"}, kUnavail, kUnavail, "fm_truncated",
       "+15550300112"},
      {"huge", "", {"too large (over 65536 bytes)"}, kUnavail, kUnavail, "fm_huge",
       "+15550300113"},
      // Twilio never redirects: a 3xx means the URL is wrong (a config fault).
      {"redirect", "", {"redirected", "(HTTP 302)"}, kUnavail, kUnavail, "fm_redirect",
       "+15550300114"},
      {"close", "", {"Empty reply from server"}, kUnavail, kUnavail, "fm_close", "+15550300115"},
  };
  return rows;
}

// Under failmode = "safe", answers that must deny (never success, never
// ignore): a code that is dead, a recipient Twilio refuses, bad credentials.
struct NeverThrough {
  const char* label;
  const char* control;  // the whole control file; %s is the send kind
  bool verify_only;     // the check is Twilio's only in verify mode
  int expected;
  std::vector<std::string> causes;
  const char* user;
  const char* number;
};

const std::vector<NeverThrough>& NeverThroughCases() {
  static const std::vector<NeverThrough> cases = {
      {"check 404/20404", R"({"fault": "http404", "only": "verification_check"})", true, PAM_AUTH_ERR,
       {"verification not found", "(HTTP 404, Twilio 20404)"}, "fmn_check404", "+15550300201"},
      {"check 429/60202",
       R"({"fault": "twilio_error", "error_http": 429, "error_code": 60202, "only": "verification_check"})", true,
       PAM_AUTH_ERR, {"max check attempts reached", "(HTTP 429, Twilio 60202)"}, "fmn_check60202",
       "+15550300202"},
      {"check 401/20003", R"({"fault": "http401", "only": "verification_check"})", true, kUnavail,
       {"rejected the credentials", "(HTTP 401, Twilio 20003)"}, "fmn_check401", "+15550300203"},
      {"send 404/20404", R"({"fault": "http404", "only": "%s"})", false, kUnavail,
       {"not found", "(HTTP 404, Twilio 20404)"}, "fmn_send404", "+15550300204"},
      {"send 403/60410", R"({"fault": "twilio_error", "error_http": 403, "error_code": 60410, "only": "%s"})",
       false, PAM_AUTH_ERR, {"blocked by Fraud Guard", "(HTTP 403, Twilio 60410)"}, "fmn_send60410",
       "+15550300205"},
      {"send 400/21610", R"({"fault": "twilio_error", "error_http": 400, "error_code": 21610, "only": "%s"})",
       false, PAM_AUTH_ERR, {"opted out", "(HTTP 400, Twilio 21610)"}, "fmn_send21610", "+15550300206"},
      {"send 401/20003", R"({"fault": "http401", "only": "%s"})", false, kUnavail,
       {"rejected the credentials", "(HTTP 401, Twilio 20003)"}, "fmn_send401", "+15550300207"},
  };
  return cases;
}

// Verify mode, failmode = "safe": the code was sent, a WRONG code is typed,
// and the check of it fails in transit. Nobody has verified the code typed,
// so the login is refused whatever failmode says.
struct CheckOutage {
  const char* fault;
  std::vector<std::string> causes;
  const char* user;
  const char* number;
};

const std::vector<CheckOutage>& CheckOutages() {
  static const std::vector<CheckOutage> cases = {
      {"hang", {"verification check", "Timeout was reached"}, "fmc_hang", "+15550300301"},
      {"http503", {"verification check", "(HTTP 503, Twilio 20503)"}, "fmc_http503", "+15550300302"},
      {"truncated", {"verification check", "Transferred a partial file"}, "fmc_truncated", "+15550300303"},
      {"huge", {"verification check", "too large"}, "fmc_huge", "+15550300304"},
  };
  return cases;
}

std::string UsersFile() { return TestEnv().dir + "/users-fault-matrix"; }

ConfigOptions Options(const char* failmode) {
  ConfigOptions o;
  o.failmode = failmode;
  o.users_file = UsersFile();
  o.state = "state-fault-matrix";
  o.timeout = kTimeout;
  o.total_timeout = kTotalTimeout;
  o.limits = "resend_cooldown = 0; sends_per_window = 100; max_failures = 100;";
  return o;
}

std::string PamName(int rc) {
  switch (rc) {
    case PAM_SUCCESS: return "PAM_SUCCESS";
    case PAM_AUTH_ERR: return "PAM_AUTH_ERR";
    case PAM_AUTHINFO_UNAVAIL: return "PAM_AUTHINFO_UNAVAIL";
    case PAM_PERM_DENIED: return "PAM_IGNORE(->PERM_DENIED)";  // kOnlyIgnored: the module said IGNORE
    case PAM_CONV_ERR: return "PAM_CONV_ERR";
    case PAM_SYSTEM_ERR: return "PAM_SYSTEM_ERR";
    default: return "PAM_" + std::to_string(rc);
  }
}

std::string ReadTrimmed(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

// How `in` looks in a Basic authorization header (OpenSSL's encoder).
std::string Base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

// Runs of 4 or more digits in `text` (a message body holds its code so).
std::vector<std::string> DigitRuns(const std::string& text) {
  std::vector<std::string> runs;
  std::string run;
  for (char c : text + " ") {
    if (c >= '0' && c <= '9') {
      run += c;
    } else {
      if (run.size() >= 4) runs.push_back(run);
      run.clear();
    }
  }
  return runs;
}

// What must never be in a log line: the credentials (as files hold them and
// as the Basic header carries them), every code sent to `number` (a Verify
// code, or the digits of a message body, even one a fault swallowed), and
// the number itself (logs mask it).
std::vector<std::string> Secrets(const std::string& number) {
  const std::string token = ReadTrimmed(TestEnv().token_file);
  const std::string key_secret = ReadTrimmed(TestEnv().api_key_secret_file);
  assert_true(token.size() >= 16);
  assert_true(key_secret.size() >= 16);
  std::vector<std::string> secrets = {token, key_secret, Base64(TestEnv().account_sid + ":" + token),
                                      Base64(TestEnv().api_key_sid + ":" + key_secret), number,
                                      number.substr(2)};  // without "+1"
  for (const auto& r : itest::Records()) {
    if (itest::Field(r, "to") != number) continue;
    if (!itest::Field(r, "code").empty()) secrets.push_back(itest::Field(r, "code"));
    for (const std::string& digits : DigitRuns(itest::Field(r, "body"))) secrets.push_back(digits);
  }
  return secrets;
}

void AssertNoSecret(const LoginLog& log, const std::string& number, const std::string& where) {
  const std::string logged = log.Joined();
  for (const std::string& secret : Secrets(number)) {
    if (secret.size() >= 4 && logged.find(secret) != std::string::npos) {
      print_error("%s: a secret (%zu chars, starting %.2s) is in the log:\n%s", where.c_str(), secret.size(),
                  secret.c_str(), logged.c_str());
      fail();
    }
  }
  if (logged.find("internal error") != std::string::npos) {
    print_error("%s: the module hit an internal error:\n%s", where.c_str(), logged.c_str());
    fail();
  }
}

bool NamesCause(const LoginLog& log, const std::vector<std::string>& causes) {
  for (const std::string& line : log.syslog) {
    bool all = true;
    for (const std::string& cause : causes) all = all && line.find(cause) != std::string::npos;
    if (all) return true;
  }
  return false;
}

void AssertNamesCause(const LoginLog& log, const std::vector<std::string>& causes, const std::string& where) {
  if (NamesCause(log, causes)) return;
  std::string wanted;
  for (const std::string& cause : causes) wanted += " \"" + cause + "\"";
  print_error("%s: no log line names the cause (one line with%s); the module logged:\n%s", where.c_str(),
              wanted.c_str(), log.Joined().c_str());
  fail();
}

// A loopback port bound but not listening: a connect is refused, and no
// other process can take the port while this lives.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot bind a loopback port");
    }
    port_ = ntohs(address.sin_port);
  }
  ~ClosedPort() { close(fd_); }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

struct Outcome {
  std::string label;
  int secure = -1, safe = -1;
  double secure_s = 0, safe_s = 0;
};
std::vector<Outcome>& Table() {
  static std::vector<Outcome> table;
  return table;
}

// One login of `user` under `failmode` with `control` in force; asserts the
// result, the time, the cause and the secrets. Returns the result and seconds.
std::pair<int, double> OneLogin(const Row& row, const char* failmode, int expected) {
  const std::string where = std::string(row.fault) + " failmode=" + failmode;
  ConfigOptions o = Options(failmode);
  std::unique_ptr<ClosedPort> closed;
  if (std::string(row.fault) == "refused") {
    closed = std::make_unique<ClosedPort>();
    o.twilio_url = closed->url();
    itest::SetFault("");
  } else {
    std::string control = std::string(R"({"fault": ")") + row.fault + "\"";
    // TLS faults happen before any request is read, so `only` can't apply.
    if (std::string(row.fault).rfind("wrong_", 0) != 0) control += R"(, "only": ")" + SendKind() + "\"";
    if (*row.control != '\0') control += std::string(", ") + row.control;
    itest::SetFault(control + "}");
  }
  const std::string service = MakeService(std::string("fault_matrix_") + failmode, o);
  Dialogue d{row.number, {{itest::Step::kFail, ""}}};  // no code can have been sent: a prompt is a failure
  LoginLog log;
  const auto started = std::chrono::steady_clock::now();
  const int rc = itest::RunLoginLogged(service, row.user, d, &log);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  itest::SetFault("");
  if (std::getenv("TWOTP_FAULT_MATRIX_VERBOSE") != nullptr) {
    std::printf("--- %s: %s in %.2f s\n%s", where.c_str(), PamName(rc).c_str(), seconds, log.Joined().c_str());
  }
  if (rc != expected) {
    print_error("%s: %s, expected %s; the module logged:\n%s", where.c_str(), PamName(rc).c_str(),
                PamName(expected).c_str(), log.Joined().c_str());
  }
  assert_int_equal(rc, expected);
  assert_true(rc != PAM_SUCCESS);
  // A refusal ends with the module's own sentence: retry, or ask whom.
  if (rc != kOnlyIgnored && !d.EndedWithAdvice()) fail_msg("%s: the user read no advice", where.c_str());
  if (seconds > Bound()) print_error("%s: took %.2f s (bound %.1f s)\n", where.c_str(), seconds, Bound());
  assert_true(seconds <= Bound());
  assert_true(d.prompts.empty());  // nothing was sent, so nothing was asked
  AssertNamesCause(log, row.causes, where);
  AssertNoSecret(log, row.number, where);
  if (!log.other.empty()) {
    print_error("%s: unexpected stderr output:\n%s", where.c_str(), log.Joined().c_str());
    fail();
  }
  return {rc, seconds};
}

void test_fault(void** state) {
  const Row& row = *static_cast<const Row*>(*state);
  Outcome outcome;
  outcome.label = row.fault;
  std::tie(outcome.secure, outcome.secure_s) = OneLogin(row, "secure", row.secure);
  Table().push_back(outcome);  // recorded now: a failure below still leaves the secure half in the table
  std::tie(Table().back().safe, Table().back().safe_s) = OneLogin(row, "safe", row.safe);
}

// One failmode=safe login of `user` with the fault already set; clears the
// fault, records the row `label` in the table, says what was expected when
// the result differs. Returns the PAM result; `seconds` the wall time.
int SafeLogin(const std::string& label, const std::string& where, const char* user, Dialogue& d, int expected,
              LoginLog* log, double* seconds) {
  const std::string service = MakeService("fault_matrix_safe", Options("safe"));
  const auto started = std::chrono::steady_clock::now();
  const int rc = itest::RunLoginLogged(service, user, d, log);
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  itest::SetFault("");
  Outcome outcome;
  outcome.label = label;
  outcome.safe = rc;
  outcome.safe_s = *seconds;
  Table().push_back(outcome);
  if (rc != expected) {
    print_error("%s: %s, expected %s; the module logged:\n%s", where.c_str(), PamName(rc).c_str(),
                PamName(expected).c_str(), log->Joined().c_str());
  }
  return rc;
}

void test_never_through_under_failsafe(void** state) {
  const NeverThrough& c = *static_cast<const NeverThrough*>(*state);
  if (c.verify_only && !VerifyMode()) {
    // Messaging mode checks the code itself (a keyed digest, single use,
    // policy.code_ttl): there is no Twilio check to answer 404 or 60202.
    // "send 404/20404" stands for the account or service Twilio can't find.
    skip();
  }
  const std::string where = std::string(c.label) + " failmode=safe";
  char control[256];
  std::snprintf(control, sizeof(control), c.control, SendKind().c_str());
  itest::SetFault(control);
  // The right code every time: a refusing check must deny even that.
  Dialogue d{c.number, {Right(), Right(), Right()}};
  LoginLog log;
  double seconds = 0;
  const int rc = SafeLogin(std::string("never through: ") + c.label, where, c.user, d, c.expected, &log, &seconds);
  assert_true(rc == PAM_AUTH_ERR || rc == PAM_AUTHINFO_UNAVAIL);  // never SUCCESS, never IGNORE
  assert_int_equal(rc, c.expected);
  AssertNamesCause(log, c.causes, where);
  AssertNoSecret(log, c.number, where);
}

void test_check_outage_after_a_wrong_code(void** state) {
  const CheckOutage& c = *static_cast<const CheckOutage*>(*state);
  if (!VerifyMode()) skip();  // messaging mode checks the code itself, offline
  const std::string where = std::string("check ") + c.fault + " after a wrong code, failmode=safe";
  itest::SetFault(std::string(R"({"fault": ")") + c.fault + R"(", "only": "verification_check"})");
  Dialogue d{c.number, {itest::Wrong(), itest::Wrong(), itest::Wrong()}};
  LoginLog log;
  double seconds = 0;
  const int rc = SafeLogin(std::string("wrong code, check ") + c.fault, where, c.user, d, kUnavail, &log, &seconds);
  assert_true(rc != PAM_SUCCESS);
  assert_int_equal(rc, kUnavail);
  assert_int_equal(d.prompts.size(), 1);  // the code was asked for, once
  if (seconds > Bound()) print_error("%s: took %.2f s (bound %.1f s)\n", where.c_str(), seconds, Bound());
  assert_true(seconds <= Bound());
  AssertNamesCause(log, c.causes, where);
  AssertNoSecret(log, c.number, where);
}

int Setup(void**) {
  std::string users = "# fault matrix users: one per row, numbers of their own\n";
  for (const Row& row : Rows()) users += std::string(row.user) + " " + row.number + " sms -\n";
  for (const NeverThrough& c : NeverThroughCases()) users += std::string(c.user) + " " + c.number + " sms -\n";
  for (const CheckOutage& c : CheckOutages()) users += std::string(c.user) + " " + c.number + " sms -\n";
  itest::WriteUsers(UsersFile(), users);
  itest::SetFault("");
  Table().clear();
  return 0;
}

// The table, in Markdown, for notes.
int PrintTable(void**) {
  itest::SetFault("");
  std::ostringstream out;
  out << "\nFault matrix: mode=" << TestEnv().mode << " backend=" << TestEnv().backend << ", twilio.timeout="
      << kTimeout << " s, total_timeout=" << kTotalTimeout << " s, bound " << Bound() << " s"
      << "\n\n"
      << "| fault | failmode=secure | s | failmode=safe | s |\n"
      << "| --- | --- | --- | --- | --- |\n";
  char seconds[32];
  for (const Outcome& o : Table()) {
    out << "| " << o.label << " | ";
    if (o.secure >= 0) {
      std::snprintf(seconds, sizeof(seconds), "%.2f", o.secure_s);
      out << PamName(o.secure) << " | " << seconds << " | ";
    } else {
      out << "- | - | ";
    }
    if (o.safe >= 0) {
      std::snprintf(seconds, sizeof(seconds), "%.2f", o.safe_s);
      out << PamName(o.safe) << " | " << seconds << " |\n";
    } else {
      out << "(failed) | - |\n";
    }
  }
  std::fputs(out.str().c_str(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace

int RunFaultMatrixTests() {
  std::vector<CMUnitTest> tests;
  std::vector<std::string> names;  // kept alive until the group has run
  names.reserve(Rows().size() + NeverThroughCases().size() + CheckOutages().size());
  for (const Row& row : Rows()) {
    names.push_back(std::string("fault_") + row.fault);
    tests.push_back(CMUnitTest{names.back().c_str(), test_fault, nullptr, nullptr, const_cast<Row*>(&row)});
  }
  for (const NeverThrough& c : NeverThroughCases()) {
    std::string name = std::string("never_through_failsafe: ") + c.label;
    names.push_back(name);
    tests.push_back(CMUnitTest{names.back().c_str(), test_never_through_under_failsafe, nullptr, nullptr,
                               const_cast<NeverThrough*>(&c)});
  }
  for (const CheckOutage& c : CheckOutages()) {
    names.push_back(std::string("check_outage_after_wrong_code: ") + c.fault);
    tests.push_back(CMUnitTest{names.back().c_str(), test_check_outage_after_a_wrong_code, nullptr, nullptr,
                               const_cast<CheckOutage*>(&c)});
  }
  const std::string group = "fault_matrix_" + TestEnv().mode + (TestEnv().backend == "ldap" ? "_ldap" : "");
  return _cmocka_run_group_tests(group.c_str(), tests.data(), tests.size(), Setup, PrintTable);
}
