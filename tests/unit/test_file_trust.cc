// base/file_trust: which files the module believes (FileTrust), and what it
// says about the rest.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "base/file_trust.h"
#include "temp_files.h"

// Last: cmocka defines macros (fail) that clash with the C++ library.
#include "cmocka_cxx.h"

using twotp::Fault;
using twotp::FileTrust;
using twotp::Result;
using twotp::Secret;
using twotp::UniqueFd;

namespace {

twotp_test::TempDir g_tmp;

int Setup(void**) { return g_tmp.Create("test_file_trust") ? 0 : -1; }

int Teardown(void**) {
  g_tmp.Remove();
  return 0;
}

std::string WriteFile(const std::string& name, const std::string& content, mode_t mode) {
  return g_tmp.Write(name, content, mode);
}

FileTrust Trust() { return FileTrust(getuid()); }

// The failure is kConfig and its message is exactly `expected`, one line.
template <typename T>
void ExpectRefused(const Result<T>& result, const std::string& expected) {
  assert_false(result.ok());
  assert_true(result.status().Is(Fault::kConfig));
  assert_string_equal(result.status().message().c_str(), expected.c_str());
}

}  // namespace

static void test_private_regular_file_is_trusted(void**) {
  std::string path = WriteFile("ok.conf", "x = 1;\n", 0644);
  Result<UniqueFd> fd = Trust().OpenTrusted(path);
  assert_true(fd.ok());
  // The descriptor must not leak into programs the login starts.
  assert_true((fcntl(fd->get(), F_GETFD) & FD_CLOEXEC) != 0);
}

static void test_missing_file_is_named(void**) {
  std::string path = g_tmp.File("nope.conf");
  ExpectRefused(Trust().OpenTrusted(path), path + ": does not exist");
}

static void test_symlink_is_refused(void**) {
  std::string target = WriteFile("target.conf", "x = 1;\n", 0600);
  std::string link = g_tmp.File("link.conf");
  unlink(link.c_str());
  assert_int_equal(symlink(target.c_str(), link.c_str()), 0);
  ExpectRefused(Trust().OpenTrusted(link), link + ": is a symbolic link; name the file itself");
  ExpectRefused(Trust().ReadSecret(link), link + ": is a symbolic link; name the file itself");
}

static void test_directory_is_refused(void**) {
  ExpectRefused(Trust().OpenTrusted(g_tmp.path()), g_tmp.path() + ": not a regular file");
}

static void test_fifo_is_refused_without_blocking(void**) {
  std::string path = g_tmp.File("fifo");
  assert_int_equal(mkfifo(path.c_str(), 0600), 0);
  alarm(5);  // a blocking open() would hang here: die instead of passing
  ExpectRefused(Trust().OpenTrusted(path), path + ": not a regular file");
  alarm(0);
}

static void test_group_writable_config_is_refused(void**) {
  // Writable by group, by others, or both: each is refused, with the mode.
  const mode_t modes[] = {0620, 0602, 0666, 0660};
  for (mode_t mode : modes) {
    std::string path = WriteFile("writable.conf", "x = 1;\n", mode);
    char text[8];
    snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode));
    ExpectRefused(Trust().OpenTrusted(path),
                  path + ": writable by group or others (mode " + text + "); chmod go-w it");
  }
}

static void test_file_of_another_owner_is_refused(void**) {
  std::string path = WriteFile("theirs.conf", "x = 1;\n", 0600);
  uid_t other = getuid() + 1;
  ExpectRefused(FileTrust(other).OpenTrusted(path), path + ": owned by uid " + std::to_string(getuid()) +
                                                        ", not uid " + std::to_string(other) + "; chown " +
                                                        std::to_string(other) + " it");
}

static void test_secret_readable_by_others_is_refused(void**) {
  std::string path = WriteFile("token", "secret-token\n", 0644);
  assert_true(Trust().OpenTrusted(path).ok());  // fine for a config, not for a secret
  ExpectRefused(Trust().ReadSecret(path), path + ": readable by others (mode 0644); chmod 600 it");
}

