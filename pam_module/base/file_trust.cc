#include "base/file_trust.h"

#include <fcntl.h>
#include <string.h>  // explicit_bzero
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <string_view>
#include <system_error>

#include "base/unique_fd.h"
#include "base/text.h"
#include "base/sys_text.h"

namespace twotp {

namespace {

// A secret file holds one token (Twilio's are 32 characters); anything much
// larger is the wrong file.
constexpr size_t kMaxSecretBytes = 4096;

// A path comes from the config (or names a user's state file) and may hold
// anything. The logger escapes log lines itself; this is for the CLI, which
// prints the message on an administrator's terminal.
Status Problem(const std::string& path, const std::string& what) {
  return Status::ConfigError(SanitizeForMessage(path, 256) + ": " + what);
}

Status OpenError(const std::string& path, int err) {
  switch (err) {
    case ENOENT:
      return Problem(path, "does not exist");
    // O_NOFOLLOW fails with ELOOP on a final symlink: whoever can change the
    // link could point it at a file of their choosing.
    case ELOOP:
      return Problem(path, "is a symbolic link; name the file itself");
    default:
      return Problem(path, "cannot open: " + ErrnoText(err));
  }
}

// The checks on the open file. `secret` adds "nothing for others": the auth
// token must not be readable by every local user.
Status CheckOpenFile(const std::string& path, const struct stat& st, uid_t owner, bool secret) {
  if (!S_ISREG(st.st_mode)) return Problem(path, "not a regular file");
  if (st.st_uid != owner) {
    return Problem(path, "owned by uid " + std::to_string(st.st_uid) + ", not uid " + std::to_string(owner) +
                             "; chown " + std::to_string(owner) + " it");
  }
  // Checked before the writable bits so that one chmod fixes a 0666 secret.
  if (secret && (st.st_mode & S_IRWXO) != 0) {
    return Problem(path, "readable by others (mode " + ModeText(st.st_mode) + "); chmod 600 it");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Problem(path, "writable by group or others (mode " + ModeText(st.st_mode) + "); chmod go-w it");
  }
  return Status::Ok();
}

Result<UniqueFd> OpenChecked(const std::string& path, uid_t owner, bool secret) {
  // O_NONBLOCK so that a FIFO planted at the path cannot hang the login in
  // open(); the S_ISREG check refuses it right after. On the regular files
  // that pass, O_NONBLOCK changes nothing.
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) return OpenError(path, errno);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Problem(path, "cannot stat: " + ErrnoText(errno));
  Status checked = CheckOpenFile(path, st, owner, secret);
  if (!checked.ok()) return checked;
  return fd;  // moved: Result takes the only owner
}

// Reads `fd` to the end into `sink`, refusing more than max_bytes. The
// buffer is wiped because secrets pass through it too.
Status ReadAll(int fd, const std::string& path, size_t max_bytes,
               const std::function<void(std::string_view)>& sink) {
  char buffer[4096];
  size_t total = 0;
  Status status;
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = Problem(path, "cannot read: " + ErrnoText(errno));
      break;
    }
    if (n == 0) break;
    total += static_cast<size_t>(n);
    if (total > max_bytes) {
      status = Problem(path, "larger than " + std::to_string(max_bytes) + " bytes");
      break;
    }
    sink(std::string_view(buffer, static_cast<size_t>(n)));
  }
  explicit_bzero(buffer, sizeof buffer);  // as Wipe (secret.h): no OpenSSL in the front
  return status;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Control characters or blanks inside a token would end up in an HTTP
// header; a file like that is not what the administrator meant to write.
bool IsCleanToken(std::string_view token) {
  for (unsigned char c : token) {
    if (c <= ' ' || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

Result<UniqueFd> FileTrust::OpenTrusted(const std::string& path) const {
  return OpenChecked(path, owner_, /*secret=*/false);
}

Result<UniqueFd> FileTrust::OpenSecret(const std::string& path) const {
  return OpenChecked(path, owner_, /*secret=*/true);
}

Result<std::string> FileTrust::ReadTrusted(const std::string& path, size_t max_bytes) const {
  Result<UniqueFd> fd = OpenTrusted(path);
  if (!fd.ok()) return fd.status();
  std::string text;
  Status read = ReadAll(fd->get(), path, max_bytes, [&text](std::string_view chunk) { text.append(chunk); });
  if (!read.ok()) return read;
  return text;
}

Result<Secret> FileTrust::ReadSecret(const std::string& path) const {
  Result<UniqueFd> fd = OpenSecret(path);
  if (!fd.ok()) return fd.status();
  Secret raw;
  Status read =
      ReadAll(fd->get(), path, kMaxSecretBytes, [&raw](std::string_view chunk) { raw.Append(chunk); });
  if (!read.ok()) return read;

  std::string_view text = raw.view();
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  if (text.empty()) return Problem(path, "is empty; put the secret in it");
  // The message must not quote the token, not even part of it.
  if (!IsCleanToken(text)) return Problem(path, "has blanks or control characters inside the secret");
  return Secret(text);  // `raw` wipes itself on return
}

}  // namespace twotp
