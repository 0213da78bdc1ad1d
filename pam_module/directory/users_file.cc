// The users file: streaming lookups, the list, and locked atomic rewrites.
// The line format itself is in users_line.cc.
#include "directory/users_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>

#include "base/atomic_file.h"
#include "base/unique_fd.h"

namespace twotp {

namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

// The file opened for reading after the trust checks, or nullptr when it
// does not exist. Trust failures become kDirectory: a users file we don't
// trust can't confirm that anyone is unenrolled.
Result<FilePtr> OpenIfExists(const std::string& path, const FileTrust& trust) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) return FilePtr();
  Result<UniqueFd> fd = trust.OpenTrusted(path);
  if (!fd.ok()) return Status::DirectoryError(fd.status().message());
  FilePtr file(::fdopen(fd->get(), "r"));
  if (!file) {
    const int err = errno;
    return Status::DirectoryError(path + ": fdopen: " + std::strerror(err));
  }
  fd->Release();  // the FILE owns it now
  return file;
}

// Calls `visit(line_number, text, too_long)` for each line, text without its
// newline. Reads in blocks and finds newlines with memchr (a lookup walks
// every line of a large file); keeps at most kMaxUsersLineBytes of a line,
// so a file without newlines can't make a login allocate without bound.
// Stops early when `visit` returns false. kDirectory on a read error.
using LineVisitor = std::function<bool(size_t, std::string_view, bool)>;
Status ForEachLine(FILE* file, const std::string& path, const LineVisitor& visit) {
  char block[1 << 16];
  std::string carried;  // the start of a line cut by the end of a block
  carried.reserve(kMaxUsersLineBytes);
  bool carried_too_long = false;
  bool carrying = false;
  const auto carry = [&](std::string_view piece) {
    const size_t room = kMaxUsersLineBytes - carried.size();
    if (piece.size() > room) carried_too_long = true;
    carried.append(piece.substr(0, room));
    carrying = true;
  };
  size_t number = 0;
  for (size_t got; (got = fread_unlocked(block, 1, sizeof block, file)) > 0;) {
    std::string_view rest(block, got);
    for (size_t newline; (newline = rest.find('\n')) != std::string_view::npos; rest.remove_prefix(newline + 1)) {
      std::string_view line = rest.substr(0, newline);
      bool too_long = line.size() > kMaxUsersLineBytes;
      if (carrying) {
        carry(line);
        line = carried;
        too_long = carried_too_long;
      }
      if (!visit(++number, line.substr(0, kMaxUsersLineBytes), too_long)) return Status::Ok();
      carried.clear();
      carried_too_long = carrying = false;
    }
    if (!rest.empty()) carry(rest);
  }
  if (std::ferror(file)) return Status::DirectoryError(path + ": read: " + std::strerror(errno));
  if (carrying) (void)visit(++number, carried, carried_too_long);  // a last line without a newline
  return Status::Ok();
}

Result<PhoneRecord> ParseLine(std::string_view text, bool too_long) {
  if (too_long) return Status::BadInput("line is longer than " + std::to_string(kMaxUsersLineBytes) + " bytes");
  return ParseUsersLine(text);
}

std::string PathLine(const std::string& path, size_t line) { return path + ":" + std::to_string(line); }

// The whole file, its mode, and whether it existed, read under the lock.
struct Snapshot {
  std::string contents;
  mode_t mode = 0600;
  bool existed = false;
};

Result<Snapshot> ReadSnapshot(const std::string& path, const FileTrust& trust) {
  Result<FilePtr> file = OpenIfExists(path, trust);
  if (!file.ok()) return file.status();
  Snapshot snap;
  if (!file.value()) return snap;
  struct stat st;
  if (::fstat(::fileno(file.value().get()), &st) != 0)
    return Status::DirectoryError(path + ": fstat: " + std::strerror(errno));
  snap.existed = true;
  // Never looser than 0600 (the numbers are personal data), and an
  // administrator's stricter choice, such as 0400, is kept.
  snap.mode = st.st_mode & 0600;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, file.value().get())) > 0) snap.contents.append(buf, n);
  if (std::ferror(file.value().get())) return Status::DirectoryError(path + ": read: " + std::strerror(errno));
  return snap;
}

// The old line's trailing comment, with the white space before it, so an
// administrator's note on a record survives a re-enrollment.
std::string_view TrailingComment(std::string_view line) {
  const size_t hash = line.find('#');
  if (hash == std::string_view::npos) return {};
  const size_t start = line.find_last_not_of(" \t", hash == 0 ? 0 : hash - 1);
  return line.substr(start == std::string_view::npos ? 0 : start + 1);
}

}  // namespace

UsersFile::UsersFile(std::string path, const FileTrust& trust, Logger& log)
    : path_(std::move(path)), trust_(trust), log_(log) {}

