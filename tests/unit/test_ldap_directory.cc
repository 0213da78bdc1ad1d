// directory/ldap_directory: LdapDirectory against real slapd instances.
// tests/ldap/run.sh starts them (tests/ldap/slapd_env.sh) and sets
// TWOTP_LDAP_*; without TWOTP_LDAP_URI every server test is skipped and only
// the filter-escaping test runs.
//
//   TWOTP_LDAP_URI, TWOTP_LDAPS_URI     instance A (plain/StartTLS, ldaps)
//   TWOTP_LDAP_URI2, TWOTP_LDAPS_URI2   instance B, same data + 600 users
//   TWOTP_LDAP_CLOSED_URI[2]            loopback ports nobody listens on
//   TWOTP_LDAP_SILENT_URI               accepts connections, never answers
//   TWOTP_LDAP_SILENT_LDAPS_URI         the same listener as ldaps://
//   TWOTP_LDAP_NO_CONNECT_URI           a listener whose connects never complete
//   TWOTP_LDAP_RESET_URI                accepts the bind, then resets the connection
//   TWOTP_LDAP_CA, TWOTP_LDAP_WRONG_CA  the servers' CA, and an unrelated one
//   TWOTP_LDAP_BASE, TWOTP_LDAP_ROOT_DN, TWOTP_LDAP_PW_FILE
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "directory/ldap_directory.h"
#include "login/login.h"

// Last: cmocka defines a fail() macro that breaks <ios> if included before it.
#include "cmocka_cxx.h"

using twotp::Fault;
using twotp::FileTrust;
using twotp::LdapConfig;
using twotp::LdapDirectory;
using twotp::LdapFilterFor;
using twotp::PhoneRecord;

