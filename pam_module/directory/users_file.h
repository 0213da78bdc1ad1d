// The file backend of the phone directory: /etc/security/pam_twilio_otp.users.
//
// Format, one record per line, fields separated by white space:
//   USER  +E164NUMBER  CHANNEL  VERIFIED_AT           [EMAIL]
//   alice +15550104567 sms      2026-11-23T19:00:00Z
//   bob   +447700900123 call    -            # "-": loaded with --no-verify
//   carol +15550104568 email    2026-11-23T19:00:00Z  carol@example.com
// EMAIL, optional, is the address for Verify's email channel; CHANNEL
// "email" needs one. CHANNEL "totp" is an authenticator app through Verify
// (the seed stays at Twilio); its NUMBER may be "-".
// '#' starts a comment (whole line or after the fields); blank lines are fine.
// A malformed line is reported with its line number and skipped; it never
// stops the others from being read. Lookups stream the file line by line.
// The format of one line is users_line.h's.
#ifndef PAM_TWILIO_OTP_USERS_FILE_H_
#define PAM_TWILIO_OTP_USERS_FILE_H_

#include <string>
#include <vector>

#include "directory/directory.h"
#include "base/file_trust.h"
#include "base/logger.h"
#include "directory/users_line.h"

namespace twotp {

class UsersFile : public Directory {
 public:
  // `trust` and `log` must outlive this object.
  UsersFile(std::string path, const FileTrust& trust, Logger& log);

  // Streams the file. A missing or unreadable file is a kDirectory fault (it
  // can't confirm that anyone is unenrolled). Malformed lines are logged as warnings ("PATH:LINE: ...") and
  // skipped; a malformed line that names `user` makes the lookup a kDirectory
  // fault rather than "not enrolled". Two records for one user: kDirectory.
  Result<PhoneRecord> Lookup(const std::string& user) override;
  Status Enroll(const PhoneRecord& record) override { return Upsert(record); }

  // Every valid record, in file order (for `twilio-otp list`). A missing file
  // is an empty list here (nobody enrolled yet).
  Result<std::vector<PhoneRecord>> List() override;
  std::string Where() const override { return path_; }

  // Adds or replaces `record` under an exclusive lock on PATH.lock, writing a
  // temp file in the same directory, fsync, rename, fsync of the directory.
  // Comments and other lines are kept as they are. Creates the file (0600,
  // root) when missing.
  Status Upsert(const PhoneRecord& record);

  // Removes the user's record the same way; kNotFound if there was none.
  Status Remove(const std::string& user) override;

 private:
  // Upsert and Remove: the locked re-read and atomic rewrite.
  Status Rewrite(const std::string& user, const PhoneRecord* replacement);

  std::string path_;
  const FileTrust& trust_;
  Logger& log_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_USERS_FILE_H_
