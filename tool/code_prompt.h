// Reading a one-time code from the person running twilio-otp.
#ifndef PAM_TWILIO_OTP_TOOL_CODE_PROMPT_H_
#define PAM_TWILIO_OTP_TOOL_CODE_PROMPT_H_

#include <string>

#include "base/secret.h"
#include "base/status.h"

namespace twotp::cli {

// When stdin is a terminal: writes `prompt` to /dev/tty and reads a line
// there with echo off (restored afterwards, also after Ctrl-C). Otherwise
// writes the prompt to stderr and reads one line from stdin, so scripts and
// tests can pipe codes in. The line, trimmed of surrounding white space, goes
// into `code` (a Secret, read byte by byte so no stdio buffer keeps a copy).
// kBadInput "no code given" at end of input, "interrupted" on SIGINT,
// SIGTERM or SIGHUP.
Status ReadCode(const std::string& prompt, Secret& code);

}  // namespace twotp::cli

#endif  // PAM_TWILIO_OTP_TOOL_CODE_PROMPT_H_
