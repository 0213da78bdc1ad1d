// state/state_store: the state store on a real file system: private
// directories, a fresh user, broken files that refuse the login and stay as
// they are, exact counts under 50 concurrent processes, a writer killed
// mid-update, a failed write, and user names that try to leave users/.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "state/state_store.h"
#include "temp_files.h"
#include "state_edit.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;
using twotp_test::TempDir;

namespace {

struct Fixture {
  TempDir tmp;
  std::string dir;  // tmp + "/state", made by Prepare
  FileTrust trust{getuid()};
  std::unique_ptr<StateStore> store;
  pid_t stalled = 0;  // a StartStalledUpdate child, killed by Teardown if a test fails first
};

int Setup(void** state) {
  auto* f = new Fixture;
  *state = f;
  if (!f->tmp.Create("test_state_store")) return -1;
  f->dir = f->tmp.File("state");
  f->store = std::make_unique<StateStore>(f->dir, f->trust);
  return f->store->Prepare().ok() ? 0 : -1;
}

int Teardown(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  if (f->stalled > 0) {
    kill(f->stalled, SIGKILL);
    waitpid(f->stalled, nullptr, 0);
  }
  f->tmp.Remove();
  delete f;
  return 0;
}

Fixture& F(void** state) { return *static_cast<Fixture*>(*state); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::set<std::string> DirEntries(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.insert(entry.path().filename());
  return names;
}

void AddSend(UserState& s) { s.sends.push_back(1700000000 + static_cast<std::time_t>(s.sends.size())); }

// A user with one send, written through the store: the "previous state".
std::string SeedAlice(Fixture& f) {
  assert_true(EditState(*f.store, "alice", AddSend).ok());
  return ReadFile(f.store->UserPath("alice"));
}

// Whether another process could take the exclusive lock on PATH.lock now.
bool LockIsFree(const std::string& path) {
  const int fd = open((path + ".lock").c_str(), O_RDWR | O_CLOEXEC);
  const bool free = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0;
  if (fd >= 0) close(fd);  // also drops the lock if we got it
  return free;
}

// Forks a process that stops inside a transaction on "alice", holding the
// lock with a half-done change in memory, and returns once it is there. The test
// kills it, and sets f.stalled back to 0 when it has.
pid_t StartStalledUpdate(Fixture& f) {
  int ready[2];
  if (pipe(ready) != 0) std::abort();
  const pid_t pid = fork();
  if (pid == 0) {
    close(ready[0]);
    const StateStore store(f.dir, f.trust);
    Result<UserTransaction> txn = store.Lock("alice");
    if (!txn.ok()) _exit(1);
    txn->state().sends.clear();  // a change that must never reach the disk
    txn->state().locked_until = 99;
    (void)!write(ready[1], "x", 1);
    pause();
    _exit(0);
  }
  f.stalled = pid;
  close(ready[1]);
  char c;
  if (read(ready[0], &c, 1) != 1) std::abort();
  close(ready[0]);
  return pid;
}

int WaitExitCode(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// A broken file: both Read and Lock refuse it with kState naming it (no
// transaction to change it), and the bytes on disk stay the same.
void AssertBrokenAndUntouched(Fixture& f, const std::string& contents, const std::string& problem) {
  const std::string path = f.tmp.Write("state/users/alice.json", contents, 0600);
  Result<UserState> read = f.store->Read("alice");
  assert_true(read.status().Is(Fault::kState));
  if (!Contains(read.status().message(), path) || !Contains(read.status().message(), problem)) {
    fail_msg("message: %s", read.status().message().c_str());
  }
  assert_true(f.store->Lock("alice").status().Is(Fault::kState));
  assert_string_equal(ReadFile(path).c_str(), contents.c_str());
}

}  // namespace

static void test_prepare_makes_private_directories(void** state) {
  Fixture& f = F(state);
  assert_int_equal(ModeOf(f.dir), 0700);
  assert_int_equal(ModeOf(f.dir + "/users"), 0700);
  assert_true(f.store->Prepare().ok());  // again: already there is fine
}

static void test_prepare_refuses_directories_open_to_others(void** state) {
  Fixture& f = F(state);
  chmod(f.dir.c_str(), 0770);
  Status s = f.store->Prepare();
  assert_true(s.Is(Fault::kState));
  assert_true(Contains(s.message(), f.dir + ": open to group or others (mode 0770); chmod 700 " + f.dir));
  chmod(f.dir.c_str(), 0700);
  chmod((f.dir + "/users").c_str(), 0705);
  s = f.store->Prepare();
  assert_true(s.Is(Fault::kState));
  assert_true(Contains(s.message(), f.dir + "/users: open to group or others (mode 0705)"));
}

static void test_prepare_refuses_a_directory_of_another_owner(void** state) {
  Fixture& f = F(state);
  const FileTrust root_only(getuid() + 1);
  Status s = StateStore(f.dir, root_only).Prepare();
  assert_true(s.Is(Fault::kState));
  assert_true(Contains(s.message(), f.dir + ": owned by uid " + std::to_string(getuid())));
  assert_true(Contains(s.message(), "chown " + std::to_string(getuid() + 1)));
}

static void test_prepare_refuses_a_symlink(void** state) {
  Fixture& f = F(state);
  const std::string link = f.tmp.File("link");
  assert_int_equal(symlink(f.dir.c_str(), link.c_str()), 0);
  Status s = StateStore(link, f.trust).Prepare();
  assert_true(s.Is(Fault::kState));
  assert_true(Contains(s.message(), link + ": not a directory"));
}

static void test_fresh_user_reads_empty(void** state) {
  Fixture& f = F(state);
  Result<UserState> read = f.store->Read("alice");
  assert_true(read.ok());
  assert_true(read->sends.empty() && read->failures.empty() && read->backup_codes.empty());
  assert_int_equal(read->locked_until, 0);
  assert_true(f.store->ReadGlobal().ok());
  // Before Prepare, too: no directory means no file.
  assert_true(StateStore(f.tmp.File("nowhere"), f.trust).Read("alice").ok());
  // Reading leaves nothing behind, not even a lock file.
  assert_true(DirEntries(f.dir + "/users").empty());
}

static void test_update_writes_a_private_file_that_reads_back(void** state) {
  Fixture& f = F(state);
  Status updated = EditState(*f.store, "alice", [](UserState& s) {
    s.locked_until = 42;
    AddSend(s);
  });
  assert_true(updated.ok());
  const std::string path = f.store->UserPath("alice");
  assert_string_equal(path.c_str(), (f.dir + "/users/alice.json").c_str());
  assert_int_equal(ModeOf(path), 0600);
  Result<UserState> read = f.store->Read("alice");
  assert_true(read.ok());
  assert_int_equal(read->sends.size(), 1);
  assert_int_equal(read->locked_until, 42);
}

// A transaction left without Commit (a refused send returns early) writes
// nothing and gives the lock back.
static void test_transaction_without_commit_writes_nothing(void** state) {
  Fixture& f = F(state);
  const std::string before = SeedAlice(f);
  {
    Result<UserTransaction> txn = f.store->Lock("alice");
    assert_true(txn.ok());
    assert_int_equal(txn->state().sends.size(), 1);  // the state as read under the lock
    AddSend(txn->state());
    assert_false(LockIsFree(f.store->UserPath("alice")));
  }
  assert_true(LockIsFree(f.store->UserPath("alice")));
  assert_string_equal(ReadFile(f.store->UserPath("alice")).c_str(), before.c_str());
}

static void test_empty_file_is_a_state_fault_left_untouched(void** state) {
  AssertBrokenAndUntouched(F(state), "", "empty (0 bytes)");
}

static void test_truncated_file_is_a_state_fault_left_untouched(void** state) {
  Fixture& f = F(state);
  const std::string whole = SeedAlice(f);
  AssertBrokenAndUntouched(f, whole.substr(0, whole.size() / 2), "not valid JSON");
}

static void test_file_with_a_missing_field_is_a_state_fault_left_untouched(void** state) {
  AssertBrokenAndUntouched(F(state), "{\"version\":1,\"sends\":[]}\n", "failures: missing");
}

static void test_untrusted_file_is_a_state_fault(void** state) {
  Fixture& f = F(state);
  SeedAlice(f);
  const std::string path = f.store->UserPath("alice");
  chmod(path.c_str(), 0622);
  Result<UserState> read = f.store->Read("alice");
  assert_true(read.status().Is(Fault::kState));
  assert_true(Contains(read.status().message(), path + ": writable by group or others"));
  assert_true(EditState(*f.store, "alice", AddSend).Is(Fault::kState));
}

// All children start together (they wait on a pipe the parent closes), so
// without the lock they would overwrite each other's counts.
static void test_fifty_processes_count_exactly(void** state) {
  Fixture& f = F(state);
  int go[2];
  assert_int_equal(pipe(go), 0);
  std::vector<pid_t> kids;
  for (int i = 0; i < 50; ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      close(go[1]);
      char c;
      (void)!read(go[0], &c, 1);  // returns at EOF, when the parent closes
      StateStore store(f.dir, f.trust);
      _exit(EditState(store, "alice", AddSend).ok() ? 0 : 1);
    }
    kids.push_back(pid);
  }
  close(go[0]);
  close(go[1]);
  for (pid_t pid : kids) assert_int_equal(WaitExitCode(pid), 0);
  Result<UserState> read = f.store->Read("alice");
  assert_true(read.ok());
  assert_int_equal(read->sends.size(), 50);
}

static void test_writer_killed_mid_update_leaves_previous_state(void** state) {
  Fixture& f = F(state);
  const std::string before = SeedAlice(f);
  const std::string path = f.store->UserPath("alice");
  const pid_t writer = StartStalledUpdate(f);
  assert_false(LockIsFree(path));  // the child really is inside the update
  kill(writer, SIGKILL);
  assert_int_equal(WaitExitCode(writer), 100 + SIGKILL);
  f.stalled = 0;

  assert_string_equal(ReadFile(path).c_str(), before.c_str());
  assert_true(LockIsFree(path));
  assert_true(EditState(*f.store, "alice", AddSend).ok());
  assert_int_equal(f.store->Read("alice")->sends.size(), 2);
}

// The shared lock: a read waits for an update in progress instead of acting
// on the state it is about to replace.
static void test_read_waits_for_an_update_in_progress(void** state) {
  Fixture& f = F(state);
  SeedAlice(f);
  const pid_t writer = StartStalledUpdate(f);
  const pid_t reader = fork();
  if (reader == 0) _exit(StateStore(f.dir, f.trust).Read("alice").ok() ? 0 : 1);
  usleep(200 * 1000);
  int status = 0;
  assert_int_equal(waitpid(reader, &status, WNOHANG), 0);  // still blocked
  kill(writer, SIGKILL);
  WaitExitCode(writer);
  f.stalled = 0;
  assert_int_equal(WaitExitCode(reader), 0);
}

// RLIMIT_FSIZE makes write(2) fail with EFBIG as a full disk fails with
// ENOSPC: a real failed write, in a child so the limit stays there.
static void test_failed_write_leaves_the_old_file(void** state) {
  Fixture& f = F(state);
  const std::string before = SeedAlice(f);
  const pid_t pid = fork();
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {16, 16};
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0) _exit(2);
    StateStore store(f.dir, f.trust);
    Status s = EditState(store, "alice", AddSend);
    _exit(s.Is(Fault::kState) && Contains(s.message(), "File too large") ? 0 : 3);
  }
  assert_int_equal(WaitExitCode(pid), 0);
  assert_string_equal(ReadFile(f.store->UserPath("alice")).c_str(), before.c_str());
  assert_true(DirEntries(f.dir + "/users") == (std::set<std::string>{"alice.json", "alice.json.lock"}));
}

