// directory/users_file: the users file (file backend of the directory):
// streaming lookups that never mistake a broken file for "not enrolled", and
// rewrites that lose nothing (a failed rewrite is proved on
// ReplaceFileAtomically and Upsert together). One line's syntax is
// test_users_line.cc; base/atomic_file's own tests are test_atomic_file.cc.
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "base/atomic_file.h"
#include "directory/users_file.h"

#include "in_child.h"
#include "phone_record.h"

// Last: cmocka defines a fail() macro that breaks <ios> if included before it.
#include "cmocka_cxx.h"

using twotp::Channel;
using twotp::Fault;
using twotp::FileTrust;
using twotp::PhoneRecord;
using twotp::UsersFile;
using twotp_test::InChild;
using twotp_test::Record;

namespace {

class VectorLogger : public twotp::Logger {
 public:
  void Write(twotp::LogLevel, const std::string& line) override { lines.push_back(line); }
  std::vector<std::string> lines;
};

// A fresh directory per test, removed afterwards.
struct Fixture {
  std::string dir;
  std::string path;  // dir + "/users"
  FileTrust trust{getuid()};
  VectorLogger log;
  std::unique_ptr<UsersFile> users;  // on `path`, trusting our own uid, logging into `log`
};

int Setup(void** state) {
  auto* f = new Fixture;
  char tmpl[] = "/tmp/test_users_file.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return -1;
  f->dir = tmpl;
  f->path = f->dir + "/users";
  f->users = std::make_unique<UsersFile>(f->path, f->trust, f->log);
  *state = f;
  return 0;
}

int Teardown(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  std::string cmd = "rm -rf '" + f->dir + "'";
  int rc = std::system(cmd.c_str());
  delete f;
  return rc == 0 ? 0 : -1;
}

Fixture& F(void** state) { return *static_cast<Fixture*>(*state); }

void WriteFile(const std::string& path, const std::string& contents, mode_t mode = 0644) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
  chmod(path.c_str(), mode);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  return names;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

static void test_lookup_finds_user_on_last_of_a_million_lines(void** state) {
  Fixture& f = F(state);
  {
    std::string chunk;
    FILE* out = std::fopen(f.path.c_str(), "w");
    for (int i = 0; i < 999999; ++i) {
      char line[96];
      std::snprintf(line, sizeof line, "user%07d +1555%07d sms 2026-11-23T19:00:00Z\n", i, i);
      chunk += line;
      if (chunk.size() > (1 << 20)) { std::fwrite(chunk.data(), 1, chunk.size(), out); chunk.clear(); }
    }
    chunk += "zed +447700900123 call -\n";
    std::fwrite(chunk.data(), 1, chunk.size(), out);
    std::fclose(out);
  }
  // How long this takes is `make bench`'s business, not a test's.
  twotp::Result<PhoneRecord> r = f.users->Lookup("zed");
  if (!r.ok()) fail_msg("%s", r.status().ToString().c_str());
  assert_string_equal(r->number.c_str(), "+447700900123");
  assert_int_equal(static_cast<int>(r->channel), static_cast<int>(Channel::kCall));
  assert_true(f.log.lines.empty());
  assert_true(f.users->Lookup("nobody").status().Is(Fault::kNotFound));
}

// alice's lookup reads only name fields until her line: bob's bad line is
// not even parsed (bob's own login finds it; List, behind `twilio-otp list`,
// reports it).
static void test_bad_line_for_another_user_is_skipped_and_listed(void** state) {
  Fixture& f = F(state);
  WriteFile(f.path, "# users\nbob +1555 sms -\nalice +15550104567 sms -\n");
  twotp::Result<PhoneRecord> r = f.users->Lookup("alice");
  assert_true(r.ok());
  assert_true(f.log.lines.empty());
  assert_true(f.users->List().ok());
  assert_int_equal(f.log.lines.size(), 1);
  assert_string_equal(f.log.lines[0].c_str(), (f.path + ":2: number is not E.164 ('+' and 8 to 15 digits; '-' for totp)").c_str());
}

// Lines are found across the reader's blocks, and a last line without a
// newline is read too.
static void test_lines_across_read_blocks_and_without_final_newline(void** state) {
  Fixture& f = F(state);
  std::string text;
  int n = 0;
  while (text.size() < 3 * 65536) {
    char line[96];
    std::snprintf(line, sizeof line, "u%06d +1555%07d sms -\n", n, n);
    text += line;
    ++n;
  }
  text += "zed +447700900123 call -";  // no newline
  WriteFile(f.path, text);
  twotp::Result<std::vector<PhoneRecord>> all = f.users->List();
  assert_true(all.ok());
  assert_int_equal(all->size(), n + 1);
  for (int i = 0; i < n; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "u%06d", i);
    if (all->at(static_cast<size_t>(i)).user != name) fail_msg("line %d read as %s", i + 1, all->at(i).user.c_str());
  }
  assert_true(f.users->Lookup("zed").ok());
  assert_true(f.log.lines.empty());
}

