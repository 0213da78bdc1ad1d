// Hints that turn a bare config error into one that names the setting:
// libconfig 1.5 reports a syntax error or a duplicate setting with a line
// only, and "unknown key" alone leaves a typo to be found by eye.
// Internal to config*.cc.
#ifndef PAM_TWILIO_OTP_CONFIG_HINTS_H_
#define PAM_TWILIO_OTP_CONFIG_HINTS_H_

#include <span>
#include <string>
#include <string_view>

#include "config/config_reader.h"

namespace twotp {

// The key of `schema` an unknown `key` most likely meant, for "did you mean":
// the nearest by edit distance (insertions, deletions, substitutions and
// swaps of neighbours) when that is at most max(1, length of its last
// segment / 4), or the key with the same last segment in another group
// ("policy.lockout" -> "limits.lockout"). A "*" segment of the schema
// ("policy.services.*.grace_period") stands for the key's own segment there.
// "" when no key is near.
std::string NearestKey(std::string_view key, std::span<const KeySpec> schema);

// The problem libconfig reported as `error` on `line` of `text`, said with
// what is on that line: "duplicate setting "timeout" (already set on line 9)",
// "syntax error near "max_attempts = ;"", or "syntax error at the end of the
// file (a group, list or string not closed?)". What is quoted comes through
// Quoted() (control characters replaced, cut short).
std::string DescribeParseError(std::string_view text, int line, std::string_view error);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_CONFIG_HINTS_H_