namespace {

class VectorLogger : public twotp::Logger {
 public:
  void Write(twotp::LogLevel, const std::string& line) override { lines.push_back(line); }
  std::vector<std::string> lines;
};

std::string Env(const char* name) {
  const char* v = getenv(name);
  return v != nullptr ? v : "";
}

// skip() jumps out of the test: call it before any C++ object is built.
#define NEED_SERVER()                              \
  do {                                             \
    if (getenv("TWOTP_LDAP_URI") == nullptr) skip(); \
  } while (0)

LdapConfig Config(std::vector<std::string> uris) {
  LdapConfig c;
  c.uri = std::move(uris);
  c.base = Env("TWOTP_LDAP_BASE");
  c.timeout = 2;
  return c;
}

LdapConfig RootTls() {
  LdapConfig c = Config({Env("TWOTP_LDAPS_URI")});
  c.ca_file = Env("TWOTP_LDAP_CA");
  c.bind_dn = Env("TWOTP_LDAP_ROOT_DN");
  c.bind_password_file = Env("TWOTP_LDAP_PW_FILE");
  return c;
}

// Test state shared by one test: the logger and the trust the directory uses.
struct World {
  VectorLogger log;
  FileTrust trust{getuid()};
  twotp::Result<PhoneRecord> Lookup(LdapConfig c, const std::string& user) {
    LdapDirectory dir(std::move(c), trust, log);
    return dir.Lookup(user);
  }
};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void test_filter_escapes_per_rfc4515(void**) {
  auto f = LdapFilterFor("(uid=%u)", "*)(uid=*");
  assert_true(f.ok());
  assert_string_equal(f->c_str(), "(uid=\\2A\\29\\28uid=\\2A)");
  f = LdapFilterFor("(|(uid=%u)(mail=%u@x))", "a\\b");
  assert_true(f.ok());
  assert_string_equal(f->c_str(), "(|(uid=a\\5Cb)(mail=a\\5Cb@x))");
  f = LdapFilterFor("(uid=%u)", std::string_view("a\0b", 3));
  assert_true(f.ok());
  assert_string_equal(f->c_str(), "(uid=a\\00b)");
  f = LdapFilterFor("(uid=%u)", "");
  assert_true(f.status().Is(Fault::kBadInput));
}

void test_lookup_ok(void**) {
  NEED_SERVER();
  World w;
  auto r = w.Lookup(Config({Env("TWOTP_LDAP_URI")}), "alice");
  assert_true(r.ok());
  assert_string_equal(r->number.c_str(), "+15550104567");
  assert_string_equal(r->user.c_str(), "alice");
}

void test_entry_without_attribute_or_no_entry_is_not_enrolled(void**) {
  NEED_SERVER();
  World w;
  auto r = w.Lookup(Config({Env("TWOTP_LDAP_URI")}), "bob");
  assert_true(r.status().Is(Fault::kNotFound));
  assert_true(Contains(r.status().message(), "uid=bob,"));
  r = w.Lookup(Config({Env("TWOTP_LDAP_URI")}), "nobody");
  assert_true(r.status().Is(Fault::kNotFound));
}

void test_duplicate_entries_and_values_are_directory_faults(void**) {
  NEED_SERVER();
  World w;
  auto r = w.Lookup(Config({Env("TWOTP_LDAP_URI")}), "dave");
  assert_true(r.status().Is(Fault::kDirectory));
  assert_true(Contains(r.status().message(), "2 entries"));
  r = w.Lookup(Config({Env("TWOTP_LDAP_URI")}), "erin");
  assert_true(r.status().Is(Fault::kDirectory));
  assert_true(Contains(r.status().message(), "2 values"));
}

void test_bad_number_names_the_entry_not_the_value(void**) {
  NEED_SERVER();
  World w;
  auto r = w.Lookup(Config({Env("TWOTP_LDAP_URI")}), "carol");
  assert_true(r.status().Is(Fault::kDirectory));
  assert_true(Contains(r.status().message(), "uid=carol,ou=people"));
  assert_false(Contains(r.status().message(), "CALL"));
}

void test_filter_injection_names_match_only_themselves(void**) {
  NEED_SERVER();
  World w;
  const LdapConfig c = Config({Env("TWOTP_LDAP_URI")});
  // Unescaped, "*)(uid=*" would match every entry (a kDirectory "N entries").
  auto r = w.Lookup(c, "*)(uid=*");
  assert_true(r.ok());
  assert_string_equal(r->number.c_str(), "+15550100001");
  r = w.Lookup(c, "back\\slash");
  assert_true(r.ok());
  assert_string_equal(r->number.c_str(), "+15550100002");
  for (const char* odd : {"\\", "(", ")", "*", "alice)(uid=*", "al*", "alice\\", "(uid=alice)"}) {
    r = w.Lookup(c, odd);
    if (!r.status().Is(Fault::kNotFound)) {
      fail_msg("user %s: %s", odd, r.ok() ? r->number.c_str() : r.status().ToString().c_str());
    }
  }
}

void test_first_uri_down_second_answers(void**) {
  NEED_SERVER();
  World w;
  auto r = w.Lookup(Config({Env("TWOTP_LDAP_CLOSED_URI"), Env("TWOTP_LDAP_URI2")}), "alice");
  assert_true(r.ok());
  assert_string_equal(r->number.c_str(), "+15550104567");
  assert_true(Contains(w.log.lines.at(0), "trying the next URI"));
}

// No server could be contacted: an outage, but nothing the caller of the
// login could not have made (descriptors starved, the process stopped), so
// it is not witnessed and failmode=safe refuses too.
void test_all_down_is_an_unwitnessed_outage(void**) {
  NEED_SERVER();
  World w;
  auto r = w.Lookup(Config({Env("TWOTP_LDAP_CLOSED_URI"), Env("TWOTP_LDAP_CLOSED_URI2")}), "alice");
  assert_true(r.status().Is(Fault::kUnavailable));
  assert_false(r.status().witnessed());
  assert_int_equal(twotp::VerdictForFault(r.status(), twotp::FailMode::kSafe), twotp::Verdict::kRefuse);
  assert_int_equal(twotp::VerdictForFault(r.status(), twotp::FailMode::kSecure), twotp::Verdict::kRefuse);
}

// A lookup against `c` (timeout 1 s) is kUnavailable, not before that second
// (it waited) and well before ten (it did not hang; a busy machine is slow).
void ExpectTimesOut(World& w, const LdapConfig& c, const char* what) {
  const auto start = std::chrono::steady_clock::now();
  auto r = w.Lookup(c, "alice");
  const double took = Seconds(start);
  if (!r.status().Is(Fault::kUnavailable)) fail_msg("%s: %s", what, r.status().ToString().c_str());
  if (took < 0.9 || took > 10.0) fail_msg("%s, timeout 1 took %.2f s", what, took);
}

void test_silent_server_times_out_as_unavailable(void**) {
  NEED_SERVER();
  World w;
  LdapConfig c = Config({Env("TWOTP_LDAP_SILENT_URI")});
  c.timeout = 1;
  ExpectTimesOut(w, c, "silent");
  // The same server behind ldaps://: it accepts TCP, then never answers
  // the TLS ClientHello (libldap alone would spin there for ever).
  LdapConfig ldaps = c;
  ldaps.uri = {Env("TWOTP_LDAP_SILENT_LDAPS_URI")};
  ldaps.ca_file = Env("TWOTP_LDAP_CA");
  ExpectTimesOut(w, ldaps, "ldaps");
  // And behind StartTLS: the StartTLS request itself times out.
  LdapConfig starttls = c;
  starttls.starttls = true;
  starttls.ca_file = Env("TWOTP_LDAP_CA");
  ExpectTimesOut(w, starttls, "starttls");
  // A connect that never completes (SYNs dropped).
  LdapConfig no_connect = c;
  no_connect.uri = {Env("TWOTP_LDAP_NO_CONNECT_URI")};
  ExpectTimesOut(w, no_connect, "no connect");
  // And a silent first server only delays the failover by the timeout.
  c.uri.push_back(Env("TWOTP_LDAP_URI2"));
  const auto start = std::chrono::steady_clock::now();
  auto r = w.Lookup(c, "alice");
  assert_true(r.ok());
  assert_true(Seconds(start) < 10.0);  // a hang, not a slow machine
}

// libldap writes with write(2): a write to a reset connection raises
// SIGPIPE, whose default action would kill sshd's or sudo's process.
void test_a_reset_connection_is_unavailable_not_fatal(void**) {
  NEED_SERVER();
  World w;
  // Whether the reset reaches the client before its next write is a race:
  // twenty tries make the write that raises SIGPIPE all but certain.
  for (int i = 0; i < 20; ++i) {
    auto r = w.Lookup(Config({Env("TWOTP_LDAP_RESET_URI")}), "alice");
    if (!r.status().Is(Fault::kUnavailable)) fail_msg("%s", r.status().ToString().c_str());
  }
  // And a SIGPIPE of the caller's own, pending before, is left to it.
  sigset_t pipe_only, saved, pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  assert_int_equal(pthread_sigmask(SIG_BLOCK, &pipe_only, &saved), 0);
  assert_int_equal(raise(SIGPIPE), 0);
  auto r = w.Lookup(Config({Env("TWOTP_LDAP_RESET_URI")}), "alice");
  assert_true(r.status().Is(Fault::kUnavailable));
  assert_int_equal(sigpending(&pending), 0);
  assert_int_equal(sigismember(&pending, SIGPIPE), 1);
  const timespec now{0, 0};
  assert_int_equal(sigtimedwait(&pipe_only, nullptr, &now), SIGPIPE);
  assert_int_equal(pthread_sigmask(SIG_SETMASK, &saved, nullptr), 0);
}

void test_ldaps_and_starttls_verify_the_certificate(void**) {
  NEED_SERVER();
  World w;
  LdapConfig ldaps = Config({Env("TWOTP_LDAPS_URI")});
  ldaps.ca_file = Env("TWOTP_LDAP_CA");
  auto r = w.Lookup(ldaps, "alice");
  assert_true(r.ok());
  LdapConfig starttls = Config({Env("TWOTP_LDAP_URI")});
  starttls.starttls = true;
  starttls.ca_file = Env("TWOTP_LDAP_CA");
  r = w.Lookup(starttls, "alice");
  assert_true(r.ok());

  // A CA that did not sign the server's certificate: no answer at all, and
  // never "not enrolled".
  for (LdapConfig* c : {&ldaps, &starttls}) {
    c->ca_file = Env("TWOTP_LDAP_WRONG_CA");
    r = w.Lookup(*c, "alice");
    assert_false(r.ok());
    assert_false(r.status().Is(Fault::kNotFound));
    print_message("wrong CA (%s): %s\n", c->uri[0].c_str(), r.status().ToString().c_str());
  }
}

void test_wrong_bind_password_is_a_config_fault(void**) {
  NEED_SERVER();
  World w;
  char tmpl[] = "/tmp/test_ldap_pw.XXXXXX";
  const int fd = mkstemp(tmpl);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "wrong", 5), 5);
  close(fd);
  LdapConfig c = RootTls();
  c.bind_password_file = tmpl;
  auto r = w.Lookup(c, "alice");
  unlink(tmpl);
  assert_true(r.status().Is(Fault::kConfig));
  assert_true(Contains(r.status().message(), "Invalid credentials"));
}

