#include "harness.h"

#include <pwd.h>
#include <security/pam_appl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

extern "C" {
#include <libpamtest.h>
}

namespace itest {

namespace {

std::string Need(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') throw std::runtime_error(std::string("missing env ") + name);
  return value;
}

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

// Under ldap, the unit standing in for a users file: its base name.
std::string UnitFor(const std::string& users_file) { return users_file.substr(users_file.rfind('/') + 1); }

// A host of the fleet: its provider first, then the other; the state
// account's bind; the fleet state in the directory.
std::string FleetDirectoryText(const ConfigOptions& o, const std::string& users_file) {
  const Env& env = TestEnv();
  const LdapEnv& first = o.fleet_host == "A" ? env.fleet_a : env.fleet_b;
  const LdapEnv& second = o.fleet_host == "A" ? env.fleet_b : env.fleet_a;
  const std::string uris = Quote(first.uri) + (o.fleet_own_provider_only ? "" : ", " + Quote(second.uri));
  // The hosts bind as the state account; an administrator's config as the root DN.
  const std::string& bind_dn = o.fleet_admin ? first.root_dn : env.state_dn;
  const std::string& bind_pw = o.fleet_admin ? first.pw_file : env.state_pw_file;
  return "directory = {\n  backend = \"ldap\";\n  ldap = {\n    uri = [" + uris + "];\n    ca_file = " +
         Quote(first.ca) + ";\n    bind_dn = " + Quote(bind_dn) + ";\n    bind_password_file = " + Quote(bind_pw) +
         ";\n    base = " + Quote("ou=" + UnitFor(users_file) + "," + first.base) +
         ";\n    channel_attribute = \"otpChannel\";\n    timeout = 2;\n  };\n};\n"
         "state = { backend = \"ldap\"; " + o.fleet_state + " };\n";
}

std::string DirectoryText(const ConfigOptions& o) {
  const Env& env = TestEnv();
  const std::string users_file = o.users_file.empty() ? UsersFilePath() : o.users_file;
  if (!o.fleet_host.empty()) return FleetDirectoryText(o, users_file);
  if (env.backend != "ldap") return "directory = { backend = \"file\"; file = " + Quote(users_file) + "; };\n";
  // A writing bind: enrolment at login and the CLI change numbers.
  return "directory = {\n  backend = \"ldap\";\n  ldap = {\n    uri = [" +
         (o.ldap_uris.empty() ? Quote(env.ldap.uri) : o.ldap_uris) + "];\n    ca_file = " + Quote(env.ldap.ca) +
         ";\n    bind_dn = " + Quote(env.ldap.root_dn) + ";\n    bind_password_file = " + Quote(env.ldap.pw_file) +
         ";\n    base = " + Quote("ou=" + UnitFor(users_file) + "," + env.ldap.base) +
         ";\n    channel_attribute = \"otpChannel\";\n    timeout = 2;\n  };\n};\n";
}

// The unit each service's users live in (ldap backend).
std::map<std::string, std::string>& UnitOfService() {
  static std::map<std::string, std::string> units;
  return units;
}

std::string ConfigText(const ConfigOptions& o) {
  const Env& env = TestEnv();
  std::ostringstream c;
  c << "twilio = {\n  mode = " << Quote(env.mode) << ";\n  account_sid = " << Quote(env.account_sid) << ";\n";
  if (o.use_api_key) {
    c << "  api_key_sid = " << Quote(env.api_key_sid) << ";\n  api_key_secret_file = "
      << Quote(env.api_key_secret_file) << ";\n";
  } else {
    c << "  auth_token_file = " << Quote(o.token_file.empty() ? env.token_file : o.token_file) << ";\n";
  }
  if (env.mode == "verify") {
    c << "  verify_service_sid = " << Quote(env.verify_sid) << ";\n";
  } else {
    c << "  from = " << Quote(env.from) << ";\n";
  }
  const std::string& url = o.twilio_url.empty() ? env.url : o.twilio_url;
  if (o.write_urls) c << "  api_url = " << Quote(url) << ";\n  verify_url = " << Quote(url) << ";\n";
  c << "  ca_file = " << Quote(env.ca) << ";\n  timeout = " << o.timeout << ";\n"
    << "  total_timeout = " << o.total_timeout << ";\n" << o.twilio << "\n};\n"
    << DirectoryText(o)
    << "policy = {\n  max_attempts = " << o.max_attempts << ";\n  failmode = " << Quote(o.failmode)
    << ";\n  unenrolled = " << Quote(o.unenrolled) << ";\n  channels = [" << o.channels << "];\n"
    << o.policy << "\n};\n"
    << "limits = { " << o.limits << " };\n"
    << "state_dir = " << Quote(env.dir + "/" + o.state) << ";\n"
    << o.extra_top;
  return c.str();
}

// libpamtest hands our Dialogue to this conversation function.
int Converse(int num_msg, const struct pam_message** msg, struct pam_response** resp, void* data) {
  auto* d = static_cast<Dialogue*>(data);
  if (d->fail_everything) return PAM_CONV_ERR;
  auto* replies = static_cast<struct pam_response*>(calloc(num_msg, sizeof(struct pam_response)));
  if (replies == nullptr) return PAM_BUF_ERR;
  for (int i = 0; i < num_msg; ++i) {
    const std::string text = msg[i]->msg == nullptr ? "" : msg[i]->msg;
    switch (msg[i]->msg_style) {
      case PAM_TEXT_INFO: d->infos.push_back(text); break;
      case PAM_ERROR_MSG: d->errors.push_back(text); break;
      case PAM_PROMPT_ECHO_OFF:
      case PAM_PROMPT_ECHO_ON: {
        d->prompts.push_back(text);
        if (d->at_prompt) d->at_prompt();
        if (d->next >= d->steps.size() || d->steps[d->next].kind == Step::kFail) {
          free(replies);
          return PAM_CONV_ERR;
        }
        const Step& step = d->steps[d->next++];
        if (step.kind == Step::kNoReplies) {
          free(replies);
          *resp = nullptr;
          return PAM_SUCCESS;
        }
        if (step.kind == Step::kNullReply) break;  // calloc left resp NULL
        std::string answer = step.text;
        if (step.kind == Step::kRightCode || step.kind == Step::kWrongCode) answer = LastCode(d->number);
        if (step.kind == Step::kWrongCode) {
          for (char& c : answer) c = static_cast<char>('0' + (c - '0' + 1) % 10);
        }
        replies[i].resp = strdup(answer.c_str());
        break;
      }
      default: break;
    }
  }
  *resp = replies;
  return PAM_SUCCESS;
}

}  // namespace

const Env& TestEnv() {
  static const Env env = [] {
    Env e;
    e.dir = Need("TWOTP_TEST_DIR");
    e.mode = Need("TWOTP_MODE");
    e.url = Need("FAKE_TWILIO_URL");
    e.ca = Need("FAKE_TWILIO_CA");
    e.fake_dir = Need("FAKE_TWILIO_DIR");
    e.account_sid = Need("FAKE_TWILIO_ACCOUNT_SID");
    e.token_file = Need("FAKE_TWILIO_TOKEN_FILE");
    e.api_key_sid = Need("FAKE_TWILIO_API_KEY_SID");
    e.api_key_secret_file = Need("FAKE_TWILIO_API_KEY_SECRET_FILE");
    e.verify_sid = Need("FAKE_TWILIO_VERIFY_SID");
    e.messaging_sid = Need("FAKE_TWILIO_MESSAGING_SID");
    e.from = Need("FAKE_TWILIO_FROM");
    e.cli = Need("TWOTP_CLI");
    if (const char* backend = std::getenv("TWOTP_BACKEND"); backend != nullptr && *backend != '\0') {
      e.backend = backend;
    }
    if (e.backend == "ldap") {
      e.ldap = LdapEnv{Need("TWOTP_LDAPS_URI"), Need("TWOTP_LDAP_CA"), Need("TWOTP_LDAP_BASE"),
                       Need("TWOTP_LDAP_ROOT_DN"), Need("TWOTP_LDAP_PW_FILE")};
      if (const char* a = std::getenv("TWOTP_FLEET_URI_A"); a != nullptr && *a != '\0') {
        e.fleet_a = LdapEnv{a, e.ldap.ca, e.ldap.base, Need("TWOTP_FLEET_ROOT_DN"), Need("TWOTP_FLEET_ROOT_PW_FILE")};
        e.fleet_b = e.fleet_a;
        e.fleet_b.uri = Need("TWOTP_FLEET_URI_B");
        e.fleet_suffix = Need("TWOTP_FLEET_SUFFIX");
        e.state_dn = Need("TWOTP_FLEET_STATE_DN");
        e.state_pw_file = Need("TWOTP_FLEET_STATE_PW_FILE");
        e.fleet_pid_b = std::atoi(Need("TWOTP_FLEET_PID_B").c_str());
      }
    }
    return e;
  }();
  return env;
}

void WriteFile(const std::string& path, const std::string& text, int mode) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  if (chmod(tmp.c_str(), static_cast<mode_t>(mode)) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot install " + path);
  }
}

