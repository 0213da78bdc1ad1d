// Challenge: one code sent to one number and checked, in either mode.
//   verify mode:    Twilio makes and checks the code (Verify v2).
//   messaging mode: we make the code (CSPRNG), keep only its HMAC, send it by
//                   SMS or voice call, and compare in constant time within the TTL.
// The login (login.h) and `twilio-otp enroll` both drive it.
#ifndef PAM_TWILIO_OTP_CHALLENGE_H_
#define PAM_TWILIO_OTP_CHALLENGE_H_

#include <memory>
#include <string>

#include "config/channel.h"
#include "base/clock.h"
#include "config/config.h"
#include "base/secret.h"
#include "base/status.h"
#include "twilio/twilio_client.h"
#include "base/pending_code.h"

namespace twotp {

// What is being approved, for the message template and Verify's friendly name.
struct ChallengeContext {
  std::string user;
  std::string service;  // PAM service ("sshd", "sudo"); "twilio-otp" for enrollment
  std::string host;     // this host's name
  std::string rhost;    // PAM_RHOST, may be ""
  std::string command;  // sudo: the command being approved, may be ""
};

class Challenge {
 public:
  virtual ~Challenge() = default;
  // Sends a fresh code to `to` (E.164) over `channel`, replacing any pending
  // one. Errors are classified Twilio faults (see twilio_errors.h) or
  // kBadInput when the mode can't use that channel.
  virtual Status Send(const std::string& to, Channel channel, const ChallengeContext& context) = 0;
  // Checks what the user typed. Input that is not 4..10 digits (or not the
  // configured length, in messaging mode) is kWrongCode without spending a
  // Twilio check. Fault::kCodeDead when no code is pending any more
  // (expired, or Twilio ended the verification).
  virtual Result<CheckOutcome> Check(const Secret& typed) = 0;
  // Gives up on the pending code (verify mode: cancels the verification so
  // it can't be approved later). Safe to call when nothing is pending.
  virtual void Abandon() = 0;
  // Lets go of the pending code without ending it, because a parallel login
  // that shares it still waits for it (LoginState::Release decides).
  virtual void Forget() = 0;

  // The pending code as another login of the same user can take it over
  // (verify mode: the verification SID; messaging mode: the code's HMAC and
  // its key; never the code), stamped with `sent_at` (wall clock). Empty when
  // nothing is pending.
  virtual PendingCode Export(std::time_t sent_at) const = 0;
  // Takes over a code another login sent, so parallel logins of one user share
  // one code instead of sending two. kCodeDead when it is malformed, of the
  // other mode, or older than policy.code_ttl.
  virtual Status Adopt(const PendingCode& pending) = 0;
  // Ends a code a login that is gone left behind, without taking it over
  // (verify mode: cancels its verification, best effort, so the next Send
  // starts a new one with a new code; messaging mode: nothing to do, the
  // code ends with its HMAC in the state). This challenge's own code is
  // untouched.
  virtual void Cancel(const PendingCode& pending) = 0;
};

// The challenge for config.twilio.mode. `client` and `clock` must outlive it.
std::unique_ptr<Challenge> MakeChallenge(const Config& config, TwilioClient& client, Clock& clock);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_CHALLENGE_H_
