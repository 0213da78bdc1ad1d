// PendingCode: a code sent and not yet used, as plain data: the challenge
// exports and adopts it (twilio/), the state store keeps it (state/), so it
// lives below both.
#ifndef PAM_TWILIO_OTP_BASE_PENDING_CODE_H_
#define PAM_TWILIO_OTP_BASE_PENDING_CODE_H_

#include <ctime>
#include <string>

#include "base/proc_stat.h"

namespace twotp {

// A code sent and not yet used, so a second login of the same user at the
// same time asks for that code instead of sending another.
struct PendingCode {
  std::string verification_sid;  // verify mode: "VE..."; "" in messaging mode
  std::string mac_key_hex;       // messaging mode: the code's HMAC key ...
  std::string mac_hex;           // ... and HMAC-SHA256 (never the code)
  std::string channel;           // "sms" | "call" | "whatsapp"
  std::time_t sent_at = 0;
  // The login (process) that sent it, or took it over from one that ended:
  // while it runs the code is offered to parallel logins as today; once it
  // is gone the next login is told so, or gets a fresh code
  // (LoginState::SendOrShare). Unknown (pid 0) in files written before.
  ProcessId owner = {};
  bool empty() const { return sent_at == 0; }
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_BASE_PENDING_CODE_H_