std::string UsersFilePath() { return TestEnv().dir + "/users"; }

void WriteUsers(const std::string& path, const std::string& text) {
  if (TestEnv().backend == "ldap") {
    LdapLoadUsers(TestEnv().ldap, UnitFor(path), text);
  } else {
    WriteFile(path, text, 0600);
  }
}

// pam_wrapper copies the service directory once, when the process starts, so
// run.sh writes service files "twotp_slot<N>" (and "twotp_items_slot<N>",
// behind pam_set_items) whose config is <dir>/slot<N>.conf (items_slot<N>.conf)
// up front; a test's service is a slot, and writing it means writing that config.
std::string MakeServiceWithConfigText(const std::string& name, const std::string& text, bool set_items) {
  static std::map<std::string, int> slots[2];
  auto& table = slots[set_items ? 1 : 0];
  const int slot = table.emplace(name, static_cast<int>(table.size())).first->second;
  if (slot >= std::stoi(Need("TWOTP_SERVICE_SLOTS"))) throw std::runtime_error("out of service slots");
  const std::string base = std::string(set_items ? "items_slot" : "slot") + std::to_string(slot);
  WriteFile(TestEnv().dir + "/" + base + ".conf", text, 0600);
  return "twotp_" + base;
}

std::string MakeService(const std::string& name, const ConfigOptions& options, bool set_items) {
  const std::string service = MakeServiceWithConfigText(name, ConfigText(options), set_items);
  UnitOfService()[service] = UnitFor(options.users_file.empty() ? UsersFilePath() : options.users_file);
  return service;
}

