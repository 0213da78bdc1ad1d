// FileTrust: the checks a file must pass before the module believes it. The
// expected owner is passed in (root in production) so tests can run the same
// checks on files they own.
#ifndef PAM_TWILIO_OTP_FILE_TRUST_H_
#define PAM_TWILIO_OTP_FILE_TRUST_H_

#include <sys/types.h>

#include <string>

#include "base/secret.h"
#include "base/status.h"
#include "base/unique_fd.h"

namespace twotp {

class FileTrust {
 public:
  explicit FileTrust(uid_t owner = 0) : owner_(owner) {}
  uid_t owner() const { return owner_; }

  // Opens `path` for reading without following a final symlink (O_NOFOLLOW,
  // O_CLOEXEC) and checks the open file: a regular file, owned by owner(),
  // not writable by group or others. Returns the owned fd or a kConfig
  // Status naming the path and the problem.
  Result<UniqueFd> OpenTrusted(const std::string& path) const;

  // As OpenTrusted, and also not readable by others: for secrets.
  Result<UniqueFd> OpenSecret(const std::string& path) const;

  // Reads a whole trusted file of at most max_bytes (larger is an error).
  Result<std::string> ReadTrusted(const std::string& path, size_t max_bytes) const;

  // Reads a secret file (trimmed of surrounding white space); empty is an error.
  Result<Secret> ReadSecret(const std::string& path) const;

 private:
  uid_t owner_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_FILE_TRUST_H_
