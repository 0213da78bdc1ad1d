// StateStore: the per-user and host-wide state files under state_dir, read
// under a shared flock and rewritten under an exclusive one with
// ReplaceFileAtomically (atomic_file.h). Every failure, including one from
// the lock or the write, is a kState Status naming the file: a login that
// can't trust its counters is refused, never waved through.
#include "state/state_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <utility>

#include "base/atomic_file.h"
#include "base/hex.h"
#include "base/sys_text.h"
#include "base/unique_fd.h"

namespace twotp {

namespace {

constexpr mode_t kDirMode = 0700;
constexpr mode_t kFileMode = 0600;
// A real state file is a few hundred bytes (a few KB with backup codes and
// grace entries); the cap bounds what a planted or runaway file can make a
// login allocate.
constexpr size_t kMaxStateBytes = 1 << 20;

Status SysError(const std::string& path, const char* step, int err) {
  return Status::StateError(SysErrorText(path, step, err));
}

// The lock and the atomic replace report kInternal; for the caller they are
// state faults like any other (a full disk must refuse the login cleanly).
Status AsState(const Status& s) { return s.ok() ? s : Status::StateError(s.message()); }

// How each kind of state file is read and written.
template <typename T>
struct Codec;
template <>
struct Codec<UserState> {
  static Result<UserState> Parse(const std::string& text) { return ParseUserState(text); }
  static std::string Serialize(const UserState& state) { return SerializeUserState(state); }
};
template <>
struct Codec<GlobalState> {
  static Result<GlobalState> Parse(const std::string& text) { return ParseGlobalState(text); }
  static std::string Serialize(const GlobalState& state) { return SerializeGlobalState(state); }
};

// Writes a state file whole or not at all (the lock is the caller's).
template <typename T>
Status WriteState(const std::string& path, const T& state, Durability durability = Durability::kDurable) {
  return AsState(ReplaceFileAtomically(path, Codec<T>::Serialize(state), kFileMode, durability));
}

// Runs `body`, turning an exception (bad_alloc) into a Status: none may
// leave a function that returns one.
template <typename Body>
auto Guarded(const std::string& path, Body body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Status::Internal(path + ": " + e.what());
  }
}

// One state file: its path, the trust checks, and the sentence that tells an
// administrator how to recover from a bad one.
struct StateFile {
  std::string path;
  const FileTrust& trust;
  std::string fix;

  Status Bad(const std::string& what) const { return Status::StateError(path + ": " + what + "; " + fix); }

  // Whether the file exists; kState when that can't be told.
  Result<bool> Exists() const {
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT) return false;
    return SysError(path, "lstat", errno);
  }

  // The parsed file, or a fresh state when there is none yet. The caller
  // holds a lock on it.
  template <typename T>
  Result<T> Load() const {
    Result<bool> exists = Exists();
    if (!exists.ok()) return exists.status();
    if (!exists.value()) return T{};
    Result<std::string> text = trust.ReadTrusted(path, kMaxStateBytes);
    if (!text.ok()) return Status::StateError(text.status().message());
    // Said apart from "not valid JSON": a 0-byte file is what a crash or a
    // full disk leaves behind with writers that truncate in place.
    if (text->empty()) return Bad("empty (0 bytes)");
    Result<T> parsed = Codec<T>::Parse(text.value());
    if (!parsed.ok()) return Bad(parsed.status().message());
    return parsed;
  }

  template <typename T>
  Result<T> Read() const {
    return Guarded(path, [&]() -> Result<T> {
      // No file is a first login, with no lock to take: a reader racing the
      // first writer sees the state just before it. Reading creates nothing,
      // not even a lock file, for a name that was never written.
      Result<bool> exists = Exists();
      if (!exists.ok()) return exists.status();
      if (!exists.value()) return T{};
      // Readers don't need the lock for consistency (the data file is only
      // ever replaced by rename), but a shared one makes them wait for an
      // update in progress, so a check made right after another login's
      // failure already sees it.
      Result<FileLock> lock = FileLock::Acquire(path, LockKind::kShared);
      if (!lock.ok()) return AsState(lock.status());
      return Load<T>();
    });
  }
};

std::string UserFix(const std::string& user) { return "twilio-otp unlock " + user + " replaces it"; }

constexpr char kGlobalFix[] = "remove it to restart the host-wide send count";