void test_password_never_sent_without_tls(void**) {
  NEED_SERVER();
  World w;
  LdapConfig c = RootTls();
  c.uri = {Env("TWOTP_LDAP_URI")};
  auto r = w.Lookup(c, "alice");
  assert_true(r.status().Is(Fault::kConfig));
}

void test_enroll_and_remove_with_a_writing_bind(void**) {
  NEED_SERVER();
  World w;
  LdapDirectory dir(RootTls(), w.trust, w.log);
  PhoneRecord rec;
  rec.user = "frank";
  rec.number = "+15550109999";
  const twotp::Status st = dir.Enroll(rec);
  if (!st.ok()) fail_msg("%s", st.ToString().c_str());
  auto r = dir.Lookup("frank");
  assert_true(r.ok());
  assert_string_equal(r->number.c_str(), "+15550109999");
  rec.number = "+15550108888";  // replace, not add
  assert_true(dir.Enroll(rec).ok());
  r = dir.Lookup("frank");
  assert_true(r.ok());
  assert_string_equal(r->number.c_str(), "+15550108888");
  assert_true(dir.Remove("frank").ok());
  assert_true(dir.Lookup("frank").status().Is(Fault::kNotFound));
  assert_true(dir.Remove("frank").Is(Fault::kNotFound));
  // No entry: this backend does not create users.
  rec.user = "ghost";
  assert_true(dir.Enroll(rec).Is(Fault::kNotFound));
  rec.number = "555";
  assert_true(dir.Enroll(rec).Is(Fault::kBadInput));
}