std::string ConfigPathOf(const std::string& service) {
  return TestEnv().dir + "/" + service.substr(std::string("twotp_").size()) + ".conf";
}

void SetRemoteHost(const std::string& rhost) {
  if (rhost.empty()) {
    unsetenv("PAM_RHOST");
  } else {
    setenv("PAM_RHOST", rhost.c_str(), 1);
  }
}

std::string RunCli(const std::string& config, const std::string& args) {
  const std::string command = TestEnv().cli + " --config " + config + " " + args;
  FILE* out = popen(command.c_str(), "r");
  if (out == nullptr) throw std::runtime_error("cannot run " + command);
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), out)) > 0) text.append(buffer, n);
  pclose(out);
  return text;
}

void SetFault(const std::string& json) {
  WriteFile(TestEnv().fake_dir + "/control.json", json.empty() ? "{}" : json, 0644);
}

bool Dialogue::EndedWithAdvice() const {
  if (errors.empty()) return false;
  for (const char* advice : {"try again", "administrator", "log in again", "voice call", "new one"}) {
    if (errors.back().find(advice) != std::string::npos) return true;
  }
  return false;
}

bool Dialogue::Showed(const std::string& needle) const {
  for (const auto* list : {&infos, &errors, &prompts}) {
    for (const std::string& line : *list) {
      if (line.find(needle) != std::string::npos) return true;
    }
  }
  return false;
}

namespace {

std::mutex g_passwd_mutex;  // logins run in threads (abuse_test's ParallelLogins)

bool CouldBeAccountName(const std::string& name) {
  if (name.empty() || name.size() > 32 || name[0] == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
  });
}

// Appends `name`'s line to nss_wrapper's passwd. WriteFile renames a new
// file into place, and nss_wrapper reopens a replaced file at its next
// lookup; a rewrite in place within the same second would go unnoticed (it
// compares whole-second mtimes). That reload is done here, in one thread:
// a lookup in another thread while nss_wrapper reloads finds nothing.
void AppendPasswd(const std::string& name, const std::string& line) {
  const std::string path = Need("NSS_WRAPPER_PASSWD");
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  WriteFile(path, text.str() + line + "\n", 0644);
  struct passwd entry {};
  struct passwd* found = nullptr;
  char buffer[4096];
  if (getpwnam_r(name.c_str(), &entry, buffer, sizeof buffer, &found) != 0 || found == nullptr) {
    throw std::runtime_error("nss_wrapper does not see the new passwd line of " + name);
  }
}

// The names the harness gave a passwd line, and their uids (guarded by g_passwd_mutex).
std::map<std::string, unsigned>& Uids() {
  static std::map<std::string, unsigned> uids;
  return uids;
}