static void test_bad_line_for_looked_up_user_is_a_directory_fault(void** state) {
  Fixture& f = F(state);
  WriteFile(f.path, "alice +15550104567 sms\nbob +447700900123 call -\n");
  twotp::Result<PhoneRecord> r = f.users->Lookup("alice");
  assert_true(r.status().Is(Fault::kDirectory));
  assert_true(Contains(r.status().message(), f.path + ":1: malformed record for alice"));
  assert_true(f.users->Lookup("bob").ok());  // the others still work
}

static void test_overlong_line_is_malformed(void** state) {
  Fixture& f = F(state);
  WriteFile(f.path, "alice +15550104567 sms - #" + std::string(2000, 'x') + "\nbob +447700900123 call -\n");
  assert_true(f.users->Lookup("bob").ok());
  assert_true(f.users->Lookup("alice").status().Is(Fault::kDirectory));
  assert_true(Contains(f.log.lines.at(0), ":1: line is longer than 1024 bytes"));
}

static void test_duplicate_user_is_a_directory_fault(void** state) {
  Fixture& f = F(state);
  WriteFile(f.path, "alice +15550104567 sms -\nbob +447700900123 call -\nalice +15550109999 sms -\n");
  twotp::Result<PhoneRecord> r = f.users->Lookup("alice");
  assert_true(r.status().Is(Fault::kDirectory));
  assert_true(Contains(r.status().message(), ":3: second record for alice (first on line 1)"));
  twotp::Result<std::vector<PhoneRecord>> all = f.users->List();
  assert_true(all.ok());
  assert_int_equal(all->size(), 2);  // the second alice is reported and skipped
  assert_true(Contains(f.log.lines.back(), ":3: second record for alice"));
}

static void test_missing_file_is_directory_fault_on_lookup_and_empty_list(void** state) {
  Fixture& f = F(state);
  twotp::Result<PhoneRecord> r = f.users->Lookup("alice");
  assert_true(r.status().Is(Fault::kDirectory));
  assert_true(Contains(r.status().message(), f.path));
  twotp::Result<std::vector<PhoneRecord>> all = f.users->List();
  assert_true(all.ok());
  assert_true(all->empty());
}

static void test_untrusted_file_is_directory_fault(void** state) {
  Fixture& f = F(state);
  WriteFile(f.path, "alice +15550104567 sms -\n", 0666);
  assert_true(f.users->Lookup("alice").status().Is(Fault::kDirectory));
  assert_true(f.users->List().status().Is(Fault::kDirectory));
  assert_true(f.users->Upsert(Record("bob", "+447700900123")).Is(Fault::kDirectory));
  FileTrust root_only(getuid() + 1);  // someone else must own it
  WriteFile(f.path, "alice +15550104567 sms -\n", 0600);
  UsersFile strict(f.path, root_only, f.log);
  assert_true(strict.Lookup("alice").status().Is(Fault::kDirectory));
}

