#include "base/atomic_file.h"
#include "base/sys_text.h"
#include "base/unique_fd.h"

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
    fd_.Reset();  // closed before the unlink
    if (created_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  Status Create() {
    std::vector<char> buf(path_.begin(), path_.end());
    buf.push_back('\0');
    fd_.Reset(::mkostemp(buf.data(), O_CLOEXEC));  // 0600 until fchmod
    if (!fd_.valid()) return SysError(path_, "mkstemp", errno);
    path_.assign(buf.data());
    created_ = true;
    return Status::Ok();
  }

  Status WriteAll(const std::string& contents) {
    const char* p = contents.data();
    size_t left = contents.size();
    while (left > 0) {
      const ssize_t n = RetryEintr([&] { return ::write(fd_.get(), p, left); });
      if (n < 0) return SysError(path_, "write", errno);
      p += n;
      left -= static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  // fchmod before fsync so the final mode is as durable as the bytes.
  Status Seal(mode_t mode, Durability durability) {
    if (::fchmod(fd_.get(), mode) != 0) return SysError(path_, "fchmod", errno);
    if (durability == Durability::kDurable && ::fsync(fd_.get()) != 0) return SysError(path_, "fsync", errno);
    // close can report a delayed write error (NFS); treat it as a failure,
    // so close here rather than leave it to UniqueFd, which can't report.
    if (::close(fd_.Release()) != 0) return SysError(path_, "close", errno);
    return Status::Ok();
  }

  Status RenameTo(const std::string& target) {
    if (::rename(path_.c_str(), target.c_str()) != 0) return SysError(target, "rename", errno);
    created_ = false;
    return Status::Ok();
  }

 private:
  std::string path_;
  UniqueFd fd_;
  bool created_ = false;
};

// Makes the rename itself durable: without it a crash can bring back the
// old directory entry even though the new file's data was synced.
Status SyncDirectory(const std::string& dir) {
  const UniqueFd fd(RetryEintr([&] { return ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }));
  if (!fd.valid()) return SysError(dir, "open directory", errno);
  if (::fsync(fd.get()) != 0) return SysError(dir, "fsync directory", errno);
  return Status::Ok();
}

}  // namespace

namespace {

Result<UniqueFd> OpenLockFile(const std::string& lock_path) {
  UniqueFd fd(RetryEintr([&] {
    return ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  }));
  if (!fd.valid()) return SysError(lock_path, "open", errno);
  return fd;
}

int FlockOperation(LockKind kind) { return kind == LockKind::kShared ? LOCK_SH : LOCK_EX; }

}  // namespace

Result<FileLock> FileLock::Acquire(const std::string& path, LockKind kind) {
  const std::string lock_path = path + ".lock";
  Result<UniqueFd> fd = OpenLockFile(lock_path);
  if (!fd.ok()) return fd.status();
  if (RetryEintr([&] { return ::flock(fd->get(), FlockOperation(kind)); }) != 0) {
    return SysError(lock_path, "flock", errno);
  }
  return FileLock(std::move(fd.value()));
}

Result<std::optional<FileLock>> FileLock::TryAcquire(const std::string& path, LockKind kind) {
  const std::string lock_path = path + ".lock";
  Result<UniqueFd> fd = OpenLockFile(lock_path);
  if (!fd.ok()) return fd.status();
  if (RetryEintr([&] { return ::flock(fd->get(), FlockOperation(kind) | LOCK_NB); }) != 0) {
    if (errno == EWOULDBLOCK) return std::optional<FileLock>();
    return SysError(lock_path, "flock", errno);
  }
  return std::optional<FileLock>(FileLock(std::move(fd.value())));
}

Status ReplaceFileAtomically(const std::string& path, const std::string& contents, mode_t mode,
                             Durability durability) {
  const std::string dir = DirectoryOf(path);
  const size_t slash = path.rfind('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  // Hidden and in the same directory: rename(2) is atomic only within one
  // file system, and a dot name keeps a leftover out of casual listings.
  TempFile temp(dir + "/." + base + ".XXXXXX");
  Status s = temp.Create();
  if (s.ok()) s = temp.WriteAll(contents);
  if (s.ok()) s = temp.Seal(mode, durability);
  if (s.ok()) s = temp.RenameTo(path);
  if (s.ok() && durability == Durability::kDurable) s = SyncDirectory(dir);
  return s;
}

}  // namespace twotp