void test_anonymous_enroll_gets_a_clear_error(void**) {
  NEED_SERVER();
  World w;
  LdapDirectory dir(Config({Env("TWOTP_LDAP_URI")}), w.trust, w.log);
  PhoneRecord rec;
  rec.user = "alice";
  rec.number = "+15550107777";
  const twotp::Status st = dir.Enroll(rec);
  assert_true(st.Is(Fault::kDirectory));
  if (!Contains(st.message(), "may not write mobile")) fail_msg("%s", st.message().c_str());
  assert_true(dir.Remove("alice").Is(Fault::kDirectory));
  assert_string_equal(dir.Lookup("alice")->number.c_str(), "+15550104567");
}

void test_list_gives_usable_records_only(void**) {
  NEED_SERVER();
  World w;
  LdapDirectory dir(Config({Env("TWOTP_LDAP_URI")}), w.trust, w.log);
  auto list = dir.List();
  if (!list.ok()) fail_msg("%s", list.status().ToString().c_str());
  std::vector<std::string> users;
  for (const PhoneRecord& r : list.value()) users.push_back(r.user + " " + r.number);
  std::sort(users.begin(), users.end());
  // Without verified_attribute the flags mean nothing; ivan's bad channel
  // is not read without channel_attribute.
  const std::vector<std::string> want = {"*)(uid=* +15550100001", "alice +15550104567", "back\\slash +15550100002",
                                         "grace +15550104005", "heidi +15550104006", "ivan +15550104007"};
  assert_true(users == want);
  // carol (not E.164), erin (two values), dave (two entries) are named in warnings.
  std::string all;
  for (const auto& line : w.log.lines) all += line + "\n";
  for (const char* who : {"uid=carol,", "uid=erin,", "dave has 2 entries"}) {
    if (!Contains(all, who)) fail_msg("no warning about %s in:\n%s", who, all.c_str());
  }
}

