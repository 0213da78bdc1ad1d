// A directory that could not be opened: every call returns why, so the
// login refuses with that reason as it would for a directory that can't be
// read (never "not enrolled").
#ifndef PAM_TWILIO_OTP_UNAVAILABLE_DIRECTORY_H_
#define PAM_TWILIO_OTP_UNAVAILABLE_DIRECTORY_H_

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "directory/directory.h"

namespace twotp {

class UnavailableDirectory : public Directory {
 public:
  UnavailableDirectory(Status why, std::string where) : why_(std::move(why)), where_(std::move(where)) {}
  Result<PhoneRecord> Lookup(const std::string&) override { return why_; }
  Status Enroll(const PhoneRecord&) override { return why_; }
  Status Remove(const std::string&) override { return why_; }
  Result<std::vector<PhoneRecord>> List() override { return why_; }
  std::string Where() const override { return where_; }

 private:
  Status why_;
  std::string where_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_UNAVAILABLE_DIRECTORY_H_