static void test_secret_with_any_other_bit_is_refused(void**) {
  const mode_t modes[] = {0604, 0601, 0606, 0666};
  for (mode_t mode : modes) {
    std::string path = WriteFile("token", "secret-token\n", mode);
    Result<UniqueFd> fd = Trust().OpenSecret(path);
    assert_false(fd.ok());
    assert_non_null(strstr(fd.status().message().c_str(), "readable by others"));
  }
}

static void test_group_readable_secret_is_accepted(void**) {
  std::string path = WriteFile("token", "secret-token\n", 0640);
  Result<Secret> secret = Trust().ReadSecret(path);
  assert_true(secret.ok());
  assert_string_equal(secret->c_str(), "secret-token");
}

static void test_secret_is_trimmed_of_surrounding_blanks(void**) {
  std::string path = WriteFile("token", " \t0123456789abcdef\r\n\n", 0600);
  Result<Secret> secret = Trust().ReadSecret(path);
  assert_true(secret.ok());
  assert_string_equal(secret->c_str(), "0123456789abcdef");
}

static void test_empty_secret_is_refused(void**) {
  const char* contents[] = {"", "\n", "  \t\r\n  "};
  for (const char* content : contents) {
    std::string path = WriteFile("token", content, 0600);
    ExpectRefused(Trust().ReadSecret(path), path + ": is empty; put the secret in it");
  }
}

static void test_secret_with_inner_blank_is_refused_without_quoting_it(void**) {
  std::string path = WriteFile("token", "hunter2 hunter3\n", 0600);
  Result<Secret> secret = Trust().ReadSecret(path);
  ExpectRefused(secret, path + ": has blanks or control characters inside the secret");
  assert_null(strstr(secret.status().message().c_str(), "hunter"));
}

static void test_oversized_secret_is_refused(void**) {
  std::string path = WriteFile("token", std::string(5000, 'a'), 0600);
  ExpectRefused(Trust().ReadSecret(path), path + ": larger than 4096 bytes");
}

static void test_read_trusted_returns_the_whole_file(void**) {
  // Several read() buffers' worth, to cover the loop.
  std::string content;
  for (int i = 0; i < 3000; ++i) content += std::to_string(i) + "\n";
  std::string path = WriteFile("big.conf", content, 0600);
  Result<std::string> text = Trust().ReadTrusted(path, content.size());
  assert_true(text.ok());
  assert_true(text.value() == content);
}

static void test_read_trusted_refuses_a_file_over_the_cap(void**) {
  std::string path = WriteFile("big.conf", std::string(101, 'x'), 0600);
  ExpectRefused(Trust().ReadTrusted(path, 100), path + ": larger than 100 bytes");
  assert_true(Trust().ReadTrusted(path, 101).ok());
}

static void test_read_trusted_applies_the_trust_checks(void**) {
  std::string path = WriteFile("open.conf", "x = 1;\n", 0666);
  Result<std::string> text = Trust().ReadTrusted(path, 1000);
  assert_false(text.ok());
  assert_non_null(strstr(text.status().message().c_str(), "writable by group or others"));
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_private_regular_file_is_trusted),
      cmocka_unit_test(test_missing_file_is_named),
      cmocka_unit_test(test_symlink_is_refused),
      cmocka_unit_test(test_directory_is_refused),
      cmocka_unit_test(test_fifo_is_refused_without_blocking),
      cmocka_unit_test(test_group_writable_config_is_refused),
      cmocka_unit_test(test_file_of_another_owner_is_refused),
      cmocka_unit_test(test_secret_readable_by_others_is_refused),
      cmocka_unit_test(test_secret_with_any_other_bit_is_refused),
      cmocka_unit_test(test_group_readable_secret_is_accepted),
      cmocka_unit_test(test_secret_is_trimmed_of_surrounding_blanks),
      cmocka_unit_test(test_empty_secret_is_refused),
      cmocka_unit_test(test_secret_with_inner_blank_is_refused_without_quoting_it),
      cmocka_unit_test(test_oversized_secret_is_refused),
      cmocka_unit_test(test_read_trusted_returns_the_whole_file),
      cmocka_unit_test(test_read_trusted_refuses_a_file_over_the_cap),
      cmocka_unit_test(test_read_trusted_applies_the_trust_checks),
  };
  return cmocka_run_group_tests_name("file_trust", tests, Setup, Teardown);
}
