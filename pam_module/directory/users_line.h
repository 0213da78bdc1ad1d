// One line of the users file (format in users_file.h): the strict parser,
// the formatter and the checks the CLI makes before it writes one.
#ifndef PAM_TWILIO_OTP_USERS_LINE_H_
#define PAM_TWILIO_OTP_USERS_LINE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"
#include "directory/directory.h"

namespace twotp {

// One line, parsed. Exposed for unit tests and the fuzzer.
// Returns kNotFound for blank/comment lines, kBadInput naming the problem
// (never quoting the line's fields: a shifted field may be a number).
Result<PhoneRecord> ParseUsersLine(std::string_view line);
// The line written for a record (no newline).
std::string FormatUsersLine(const PhoneRecord& record);
// Ok when FormatUsersLine(record) parses back to the same record (valid user
// name, E.164 number, time "" or ISO 8601 UTC, email "" or an address);
// else kBadInput saying why.
// Upsert checks this; the CLI checks it before sending a code.
Status CheckRecord(const PhoneRecord& record);
// The first field of a line with its comment removed ("" if none): the user
// a malformed line is about.
std::string_view UsersLineUser(std::string_view line);
// Whether a line's first field is `user` (UsersLineUser(line) == user, for a
// non-empty user), looking at no more of the line than it must: a lookup
// asks it of every line of a file that may hold a million, so what depends
// on `user` alone is settled once, when the test is made. `user` must
// outlive it.
class FirstFieldIs {
 public:
  explicit FirstFieldIs(std::string_view user);
  bool operator()(std::string_view line) const;

 private:
  std::string_view user_;
  bool possible_;  // false: `user` could never be a first field
};
// Lines longer than this (newline excluded) are malformed; readers keep only
// this much of a line in memory.
inline constexpr size_t kMaxUsersLineBytes = 1024;

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_USERS_LINE_H_
