// PendingCode: a code sent and not yet used, as plain data: the challenge
// exports and adopts it (twilio/), the state store keeps it (state/), so it
// lives below both.
#ifndef PAM_TWILIO_OTP_BASE_PENDING_CODE_H_
#define PAM_TWILIO_OTP_BASE_PENDING_CODE_H_

#include <ctime>
#include <string>
#include <vector>

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
  // The logins (processes) waiting for this code, one entry per login (so
  // threads of one process each count): the sender and every login that
  // shared it. While one of them runs the code is offered to a new login;
  // once all are gone the next login is told so, or gets a fresh code
  // (LoginState::SendOrShare). A login that gives up leaves the code to the
  // others; the last one cancels it. Files written before kept one "owner".
  std::vector<ProcessId> holders;
  bool empty() const { return sent_at == 0; }
  // What names this code across logins: the verification SID, or (messaging
  // mode) its HMAC.
  const std::string& id() const { return verification_sid.empty() ? mac_hex : verification_sid; }
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_BASE_PENDING_CODE_H_