// With g_passwd_mutex held: `user`'s uid, its passwd line added first if
// it has none yet.
unsigned AccountUid(const std::string& user) {
  std::map<std::string, unsigned>& uids = Uids();
  const auto [it, added] = uids.emplace(user, 30000 + static_cast<unsigned>(uids.size()));
  if (added) {
    const std::string id = std::to_string(it->second);
    AppendPasswd(user, user + ":x:" + id + ":" + id + ":" + user + ":/nonexistent:/usr/sbin/nologin");
  }
  return it->second;
}

}  // namespace

void EnsureAccount(const std::string& user) {
  if (!CouldBeAccountName(user)) return;
  std::lock_guard<std::mutex> lock(g_passwd_mutex);
  AccountUid(user);
}

void AddAccountAlias(const std::string& alias, const std::string& account) {
  std::lock_guard<std::mutex> lock(g_passwd_mutex);
  const unsigned uid = AccountUid(account);
  if (!Uids().emplace(alias, uid).second) throw std::runtime_error(alias + " has a passwd line already");
  const std::string id = std::to_string(uid);
  AppendPasswd(alias, alias + ":x:" + id + ":" + id + ":" + account + ":/nonexistent:/usr/sbin/nologin");
}

int RunLogin(const std::string& service, const std::string& user, Dialogue& dialogue) {
  EnsureAccount(user);
  const auto unit = UnitOfService().find(service);
  if (TestEnv().backend == "ldap" && unit != UnitOfService().end()) LdapEnsureUser(TestEnv().ldap, unit->second, user);
  struct pam_testcase tests[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
  (void)_pamtest_conv(service.c_str(), user.c_str(), Converse, &dialogue, tests, 1, nullptr);
  return tests[0].op_rv;
}

ConfigOptions Isolated(const std::string& name, const std::string& user, const std::string& number) {
  ConfigOptions o;
  o.users_file = TestEnv().dir + "/users-" + name;
  WriteUsers(o.users_file, user + " " + number + " sms -\n");
  o.state = "state-" + name;
  return o;
}

std::vector<int> RunLoginsAtOnce(const std::vector<std::string>& services, const std::vector<std::string>& users,
                                 std::vector<Dialogue>& dialogues) {
  std::vector<int> results(users.size(), -1);
  // Before the threads: nss_wrapper's reload is not thread-safe.
  for (const std::string& user : users) EnsureAccount(user);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < users.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = RunLogin(services[i], users[i], dialogues[i]); });
  }
  for (std::thread& t : threads) t.join();
  return results;
}

std::vector<int> RunLoginsAtOnce(const std::string& service, const std::vector<std::string>& users,
                                 std::vector<Dialogue>& dialogues) {
  return RunLoginsAtOnce(std::vector<std::string>(users.size(), service), users, dialogues);
}

void FleetWriteUsers(const std::string& path, const std::string& text, bool state_class) {
  LdapLoadUsers(TestEnv().fleet_a, UnitFor(path), text, state_class);
}

void FleetWaitReplicated() { LdapWaitReplicated(TestEnv().fleet_a, TestEnv().fleet_b, TestEnv().fleet_suffix); }

std::vector<std::string> FleetValuesOf(const LdapEnv& env, const std::string& users_file, const std::string& user,
                                       const std::string& attribute) {
  return LdapValuesOf(env, "uid=" + user + ",ou=" + UnitFor(users_file) + "," + env.base, attribute);
}

nlohmann::json UserStatus(const std::string& service, const std::string& user) {
  return nlohmann::json::parse(RunCli(ConfigPathOf(service), "status " + user + " --json"));
}

bool LoginLog::Has(const std::string& needle) const {
  return std::any_of(syslog.begin(), syslog.end(),
                     [&](const std::string& line) { return line.find(needle) != std::string::npos; });
}

std::string LoginLog::Joined() const {
  std::string text;
  for (const auto* list : {&syslog, &other}) {
    for (const std::string& line : *list) text += line + "\n";
  }
  return text;
}

