// Phone numbers: E.164 validation and the masked form used in prompts and logs.
#ifndef PAM_TWILIO_OTP_PHONE_H_
#define PAM_TWILIO_OTP_PHONE_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace twotp {

// True for "+" followed by 8..15 digits, the first not 0 (ITU-T E.164).
bool IsE164(std::string_view number);

// Normalises what an administrator typed ("+1 (555) 010-4567", "+44 20 7946 0018")
// to E.164 by dropping spaces, dots, dashes and parentheses. Anything else, or a
// result that is not E.164, is a kBadInput Status saying why.
Result<std::string> NormalizeE164(std::string_view typed);

// "+1 ••• ••• 4567" style: the country code (as best known) and the last
// four digits, everything else as bullets in groups of three. Never reveals
// more than the last four digits. Used in prompts and in every log line.
std::string MaskNumber(std::string_view e164);

// The E.164 country calling code of a valid number ("1", "44", "353"), by
// the ITU assignment table; "" if not known.
std::string CountryCallingCode(std::string_view e164);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_PHONE_H_