static void test_odd_user_names_stay_inside_users(void** state) {
  Fixture& f = F(state);
  const std::vector<std::string> names = {"../../etc/passwd", "a/b", "..", ".", "john smith", "", "%61", ".hidden",
                                          "-rf", "caf\xc3\xa9"};
  std::set<std::string> files;
  for (const std::string& name : names) {
    const std::string path = f.store->UserPath(name);
    const std::string prefix = f.dir + "/users/%";
    if (path.rfind(prefix, 0) != 0 || path.find('/', prefix.size()) != std::string::npos) {
      fail_msg("%s -> %s", name.c_str(), path.c_str());
    }
    assert_true(EditState(*f.store, name, AddSend).ok());
    files.insert(path.substr(f.dir.size() + 7));
  }
  assert_int_equal(files.size(), names.size());  // no two names share a file
  assert_string_equal(f.store->UserPath("john smith").c_str(), (f.dir + "/users/%6a6f686e20736d697468.json").c_str());
  assert_true(DirEntries(f.dir) == (std::set<std::string>{"users"}));
  for (const std::string& name : names) assert_int_equal(f.store->Read(name)->sends.size(), 1);
}

static void test_plain_names_are_kept_readable(void** state) {
  Fixture& f = F(state);
  for (const std::string name : {"alice", "svc_backup", "j.doe-2", "_x", "0day"}) {
    assert_string_equal(f.store->UserPath(name).c_str(), (f.dir + "/users/" + name + ".json").c_str());
  }
  // A plain name can't land on another user's data or lock file.
  const std::string alice = f.store->UserPath("alice");
  for (const std::string name : {"alice.json", "alice.json.lock"}) {
    const std::string path = f.store->UserPath(name);
    assert_true(path != alice && path != alice + ".lock");
  }
}

