// A QR code drawn with Unicode block characters, for `twilio-otp enroll
// --totp`: the administrator's terminal shows the otpauth:// URI so the
// user's authenticator app can scan it (libqrencode makes the code, as
// google-authenticator's does).
#ifndef TWILIO_OTP_QR_TERMINAL_H_
#define TWILIO_OTP_QR_TERMINAL_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace twotp::cli {

// `text` as a QR code (error correction M), two rows of modules per line of
// text ("▀", "▄", "█", " "), dark modules drawn light-on-dark so it scans on
// the usual dark terminal, with a 2-module quiet zone. kInternal when
// libqrencode can't encode it (too long).
Result<std::string> QrForTerminal(std::string_view text);

}  // namespace twotp::cli

#endif  // TWILIO_OTP_QR_TERMINAL_H_