static void test_upsert_creates_file_0600(void** state) {
  Fixture& f = F(state);
  assert_true(f.users->Upsert(Record("alice", "+15550104567")).ok());
  assert_string_equal(ReadFile(f.path).c_str(), "alice +15550104567 sms -\n");
  struct stat st;
  assert_int_equal(stat(f.path.c_str(), &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_upsert_keeps_comments_and_other_lines_byte_for_byte(void** state) {
  Fixture& f = F(state);
  const std::string before =
      "# Phone numbers for pam_twilio_otp\n"
      "\n"
      "bob\t+447700900123   call -      # desk phone\n"
      "broken line here\n"
      "alice +15550100000 sms - # her laptop\n"
      "carol +33123456789 whatsapp 2026-01-02T03:04:05Z";  // no final newline
  WriteFile(f.path, before, 0600);
  assert_true(f.users->Upsert(Record("alice", "+15550104567", "2026-11-23T19:00:00Z")).ok());
  assert_true(f.users->Upsert(Record("dave", "+4915112345678")).ok());
  const std::string after = ReadFile(f.path);
  assert_string_equal(after.c_str(),
                      "# Phone numbers for pam_twilio_otp\n"
                      "\n"
                      "bob\t+447700900123   call -      # desk phone\n"
                      "broken line here\n"
                      "alice +15550104567 sms 2026-11-23T19:00:00Z # her laptop\n"
                      "carol +33123456789 whatsapp 2026-01-02T03:04:05Z\n"
                      "dave +4915112345678 sms -\n");
}

static void test_upsert_keeps_a_stricter_mode(void** state) {
  Fixture& f = F(state);
  WriteFile(f.path, "alice +15550104567 sms -\n", 0400);
  assert_true(f.users->Upsert(Record("bob", "+447700900123")).ok());
  struct stat st;
  assert_int_equal(stat(f.path.c_str(), &st), 0);
  assert_int_equal(st.st_mode & 07777, 0400);
}

static void test_upsert_rejects_an_invalid_record(void** state) {
  Fixture& f = F(state);
  assert_true(f.users->Upsert(Record("alice", "5550104567")).Is(Fault::kBadInput));
  assert_true(f.users->Upsert(Record("al ice", "+15550104567")).Is(Fault::kBadInput));
  assert_true(f.users->Upsert(Record("al#ice", "+15550104567")).Is(Fault::kBadInput));
  assert_true(f.users->Upsert(Record("alice", "+15550104567", "yesterday")).Is(Fault::kBadInput));
  assert_true(f.users->Upsert(Record("a +15550104567 sms - #", "+15550104567")).Is(Fault::kBadInput));
  assert_true(DirEntries(f.dir).empty());  // nothing written, not even a lock
}

static void test_remove_deletes_only_that_user(void** state) {
  Fixture& f = F(state);
  WriteFile(f.path, "# keep\nalice +15550104567 sms -\nalice broken\nbob +447700900123 call -\n", 0600);
  assert_true(f.users->Remove("alice").ok());  // the malformed alice line goes too
  assert_string_equal(ReadFile(f.path).c_str(), "# keep\nbob +447700900123 call -\n");
  assert_true(f.users->Remove("alice").Is(Fault::kNotFound));
  assert_true(f.users->Remove("").Is(Fault::kBadInput));
  assert_string_equal(ReadFile(f.path).c_str(), "# keep\nbob +447700900123 call -\n");
}

static void test_concurrent_upserts_from_two_processes_lose_nothing(void** state) {
  Fixture& f = F(state);
  WriteFile(f.path, "# shared\n", 0600);
  std::vector<pid_t> kids;
  for (int p = 0; p < 2; ++p) {
    pid_t pid = fork();
    if (pid == 0) {
      VectorLogger log;
      UsersFile users(f.path, f.trust, log);
      for (int i = 0; i < 50; ++i) {
        char number[32];
        std::snprintf(number, sizeof number, "+1555%d%06d", p, i);
        if (!users.Upsert(Record("p" + std::to_string(p) + "u" + std::to_string(i), number)).ok()) _exit(1);
      }
      _exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  twotp::Result<std::vector<PhoneRecord>> all = f.users->List();
  assert_true(all.ok());
  assert_int_equal(all->size(), 100);
  assert_true(f.log.lines.empty());
  assert_int_equal(ReadFile(f.path).rfind("# shared\n", 0), 0);
}

// RLIMIT_FSIZE makes write(2) fail with EFBIG even for root, so the failure
// path is real, not simulated. It runs in a child so the limit stays there.
static void test_failed_replace_leaves_the_old_file(void** state) {
  Fixture& f = F(state);
  const std::string old_contents = "alice +15550104567 sms -\n";
  WriteFile(f.path, old_contents, 0600);
  int rc = InChild([&] {
    std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {64, 64};
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0) return 2;
    twotp::Status s = twotp::ReplaceFileAtomically(f.path, std::string(1000, 'x'), 0600);
    if (s.ok() || !Contains(s.message(), ": write: File too large")) return 3;
    VectorLogger log;
    UsersFile users(f.path, f.trust, log);
    if (users.Upsert(Record("bob_with_a_long_name", "+447700900123", "2026-11-23T19:00:00Z")).ok()) return 4;
    return 0;
  });
  assert_int_equal(rc, 0);
  assert_string_equal(ReadFile(f.path).c_str(), old_contents.c_str());
  for (const std::string& name : DirEntries(f.dir)) {
    if (name != "users" && name != "users.lock") fail_msg("left behind: %s", name.c_str());
  }
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_lookup_finds_user_on_last_of_a_million_lines, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_bad_line_for_another_user_is_skipped_and_listed, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_lines_across_read_blocks_and_without_final_newline, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_bad_line_for_looked_up_user_is_a_directory_fault, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_overlong_line_is_malformed, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_duplicate_user_is_a_directory_fault, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_missing_file_is_directory_fault_on_lookup_and_empty_list, Setup,
                                      Teardown),
      cmocka_unit_test_setup_teardown(test_untrusted_file_is_directory_fault, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_upsert_creates_file_0600, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_upsert_keeps_comments_and_other_lines_byte_for_byte, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_upsert_keeps_a_stricter_mode, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_upsert_rejects_an_invalid_record, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_remove_deletes_only_that_user, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_concurrent_upserts_from_two_processes_lose_nothing, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_failed_replace_leaves_the_old_file, Setup, Teardown),
  };
  return cmocka_run_group_tests_name("users_file", tests, nullptr, nullptr);
}
