// Email addresses, for Verify's email channel: the check every address
// passes before it is stored or sent, and the masked form prompts and logs use.
#ifndef PAM_TWILIO_OTP_EMAIL_ADDRESS_H_
#define PAM_TWILIO_OTP_EMAIL_ADDRESS_H_

#include <string>
#include <string_view>

namespace twotp {

// An address Verify can send to and the users file can hold: one '@' with a
// local part of 1..64 and a domain of 1..253 characters holding a dot and
// no empty label, at most 254 in all (RFC 5321's limits); printable ASCII
// only, none of white space, '#', '"', brackets, ',', ';', ':' or '\'.
// Stricter than RFC 5322 on purpose: a quoted local part or an address
// literal is a way to smuggle text, not a mailbox anyone types at a login.
bool IsEmailAddress(std::string_view address);

// "a•••@example.com": the first character of the local part, the domain
// whole (it names the organisation, not the person). For a string that is
// not an address, "(address)".
std::string MaskEmail(std::string_view address);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_EMAIL_ADDRESS_H_
