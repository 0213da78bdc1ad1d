// Conversation: how the login talks to the person, without PAM in the type.
// The module implements it over the PAM conversation (pam_conversation.cc);
// tests drive the login with a scripted one.
#ifndef PAM_TWILIO_OTP_CONVERSATION_H_
#define PAM_TWILIO_OTP_CONVERSATION_H_

#include <string>

#include "base/secret.h"
#include "base/status.h"

namespace twotp {

class Conversation {
 public:
  virtual ~Conversation() = default;
  // Shows a line of information / an error. A failed conversation (no
  // conversation function, a non-interactive caller) is a non-ok Status.
  virtual Status Info(const std::string& text) = 0;
  virtual Status Error(const std::string& text) = 0;
  // Asks with echo off; the answer is a Secret. A failed conversation
  // (Ctrl-C, no terminal, no answer) is a non-ok Status.
  virtual Result<Secret> AskHidden(const std::string& prompt) = 0;
  // Asks with echo on (a phone number at enrolment); same failure rules.
  virtual Result<Secret> AskVisible(const std::string& prompt) = 0;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_CONVERSATION_H_