void test_list_pages_past_the_server_size_limit(void**) {
  NEED_SERVER();
  World w;
  // The root DN has no size limit: 606 entries come back in pages of 200.
  LdapConfig c = RootTls();
  c.uri = {Env("TWOTP_LDAPS_URI2")};
  auto list = LdapDirectory(c, w.trust, w.log).List();
  if (!list.ok()) fail_msg("%s", list.status().ToString().c_str());
  assert_int_equal(list->size(), 606);  // 6 + SLAPD_EXTRA_USERS=600 (tests/ldap/run.sh)
  // Anonymous binds keep slapd's default total of 500 even when paging: a
  // clear error, never a silently short list.
  list = LdapDirectory(Config({Env("TWOTP_LDAP_URI2")}), w.trust, w.log).List();
  assert_true(list.status().Is(Fault::kDirectory));
  if (!Contains(list.status().message(), "cut the list short")) fail_msg("%s", list.status().message().c_str());
}

// The fleet pattern of Gluu and friends: a verified flag and a preferred
// channel beside the number (tests/ldap/twotp-test.schema).
LdapConfig WithFlags(LdapConfig c) {
  c.channel_attribute = "otpChannel";
  c.verified_attribute = "phoneNumberVerified";
  return c;
}

void test_verified_and_channel_attributes(void**) {
  NEED_SERVER();
  World w;
  const LdapConfig c = WithFlags(Config({Env("TWOTP_LDAP_URI")}));
  auto heidi = w.Lookup(c, "heidi");
  if (!heidi.ok()) fail_msg("%s", heidi.status().ToString().c_str());
  assert_int_equal(static_cast<int>(heidi->channel), static_cast<int>(twotp::Channel::kCall));
  assert_true(heidi->verified);
  // FALSE, and no flag at all: an unproven number is not enrolled.
  for (const char* user : {"grace", "alice"}) {
    auto r = w.Lookup(c, user);
    if (!r.status().Is(Fault::kNotFound)) fail_msg("%s: %s", user, r.status().ToString().c_str());
    if (!Contains(r.status().message(), "not verified")) fail_msg("%s", r.status().message().c_str());
  }
  auto ivan = w.Lookup(c, "ivan");  // otpChannel "pigeon"
  assert_true(ivan.status().Is(Fault::kDirectory));
  if (!Contains(ivan.status().message(), "otpChannel of uid=ivan,")) fail_msg("%s", ivan.status().message().c_str());
  // Listing keeps heidi only (ivan is warned about; grace and alice are simply not enrolled).
  LdapDirectory dir(c, w.trust, w.log);
  auto list = dir.List();
  if (!list.ok()) fail_msg("%s", list.status().ToString().c_str());
  assert_int_equal(list->size(), 1);
  assert_string_equal(list->front().user.c_str(), "heidi");
}

