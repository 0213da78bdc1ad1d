// Text helpers with no other home: ASCII case folding for the words the
// module compares without regard to case (commands typed at the prompt,
// channel names and LDAP booleans, LDAP attribute names in the config), and
// making caller-controlled text safe to show on a screen or in an SMS.
#ifndef PAM_TWILIO_OTP_BASE_TEXT_H_
#define PAM_TWILIO_OTP_BASE_TEXT_H_

#include <cctype>
#include <string>
#include <string_view>

namespace twotp {

// An ASCII digit, whatever the locale says (std::isdigit asks the locale).
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

inline std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Caller-controlled text made safe for a screen or an SMS (not for logs:
// the logger escapes every line itself):
// Printable ASCII only (others become '?', controls a space), at most max_length.
std::string SanitizeForMessage(std::string_view value, size_t max_length);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_BASE_TEXT_H_
