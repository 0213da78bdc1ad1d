#include "base/atomic_file.h"
#include "base/sys_text.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace twotp {

namespace {

Status SysError(const std::string& path, const char* step, int err) {
  return Status::Internal(SysErrorText(path, step, err));
}

// Retries a system call interrupted by a signal (never close: Linux frees
// the fd even when close reports EINTR).
template <typename F>
auto RetryEintr(F f) {
  decltype(f()) r;
  do r = f();
  while (r == -1 && errno == EINTR);
  return r;
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The temp file under construction: removed on destruction unless the
// rename has consumed it.
class TempFile {
 public:
  explicit TempFile(std::string path_template) : path_(std::move(path_template)) {}
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (created_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  Status Create() {
    std::vector<char> buf(path_.begin(), path_.end());
    buf.push_back('\0');
    fd_ = ::mkostemp(buf.data(), O_CLOEXEC);  // 0600 until fchmod
    if (fd_ < 0) return SysError(path_, "mkstemp", errno);
    path_.assign(buf.data());
    created_ = true;
    return Status::Ok();
  }

  Status WriteAll(const std::string& contents) {
    const char* p = contents.data();
    size_t left = contents.size();
    while (left > 0) {
      const ssize_t n = RetryEintr([&] { return ::write(fd_, p, left); });
      if (n < 0) return SysError(path_, "write", errno);
      p += n;
      left -= static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  // fchmod before fsync so the final mode is as durable as the bytes.
  Status Seal(mode_t mode) {
    if (::fchmod(fd_, mode) != 0) return SysError(path_, "fchmod", errno);
    if (::fsync(fd_) != 0) return SysError(path_, "fsync", errno);
    const int fd = std::exchange(fd_, -1);
    // close can report a delayed write error (NFS); treat it as a failure.
    if (::close(fd) != 0) return SysError(path_, "close", errno);
    return Status::Ok();
  }

  Status RenameTo(const std::string& target) {
    if (::rename(path_.c_str(), target.c_str()) != 0) return SysError(target, "rename", errno);
    created_ = false;
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool created_ = false;
};

// Makes the rename itself durable: without it a crash can bring back the
// old directory entry even though the new file's data was synced.
Status SyncDirectory(const std::string& dir) {
  const int fd = RetryEintr([&] { return ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  if (fd < 0) return SysError(dir, "open directory", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return SysError(dir, "fsync directory", err);
  return Status::Ok();
}

}  // namespace

Result<FileLock> FileLock::Acquire(const std::string& path) {
  const std::string lock_path = path + ".lock";
  const int fd = RetryEintr([&] {
    return ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  });
  if (fd < 0) return SysError(lock_path, "open", errno);
  FileLock lock(fd);  // owns fd from here on
  if (RetryEintr([&] { return ::flock(fd, LOCK_EX); }) != 0) return SysError(lock_path, "flock", errno);
  return lock;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last fd releases the flock
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Status ReplaceFileAtomically(const std::string& path, const std::string& contents, mode_t mode) {
  const std::string dir = DirectoryOf(path);
  const size_t slash = path.rfind('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  // Hidden and in the same directory: rename(2) is atomic only within one
  // file system, and a dot name keeps a leftover out of casual listings.
  TempFile temp(dir + "/." + base + ".XXXXXX");
  Status s = temp.Create();
  if (s.ok()) s = temp.WriteAll(contents);
  if (s.ok()) s = temp.Seal(mode);
  if (s.ok()) s = temp.RenameTo(path);
  if (s.ok()) s = SyncDirectory(dir);
  return s;
}

}  // namespace twotp