void test_enroll_writes_the_flags_and_remove_clears_them(void**) {
  NEED_SERVER();
  World w;
  LdapDirectory dir(WithFlags(RootTls()), w.trust, w.log);
  PhoneRecord rec;
  rec.user = "frank";
  rec.number = "+15550106666";
  rec.channel = twotp::Channel::kWhatsapp;
  rec.verified = false;  // `enroll --no-verify`: stored, but not enrolled
  twotp::Status st = dir.Enroll(rec);
  if (!st.ok()) fail_msg("%s", st.ToString().c_str());
  assert_true(dir.Lookup("frank").status().Is(Fault::kNotFound));
  rec.verified = true;
  assert_true(dir.Enroll(rec).ok());
  auto r = dir.Lookup("frank");
  if (!r.ok()) fail_msg("%s", r.status().ToString().c_str());
  assert_string_equal(r->number.c_str(), "+15550106666");
  assert_int_equal(static_cast<int>(r->channel), static_cast<int>(twotp::Channel::kWhatsapp));
  assert_true(dir.Remove("frank").ok());
  // All three attributes are gone: with the number re-added alone (plain
  // config), the entry has no flag, so the flagged config calls it unproven.
  LdapDirectory plain(RootTls(), w.trust, w.log);
  rec.verified = false;
  assert_true(plain.Enroll(rec).ok());
  r = dir.Lookup("frank");
  assert_true(r.status().Is(Fault::kNotFound));
  assert_true(plain.Remove("frank").ok());
}

// LDAP matches uid case- and space-insensitively; the module's lockouts are
// per PAM name, so only the exact name may use the entry.
void test_only_the_exact_user_name_matches(void**) {
  NEED_SERVER();
  World w;
  const LdapConfig c = Config({Env("TWOTP_LDAP_URI")});
  for (const char* variant : {"ALICE", "Alice", "alice ", " alice"}) {
    auto r = w.Lookup(c, variant);
    if (!r.status().Is(Fault::kNotFound)) fail_msg("'%s': %s", variant, r.status().ToString().c_str());
  }
  assert_true(w.Lookup(c, "alice").ok());
}

void test_list_needs_a_plain_user_comparison(void**) {
  NEED_SERVER();
  World w;
  LdapConfig c = Config({Env("TWOTP_LDAP_URI")});
  c.filter = "(uid~=%u)";
  LdapDirectory dir(c, w.trust, w.log);
  assert_true(dir.List().status().Is(Fault::kConfig));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_filter_escapes_per_rfc4515),
      cmocka_unit_test(test_lookup_ok),
      cmocka_unit_test(test_entry_without_attribute_or_no_entry_is_not_enrolled),
      cmocka_unit_test(test_duplicate_entries_and_values_are_directory_faults),
      cmocka_unit_test(test_bad_number_names_the_entry_not_the_value),
      cmocka_unit_test(test_filter_injection_names_match_only_themselves),
      cmocka_unit_test(test_first_uri_down_second_answers),
      cmocka_unit_test(test_all_down_is_an_unwitnessed_outage),
      cmocka_unit_test(test_silent_server_times_out_as_unavailable),
      cmocka_unit_test(test_a_reset_connection_is_unavailable_not_fatal),
      cmocka_unit_test(test_ldaps_and_starttls_verify_the_certificate),
      cmocka_unit_test(test_wrong_bind_password_is_a_config_fault),
      cmocka_unit_test(test_password_never_sent_without_tls),
      cmocka_unit_test(test_enroll_and_remove_with_a_writing_bind),
      cmocka_unit_test(test_anonymous_enroll_gets_a_clear_error),
      cmocka_unit_test(test_list_gives_usable_records_only),
      cmocka_unit_test(test_list_pages_past_the_server_size_limit),
      cmocka_unit_test(test_list_needs_a_plain_user_comparison),
      cmocka_unit_test(test_verified_and_channel_attributes),
      cmocka_unit_test(test_only_the_exact_user_name_matches),
      cmocka_unit_test(test_enroll_writes_the_flags_and_remove_clears_them),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
