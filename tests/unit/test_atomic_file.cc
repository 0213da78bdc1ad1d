// base/atomic_file: ReplaceFileAtomically's errors and FileLock's exclusion of
// another process.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "base/atomic_file.h"
#include "in_child.h"
#include "temp_files.h"

// Last: cmocka defines a fail() macro that breaks <ios> if included before it.
#include "cmocka_cxx.h"

using twotp::Fault;
using twotp_test::InChild;

namespace {

// A fresh directory per test, removed afterwards.
struct Fixture {
  twotp_test::TempDir dir;
  std::string path;  // a file in dir, not created
};

int Setup(void** state) {
  auto* f = new Fixture;
  if (!f->dir.Create("test_atomic_file")) {
    delete f;
    return -1;
  }
  f->path = f->dir.File("file");
  *state = f;
  return 0;
}

int Teardown(void** state) {
  auto* f = static_cast<Fixture*>(*state);
  f->dir.Remove();
  delete f;
  return 0;
}

Fixture& F(void** state) { return *static_cast<Fixture*>(*state); }

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

static void test_replace_into_missing_directory_names_the_path(void** state) {
  Fixture& f = F(state);
  twotp::Status s = twotp::ReplaceFileAtomically(f.dir.path() + "/no/such/file", "x", 0600);
  assert_true(s.Is(Fault::kInternal));
  assert_true(Contains(s.message(), f.dir.path() + "/no/such/.file."));
  assert_true(Contains(s.message(), "No such file or directory"));
}

static void test_file_lock_excludes_another_process(void** state) {
  Fixture& f = F(state);
  twotp::Result<twotp::FileLock> lock = twotp::FileLock::Acquire(f.path);
  assert_true(lock.ok());
  struct stat st;
  assert_int_equal(stat((f.path + ".lock").c_str(), &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
  const std::string lock_path = f.path + ".lock";
  auto try_lock = [&] {
    int fd = open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
    return flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1;
  };
  assert_int_equal(InChild(try_lock), 1);  // held by us
  { twotp::FileLock released = std::move(lock.value()); }
  assert_int_equal(InChild(try_lock), 0);  // free again
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_replace_into_missing_directory_names_the_path, Setup, Teardown),
      cmocka_unit_test_setup_teardown(test_file_lock_excludes_another_process, Setup, Teardown),
  };
  return cmocka_run_group_tests_name("atomic_file", tests, nullptr, nullptr);
}
