// ASCII case folding for the words the module compares without regard to
// case: commands typed at the prompt, channel names and LDAP booleans from a
// directory, LDAP attribute names in the config.
#ifndef PAM_TWILIO_OTP_ASCII_TEXT_H_
#define PAM_TWILIO_OTP_ASCII_TEXT_H_

#include <cctype>
#include <string>
#include <string_view>

namespace twotp {

inline std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_ASCII_TEXT_H_
