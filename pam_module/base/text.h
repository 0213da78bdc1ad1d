// Text helpers, one home each, all ASCII whatever the locale says (the
// caller sets the locale of a setuid program): digits, blanks, case folding
// for the words the module compares without regard to case (commands typed
// at the prompt, channel names, LDAP booleans and attribute names), and
// making caller-controlled text safe to show on a screen or in an SMS.
#ifndef PAM_TWILIO_OTP_BASE_TEXT_H_
#define PAM_TWILIO_OTP_BASE_TEXT_H_

#include <string>
#include <string_view>

namespace twotp {

// An ASCII digit, whatever the locale says (std::isdigit asks the locale).
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// True when `text` is only ASCII digits and min..max long.
bool IsDigits(std::string_view text, size_t min_length, size_t max_length);

// ASCII letters and digits only.
bool IsAlnum(char c);
bool IsHex(char c);
bool IsLetter(char c);

// A Twilio resource ID: `prefix` ("AC", "VA", "VE", "SM"...) and 32 hex
// digits, as Twilio's OpenAPI specs define them. SIDs from replies go into
// later URL paths, so nothing else (no '/', no '?') may pass.
bool IsSid(std::string_view value, std::string_view prefix);

// `text` without leading and trailing ASCII blanks (space, tab, CR, LF, VT, FF).
std::string_view Trim(std::string_view text);

// ASCII case-insensitive equality; allocates nothing.
bool EqualsIgnoringCase(std::string_view a, std::string_view b) noexcept;

// std::tolower asks the locale (sudo sets the caller's): 'I' may not fold to 'i'.
inline std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Caller-controlled text made safe for a screen or an SMS (not for logs:
// the logger escapes every line itself):
// Printable ASCII only (others become '?', controls a space), at most max_length.
std::string SanitizeForMessage(std::string_view value, size_t max_length);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_BASE_TEXT_H_