// A name that is safe as a file name as it stands: no '/', no leading '.'
// (so never "." or ".."), nothing a shell or a log would mangle.
bool IsPlainName(const std::string& user) {
  auto word = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (user.empty() || !word(user[0])) return false;
  for (char c : user) {
    if (!word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

// "%" + lower-case hex of every byte. '%' can't start a plain name, so an
// encoded name never collides with a plain one.
std::string EncodedName(const std::string& user) { return "%" + ToHex(user); }

// Creates `dir` if missing and checks that only `owner` can enter it: the
// state files inside are trusted only as far as their directory is, since
// whoever can write the directory can rename another file into place.
Status PrepareDirectory(const std::string& dir, uid_t owner) {
  if (::mkdir(dir.c_str(), kDirMode) == 0) {
    // mkdir honours the umask; set the mode outright so it never depends on it.
    if (::chmod(dir.c_str(), kDirMode) != 0) return SysError(dir, "chmod", errno);
  } else if (errno != EEXIST) {
    return SysError(dir, "mkdir", errno);
  }
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) return SysError(dir, "lstat", errno);
  if (!S_ISDIR(st.st_mode)) {
    return Status::StateError(dir + ": not a directory (symbolic links are refused); make it a directory, mode 0700");
  }
  if (st.st_uid != owner) {
    const std::string uid = std::to_string(owner);
    return Status::StateError(dir + ": owned by uid " + std::to_string(st.st_uid) + ", not uid " + uid + "; chown " +
                              uid + " " + dir);
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Status::StateError(dir + ": open to group or others (mode " + ModeText(st.st_mode) + "); chmod 700 " + dir);
  }
  return Status::Ok();
}

}  // namespace

StateStore::StateStore(std::string state_dir, const FileTrust& trust) : dir_(std::move(state_dir)), trust_(trust) {}

Status StateStore::Prepare() const {
  Status s = PrepareDirectory(dir_, trust_.owner());
  if (s.ok()) s = PrepareDirectory(dir_ + "/users", trust_.owner());
  return s;
}

std::string StateStore::UserPath(const std::string& user) const {
  return dir_ + "/users/" + (IsPlainName(user) ? user : EncodedName(user)) + ".json";
}

Result<UserState> StateStore::Read(const std::string& user) const {
  return StateFile{UserPath(user), trust_, UserFix(user)}.Read<UserState>();
}

template <typename T>
Status StateTransaction<T>::Commit(Durability durability) {
  return WriteState(path_, state_, durability);
}

template class StateTransaction<UserState>;
template class StateTransaction<GlobalState>;

template <typename T>
Result<StateTransaction<T>> StateStore::Begin(const std::string& path, const std::string& fix) const {
  const StateFile file{path, trust_, fix};
  return Guarded(path, [&]() -> Result<StateTransaction<T>> {
    Result<FileLock> lock = FileLock::Acquire(path);
    if (!lock.ok()) return AsState(lock.status());
    Result<T> state = file.Load<T>();
    if (!state.ok()) return state.status();
    return StateTransaction<T>(path, std::move(lock.value()), std::move(state.value()));
  });
}

Result<UserTransaction> StateStore::Lock(const std::string& user) const {
  return Begin<UserState>(UserPath(user), UserFix(user));
}

Result<GlobalTransaction> StateStore::LockGlobal() const { return Begin<GlobalState>(GlobalPath(), kGlobalFix); }

Status StateStore::Reset(const std::string& user, bool keep_backup) const {
  const StateFile file{UserPath(user), trust_, UserFix(user)};
  return Guarded(file.path, [&]() -> Status {
    Result<FileLock> lock = FileLock::Acquire(file.path);
    if (!lock.ok()) return AsState(lock.status());
    UserState fresh;
    if (keep_backup) {
      // A file we can't read keeps nothing: its backup codes can't be trusted.
      Result<UserState> old = file.Load<UserState>();
      if (old.ok()) fresh.backup_codes = std::move(old->backup_codes);
    }
    return WriteState(file.path, fresh);
  });
}

std::string StateStore::UserLockPath(const std::string& user, UserLock which) const {
  return UserPath(user) + (which == UserLock::kSends ? ".sends" : ".checks");
}

Result<FileLock> StateStore::LockUser(const std::string& user, UserLock which, LockKind kind) const {
  Result<FileLock> lock = FileLock::Acquire(UserLockPath(user, which), kind);
  if (!lock.ok()) return AsState(lock.status());
  return lock;
}

Result<std::optional<FileLock>> StateStore::TryLockUser(const std::string& user, UserLock which,
                                                        LockKind kind) const {
  Result<std::optional<FileLock>> lock = FileLock::TryAcquire(UserLockPath(user, which), kind);
  if (!lock.ok()) return AsState(lock.status());
  return lock;
}

Result<GlobalState> StateStore::ReadGlobal() const { return StateFile{GlobalPath(), trust_, kGlobalFix}.Read<GlobalState>(); }

}  // namespace twotp
