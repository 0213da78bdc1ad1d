// Directory: where a user's verified phone number comes from. The file
// backend (users_file.h) today, LDAP for fleets later.
#ifndef PAM_TWILIO_OTP_DIRECTORY_H_
#define PAM_TWILIO_OTP_DIRECTORY_H_

#include <string>

#include "channel.h"
#include "status.h"

namespace twotp {

struct PhoneRecord {
  std::string user;
  std::string number;               // E.164
  Channel channel = Channel::kSms;  // the user's preferred channel
  std::string verified_at;          // ISO 8601 UTC "2026-11-23T19:00:00Z"; "" = loaded with --no-verify
};

class Directory {
 public:
  virtual ~Directory() = default;
  // The user's record; Fault::kNotFound only when the directory was read
  // whole and confirms there is none; any read or parse problem that could
  // hide the user is Fault::kDirectory.
  virtual Result<PhoneRecord> Lookup(const std::string& user) = 0;
  // Adds or replaces the user's record (enrolment at login, unenrolled = "enroll").
  virtual Status Enroll(const PhoneRecord& record) = 0;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_DIRECTORY_H_
