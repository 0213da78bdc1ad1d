// Crash- and race-safe rewriting of small files: an exclusive lock on a
// companion PATH.lock file, and a replace that is all-or-nothing. The users
// file uses both today; the state store under /var/lib will too.
//
// Protocol for a read-modify-write: take FileLock(path), read path, build
// the new contents, ReplaceFileAtomically(path, ...), drop the lock. Readers
// need no lock: they see either the old file or the new one, never a mix.
#ifndef PAM_TWILIO_OTP_ATOMIC_FILE_H_
#define PAM_TWILIO_OTP_ATOMIC_FILE_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>

#include "base/status.h"
#include "base/unique_fd.h"

namespace twotp {

enum class LockKind { kExclusive, kShared };

// A flock(2) on PATH.lock, held until destruction. The lock file is a
// separate, empty file because the data file itself is replaced by rename: a
// lock on the old inode would not exclude a writer that opened the new one.
// Movable, not copyable.
class FileLock {
 public:
  // Creates PATH.lock if needed (0600, O_NOFOLLOW, O_CLOEXEC) and blocks
  // until the lock is ours. kInternal naming the lock file and errno text
  // when it can't be opened or locked.
  static Result<FileLock> Acquire(const std::string& path, LockKind kind = LockKind::kExclusive);
  // The same without waiting: nullopt while another holder keeps it.
  static Result<std::optional<FileLock>> TryAcquire(const std::string& path, LockKind kind);

  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // closing the last fd releases the flock
};

// kDurable: the new contents survive a crash (fsync of the file, then of
// the directory after the rename). kAtomicOnly: readers see the old file or
// the new one, never a mix, but a crash may bring back the old one (no
// fsync: for records that matter for minutes, such as a code being shared).
enum class Durability { kDurable, kAtomicOnly };

// Replaces `path` with `contents`: a temp file in the same directory
// (mkstemp), all bytes written, fchmod(mode), (kDurable: fsync), rename over
// `path`, (kDurable: fsync of the directory). On any failure before the
// rename the temp file is removed and the old `path` is left exactly as it
// was. Errors are kInternal "PATH: step: strerror". A failure of the final
// directory fsync is reported too, though the new contents are then already
// in place.
Status ReplaceFileAtomically(const std::string& path, const std::string& contents, mode_t mode,
                             Durability durability = Durability::kDurable);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_ATOMIC_FILE_H_
