// StateStore: per-user state files under state_dir (/var/lib/pam_twilio_otp),
// each read and replaced under flock, written atomically (temp file, fsync,
// rename, fsync of the directory), so a login that dies midway leaves the
// previous state whole and parallel logins count exactly.
//
// Layout: state_dir/ (0700 root) holds users/<name>.json (0600) and
// global.json; each file has a companion .lock. A user name that is not
// [A-Za-z0-9_][A-Za-z0-9._-]* is stored hex-encoded ("%616c...").
#ifndef PAM_TWILIO_OTP_STATE_STORE_H_
#define PAM_TWILIO_OTP_STATE_STORE_H_

#include <optional>
#include <string>
#include <utility>

#include "base/atomic_file.h"
#include "base/file_trust.h"
#include "base/status.h"
#include "state/user_state.h"

namespace twotp {

class StateStore;

// One read-modify-write of a state file, visible at the call site:
//
//   Result<UserTransaction> txn = store.Lock(user);  // exclusive lock, then read
//   if (!txn.ok()) return txn.status();
//   ... check and change txn->state() ...
//   return txn->Commit();                            // written atomically
//
// The lock is held from the read until the transaction goes away, so two
// logins can't both count from the same old value. Leaving without Commit
// (an early return, an exception) leaves the file exactly as it was.
template <typename T>
class StateTransaction {
 public:
  T& state() { return state_; }
  // Writes state() with ReplaceFileAtomically; kState naming the file when
  // that fails. The lock stays held until the transaction goes away.
  // kAtomicOnly for what may be lost in a crash (a code being shared, a
  // send or failure count of the minute): no fsync, so a login makes at
  // most one durable write.
  [[nodiscard]] Status Commit(Durability durability = Durability::kDurable);

 private:
  friend class StateStore;
  StateTransaction(std::string path, FileLock lock, T state)
      : path_(std::move(path)), lock_(std::move(lock)), state_(std::move(state)) {}

  std::string path_;
  FileLock lock_;
  T state_;
};

using UserTransaction = StateTransaction<UserState>;
using GlobalTransaction = StateTransaction<GlobalState>;

class StateStore {
 public:
  // `trust` must outlive the store.
  StateStore(std::string state_dir, const FileTrust& trust);

  // Creates state_dir (and users/) 0700 if missing; refuses a directory not
  // owned by trust.owner() or open to group/others (kState).
  Status Prepare() const;

  // Reads the user's state under a shared lock. No file yet = empty state
  // (a user's first login). An empty, truncated or unparsable file, or one
  // that fails the trust checks, is a kState fault: the login is refused,
  // never waved through.
  Result<UserState> Read(const std::string& user) const;

  // Takes the user's exclusive lock (waiting for it) and reads the state:
  // a transaction (above). No file yet = empty state. A corrupt existing
  // file is a kState fault and is left untouched (an administrator looks at
  // it; `twilio-otp unlock` replaces it).
  Result<UserTransaction> Lock(const std::string& user) const;

  // Replaces the user's state with a fresh one (for `twilio-otp unlock`),
  // keeping nothing of a corrupt file. Keeps backup codes when `keep_backup`
  // and the old file was readable.
  Status Reset(const std::string& user, bool keep_backup) const;

  // The same for the host-wide state. Taken while a user's transaction is
  // open, never the other way round (one lock order, no deadlock).
  Result<GlobalTransaction> LockGlobal() const;
  Result<GlobalState> ReadGlobal() const;

  // Locks that order the logins of one user around their network calls,
  // never around a state write (so no transaction waits on Twilio):
  // kSends is held by the login sending a code, so a parallel one waits
  // and then shares that code instead of sending another; kChecks is held
  // shared by each Twilio check of a shared verification (until its
  // approval is written) and taken exclusively by a login whose check found
  // the verification gone, to wait for an approval a parallel check may be
  // writing. kState when the lock file can't be opened or locked.
  enum class UserLock { kSends, kChecks };
  Result<FileLock> LockUser(const std::string& user, UserLock which, LockKind kind) const;
  // The same without waiting: nullopt while another login holds it.
  Result<std::optional<FileLock>> TryLockUser(const std::string& user, UserLock which, LockKind kind) const;

  // The file a user's state lives in (for messages and tests).
  std::string UserPath(const std::string& user) const;
  std::string GlobalPath() const { return dir_ + "/global.json"; }

  // Where the store is and what its files must pass (for other records
  // kept beside it, such as the probe's: probe_record.h).
  const std::string& dir() const { return dir_; }
  const FileTrust& trust() const { return trust_; }

 private:
  std::string UserLockPath(const std::string& user, UserLock which) const;
  template <typename T>
  Result<StateTransaction<T>> Begin(const std::string& path, const std::string& fix) const;

  std::string dir_;
  const FileTrust& trust_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_STATE_STORE_H_
