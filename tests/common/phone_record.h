// Record: a PhoneRecord from its fields, for the users-file tests.
#ifndef PAM_TWILIO_OTP_TESTS_PHONE_RECORD_H_
#define PAM_TWILIO_OTP_TESTS_PHONE_RECORD_H_

#include <string>

#include "directory/directory.h"

namespace twotp_test {

inline twotp::PhoneRecord Record(const std::string& user, const std::string& number,
                                 const std::string& verified = "") {
  twotp::PhoneRecord r;
  r.user = user;
  r.number = number;
  r.verified_at = verified;
  return r;
}

}  // namespace twotp_test

#endif  // PAM_TWILIO_OTP_TESTS_PHONE_RECORD_H_