static void test_reset_replaces_a_corrupt_file(void** state) {
  Fixture& f = F(state);
  f.tmp.Write("state/users/alice.json", "{\"version\":1,", 0600);
  assert_true(f.store->Reset("alice", /*keep_backup=*/true).ok());
  Result<UserState> read = f.store->Read("alice");
  assert_true(read.ok());
  assert_true(read->sends.empty() && read->backup_codes.empty());
}

static void test_reset_keeps_backup_codes_only_when_asked(void** state) {
  Fixture& f = F(state);
  Status seeded = EditState(*f.store, "alice", [](UserState& s) {
    s.locked_until = 1800000000;
    s.failures = {1, 2};
    s.backup_codes.push_back({"aa", "bb"});
  });
  assert_true(seeded.ok());
  assert_true(f.store->Reset("alice", /*keep_backup=*/true).ok());
  Result<UserState> kept = f.store->Read("alice");
  assert_int_equal(kept->locked_until, 0);
  assert_true(kept->failures.empty());
  assert_int_equal(kept->backup_codes.size(), 1);
  assert_true(f.store->Reset("alice", /*keep_backup=*/false).ok());
  assert_true(f.store->Read("alice")->backup_codes.empty());
}

static void test_global_state_updates_and_reads(void** state) {
  Fixture& f = F(state);
  for (int i = 0; i < 3; ++i) {
    Result<GlobalTransaction> global = f.store->LockGlobal();
    assert_true(global.ok());
    global->state().sends.push_back(1700000000);
    assert_true(global->Commit().ok());
  }
  assert_int_equal(f.store->ReadGlobal()->sends.size(), 3);
  assert_int_equal(ModeOf(f.dir + "/global.json"), 0600);
  f.tmp.Write("state/global.json", "", 0600);
  Status s = f.store->ReadGlobal().status();
  assert_true(s.Is(Fault::kState));
  assert_true(Contains(s.message(), f.dir + "/global.json: empty (0 bytes)"));
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_prepare_makes_private_directories, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_prepare_refuses_directories_open_to_others, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_prepare_refuses_a_directory_of_another_owner, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_prepare_refuses_a_symlink, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_fresh_user_reads_empty, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_update_writes_a_private_file_that_reads_back, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_transaction_without_commit_writes_nothing, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_empty_file_is_a_state_fault_left_untouched, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_truncated_file_is_a_state_fault_left_untouched, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_file_with_a_missing_field_is_a_state_fault_left_untouched, Setup,
                                      Teardown),
      cmocka_unit_test_setup_teardown(test_untrusted_file_is_a_state_fault, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_fifty_processes_count_exactly, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_writer_killed_mid_update_leaves_previous_state, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_read_waits_for_an_update_in_progress, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_failed_write_leaves_the_old_file, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_odd_user_names_stay_inside_users, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_plain_names_are_kept_readable, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_reset_replaces_a_corrupt_file, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_reset_keeps_backup_codes_only_when_asked, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_global_state_updates_and_reads, Setup, Teardown),
  };
  return cmocka_run_group_tests_name("state_store", tests, nullptr, nullptr);
}
