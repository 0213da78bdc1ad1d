// A private temporary directory for one test binary, and files in it with an
// exact mode. Failing to set these up is a broken environment, not a test
// result: the helpers abort with a message.
#ifndef PAM_TWILIO_OTP_TESTS_TEMP_FILES_H_
#define PAM_TWILIO_OTP_TESTS_TEMP_FILES_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace twotp_test {

class TempDir {
 public:
  // Creates /tmp/PREFIX.XXXXXX; false on failure.
  bool Create(const std::string& prefix) {
    std::string pattern = "/tmp/" + prefix + ".XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) return false;
    path_ = pattern;
    return true;
  }
  void Remove() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

  // Replaces `name` with a new file holding `content`, with exactly `mode`
  // (fchmod, so the umask does not interfere), and returns its path.
  std::string Write(const std::string& name, const std::string& content, mode_t mode) const {
    std::string path = File(name);
    unlink(path.c_str());
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
              fchmod(fd, mode) == 0;
    if (fd >= 0) close(fd);
    if (!ok) {
      std::perror(path.c_str());
      std::abort();
    }
    return path;
  }

 private:
  std::string path_;
};

}  // namespace twotp_test

#endif  // PAM_TWILIO_OTP_TESTS_TEMP_FILES_H_
