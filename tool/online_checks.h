// `twilio-otp check-config --online`: the config's Twilio side, asked of
// Twilio itself with reads only (account_reader.h), so that a wrong token,
// a missing CA, an unknown Verify service or sender, a trial account's
// unverified numbers are found before a user is locked out. Nothing is sent.
// And, offline too: the example config's placeholder SIDs are refused.
#ifndef PAM_TWILIO_OTP_TOOL_ONLINE_CHECKS_H_
#define PAM_TWILIO_OTP_TOOL_ONLINE_CHECKS_H_

#include <vector>

#include "config/config.h"
#include "directory/directory.h"

namespace twotp::cli {

// Problems with SIDs copied from the shipped example (AC0123456789abcdef…):
// each printed with where to find the real one. Returns how many.
int CheckNotExampleSids(const TwilioConfig& twilio);

// Prints one line per check ("ok", "warning", "FAILED", "not checked") with,
// for each failure, what to fix and the Twilio Console page where; returns
// the number of failures. `records` are the enrolled users (for a trial
// account's verified numbers and the countries Geo Permissions must allow).
int CheckTwilioOnline(const Config& config, const std::vector<PhoneRecord>& records);

}  // namespace twotp::cli

#endif  // PAM_TWILIO_OTP_TOOL_ONLINE_CHECKS_H_