// Only the name field of each line is looked at until the user's line is
// found; that line alone is parsed. The rest of the file is still read, by
// name field only, so a second record for the user is never missed. Other
// users' malformed lines are theirs to hit (and `twilio-otp list` reports
// every one): a login of alice costs the same whatever state bob's line is in.
Result<PhoneRecord> UsersFile::Lookup(const std::string& user) {
  Result<FilePtr> file = OpenIfExists(path_, trust_);
  if (!file.ok()) return file.status();
  if (!file.value()) return Status::DirectoryError(path_ + ": does not exist, so no user can be looked up");
  std::optional<PhoneRecord> found;
  size_t found_line = 0;
  Status fault;
  const FirstFieldIs names_user(user);
  Status read = ForEachLine(file.value().get(), path_, [&](size_t n, std::string_view text, bool too_long) {
    if (!names_user(text)) return true;
    if (found) {
      fault = Status::DirectoryError(PathLine(path_, n) + ": second record for " + user + " (first on line " +
                                     std::to_string(found_line) + ")");
      return false;
    }
    Result<PhoneRecord> r = ParseLine(text, too_long);
    if (!r.ok()) {
      log_.Warning(PathLine(path_, n) + ": " + r.status().message());
      fault = Status::DirectoryError(PathLine(path_, n) + ": malformed record for " + user + ": " +
                                     r.status().message());
      return false;
    }
    found = std::move(r.value());
    found_line = n;
    return true;
  });
  if (!read.ok()) return read;
  if (!fault.ok()) return fault;
  if (!found) return Status::NotFound(user + " has no record in " + path_);
  return std::move(*found);
}

Result<std::vector<PhoneRecord>> UsersFile::List() {
  Result<FilePtr> file = OpenIfExists(path_, trust_);
  if (!file.ok()) return file.status();
  std::vector<PhoneRecord> records;
  if (!file.value()) return records;
  std::unordered_map<std::string, size_t> first_line;
  Status read = ForEachLine(file.value().get(), path_, [&](size_t n, std::string_view text, bool too_long) {
    Result<PhoneRecord> r = ParseLine(text, too_long);
    if (!r.ok()) {
      if (r.status().Is(Fault::kBadInput)) log_.Warning(PathLine(path_, n) + ": " + r.status().message());
      return true;
    }
    auto [it, fresh] = first_line.emplace(r->user, n);
    if (!fresh) {
      log_.Warning(PathLine(path_, n) + ": second record for " + r->user + " (first on line " +
                   std::to_string(it->second) + "): skipped; logins of " + r->user + " will fail until one is removed");
      return true;
    }
    records.push_back(std::move(r.value()));
    return true;
  });
  if (!read.ok()) return read;
  return records;
}

Status UsersFile::Upsert(const PhoneRecord& record) {
  Status valid = CheckRecord(record);
  if (!valid.ok()) return valid;
  return Rewrite(record.user, &record);
}

Status UsersFile::Remove(const std::string& user) { return Rewrite(user, nullptr); }

// Under the lock, re-reads the file and copies every line byte for byte
// except those whose first field is `user` (valid or not): the first of them
// becomes `replacement` (keeping its comment), the others go. No replacement
// means remove. A new user is appended at the end.
Status UsersFile::Rewrite(const std::string& user, const PhoneRecord* replacement) {
  // One field and nothing else, or "" would match every blank line.
  if (user.empty() || UsersLineUser(user) != user) return Status::BadInput("not a user name: '" + user + "'");
  Result<FileLock> lock = FileLock::Acquire(path_);
  if (!lock.ok()) return lock.status();
  Result<Snapshot> snap = ReadSnapshot(path_, trust_);
  if (!snap.ok()) return snap.status();
  const std::string_view old = snap->contents;
  std::string out;
  out.reserve(old.size() + kMaxUsersLineBytes);
  size_t matched = 0;
  for (size_t pos = 0; pos < old.size();) {
    const size_t nl = old.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? old.size() : nl;
    const std::string_view line = old.substr(pos, end - pos);
    pos = end + 1;
    if (UsersLineUser(line) != user) {
      out.append(line).push_back('\n');
    } else if (matched++ == 0 && replacement != nullptr) {
      // The old comment stays, unless it would make the line too long to
      // read back (the user would then have a malformed record).
      std::string replaced = FormatUsersLine(*replacement);
      const std::string_view comment = TrailingComment(line);
      if (replaced.size() + comment.size() <= kMaxUsersLineBytes) replaced.append(comment);
      out.append(replaced).push_back('\n');
    }
  }
  if (matched == 0) {
    if (replacement == nullptr) return Status::NotFound(user + " has no record in " + path_);
    out.append(FormatUsersLine(*replacement)).push_back('\n');
  }
  return ReplaceFileAtomically(path_, out, snap->mode);
}

}  // namespace twotp
