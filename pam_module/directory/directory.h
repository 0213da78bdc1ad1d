// Directory: where a user's verified phone number comes from. The file
// backend (users_file.h) for one host, LDAP (ldap_directory.h) for a fleet;
// OpenDirectory (open_directory.h) picks the configured one.
#ifndef PAM_TWILIO_OTP_DIRECTORY_H_
#define PAM_TWILIO_OTP_DIRECTORY_H_

#include <string>
#include <vector>

#include "config/channel.h"
#include "directory/fleet_store.h"
#include "base/status.h"

namespace twotp {

struct PhoneRecord {
  std::string user;
  std::string number;               // E.164
  Channel channel = Channel::kSms;  // the user's preferred channel
  std::string verified_at;          // ISO 8601 UTC "2026-11-23T19:00:00Z"; "" = not recorded
  // The number was proven (a code typed for it): the file's VERIFIED_AT, or
  // the directory's own word (LDAP). False only for `enroll --no-verify`.
  bool verified = false;
  // For Verify's email channel; "" = none. Proven or not as the number is
  // (the address came from the same administrator or directory).
  std::string email;
};

class Directory {
 public:
  virtual ~Directory() = default;
  // The user's record; Fault::kNotFound only when the directory was read
  // whole and confirms there is none; any read or parse problem that could
  // hide the user is Fault::kDirectory.
  virtual Result<PhoneRecord> Lookup(const std::string& user) = 0;
  // Adds or replaces the user's record (enrolment at login, `twilio-otp enroll`).
  virtual Status Enroll(const PhoneRecord& record) = 0;
  // Removes the user's number; kNotFound if there was none.
  virtual Status Remove(const std::string& user) = 0;
  // Every usable record (`twilio-otp list`, check-config).
  virtual Result<std::vector<PhoneRecord>> List() = 0;
  // Where the numbers live, for messages: the file's path, the LDAP URIs.
  virtual std::string Where() const = 0;
  // The fleet state kept beside the numbers (state.backend = "ldap");
  // nullptr for a backend that can't keep it (the users file). Owned by
  // the directory.
  virtual FleetStore* Fleet() { return nullptr; }
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_DIRECTORY_H_
