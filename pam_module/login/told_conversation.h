// A Conversation that remembers whether the person was told anything since
// they last answered, so that a login which refuses or gives up always ends
// with one sentence of its own (LoginFlow::Finish), never with only PAM's
// "Authentication failure" or "Conversation error".
#ifndef PAM_TWILIO_OTP_TOLD_CONVERSATION_H_
#define PAM_TWILIO_OTP_TOLD_CONVERSATION_H_

#include <string>

#include "login/conversation.h"

namespace twotp {

class ToldConversation : public Conversation {
 public:
  explicit ToldConversation(Conversation& inner) : inner_(inner) {}

  Status Info(const std::string& text) override { return inner_.Info(text); }
  Status Error(const std::string& text) override {
    told_ = true;  // even when it fails: a second try would not reach them either
    return inner_.Error(text);
  }
  Result<Secret> AskHidden(const std::string& prompt) override { return Answered(inner_.AskHidden(prompt)); }
  Result<Secret> AskVisible(const std::string& prompt) override { return Answered(inner_.AskVisible(prompt)); }

  // An error was shown since the last answer (or since the start).
  bool told() const { return told_; }

 private:
  Result<Secret> Answered(Result<Secret> reply) {
    told_ = false;
    return reply;
  }

  Conversation& inner_;
  bool told_ = false;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_TOLD_CONVERSATION_H_
