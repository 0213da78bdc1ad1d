// The configured phone directory: the users file or LDAP.
#ifndef PAM_TWILIO_OTP_OPEN_DIRECTORY_H_
#define PAM_TWILIO_OTP_OPEN_DIRECTORY_H_

#include <memory>

#include "config/config.h"
#include "directory/directory.h"
#include "base/file_trust.h"
#include "base/logger.h"

namespace twotp {

// `trust` and `log` must outlive the result. Opening touches nothing: the
// file is read, or the servers contacted, by each call.
std::unique_ptr<Directory> OpenDirectory(const DirectoryConfig& config, const FileTrust& trust, Logger& log);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_OPEN_DIRECTORY_H_