namespace {
// While alive: stderr goes to an unlinked temp file and pam_wrapper prints
// pam_syslog lines of every priority (it reads PAM_WRAPPER_DEBUGLEVEL on each).
class StderrCapture {
 public:
  StderrCapture() {
    std::string path = TestEnv().dir + "/login-log.XXXXXX";
    fd_ = mkstemp(path.data());
    if (fd_ < 0) throw std::runtime_error("mkstemp failed");
    unlink(path.c_str());
    if (const char* level = std::getenv("PAM_WRAPPER_DEBUGLEVEL"); level != nullptr) saved_level_ = level;
    fflush(stderr);
    saved_stderr_ = dup(STDERR_FILENO);
    if (saved_stderr_ < 0 || dup2(fd_, STDERR_FILENO) < 0) throw std::runtime_error("cannot redirect stderr");
    setenv("PAM_WRAPPER_DEBUGLEVEL", "2", 1);  // errors, warnings and debug: every pam_syslog priority
  }
  ~StderrCapture() {
    Restore();
    close(fd_);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  // Puts stderr back and returns what was written meanwhile.
  std::string Take() {
    Restore();
    std::string text;
    char buffer[4096];
    ssize_t n;
    lseek(fd_, 0, SEEK_SET);
    while ((n = read(fd_, buffer, sizeof(buffer))) > 0) text.append(buffer, static_cast<size_t>(n));
    return text;
  }

 private:
  void Restore() {
    if (saved_stderr_ < 0) return;
    fflush(stderr);
    dup2(saved_stderr_, STDERR_FILENO);
    close(saved_stderr_);
    saved_stderr_ = -1;
    if (saved_level_) {
      setenv("PAM_WRAPPER_DEBUGLEVEL", saved_level_->c_str(), 1);
    } else {
      unsetenv("PAM_WRAPPER_DEBUGLEVEL");
    }
  }
  int fd_ = -1;
  int saved_stderr_ = -1;
  std::optional<std::string> saved_level_;
};
}  // namespace

int RunLoginLogged(const std::string& service, const std::string& user, Dialogue& dialogue, LoginLog* log) {
  std::string text;
  int rc;
  {
    StderrCapture capture;
    rc = RunLogin(service, user, dialogue);
    text = capture.Take();
  }
  *log = LoginLog{};
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("PWRAP_")) {
      if (!line.empty()) log->other.push_back(line);
      continue;
    }
    if (const size_t tag = line.find(" - SYSLOG("); tag != std::string::npos) {
      const size_t text_at = line.find("): ", tag);
      log->syslog.push_back(text_at == std::string::npos ? line : line.substr(text_at + 3));
    }
  }
  return rc;
}

std::string Field(const nlohmann::json& record, const char* key) {
  const auto it = record.find(key);
  return it != record.end() && it->is_string() ? it->get<std::string>() : "";
}

namespace {
size_t records_seen = 0;  // lines before this index belong to earlier runs

std::vector<nlohmann::json> AllRecords() {
  std::vector<nlohmann::json> records;
  std::ifstream in(TestEnv().fake_dir + "/records.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    // The stand-in may be appending the last line right now: a line not yet
    // ended by its newline is not a record yet.
    if (in.eof()) break;
    if (!line.empty()) records.push_back(nlohmann::json::parse(line));
  }
  return records;
}
}  // namespace

void ForgetRecords() { records_seen = AllRecords().size(); }

std::vector<nlohmann::json> Records() {
  std::vector<nlohmann::json> records = AllRecords();
  records.erase(records.begin(), records.begin() + static_cast<long>(std::min(records_seen, records.size())));
  return records;
}

bool Answered(const nlohmann::json& record) {
  const auto status = record.find("status");
  return status != record.end() && status->is_number_integer() && status->get<int>() < 300;
}

namespace {
bool IsAnswered(const nlohmann::json& r, const std::string& kind, const std::string& to) {
  return Field(r, "kind") == kind && Field(r, "to") == to && Answered(r);
}
}  // namespace

int CountRecords(const std::string& kind, const std::string& to) {
  int n = 0;
  for (const auto& r : Records()) n += IsAnswered(r, kind, to) ? 1 : 0;
  return n;
}

nlohmann::json LastRecord(const std::string& kind, const std::string& to) {
  nlohmann::json last = nlohmann::json::object();
  for (const auto& r : Records()) {
    if (IsAnswered(r, kind, to)) last = r;
  }
  return last;
}

namespace {
// A request that sends a code: a verification, a message or a call.
bool IsSend(const nlohmann::json& record) {
  const std::string kind = Field(record, "kind");
  return (kind == "verification" || kind == "message" || kind == "call") && Answered(record);
}
}  // namespace

int CountSends(const std::string& to) {
  int n = 0;
  for (const auto& r : Records()) n += IsSend(r) && Field(r, "to") == to;
  return n;
}

int TotalSends() {
  int n = 0;
  for (const auto& r : Records()) n += IsSend(r);
  return n;
}

std::string LastCode(const std::string& to) {
  std::string code;
  for (const auto& r : Records()) {
    if (IsSend(r) && Field(r, "to") == to && !Field(r, "code").empty()) {
      code = Field(r, "code");
    }
  }
  return code;
}

}  // namespace itest
