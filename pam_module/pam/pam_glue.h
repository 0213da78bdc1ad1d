// PAM-side implementations of the core's seams: the conversation over
// pam_prompt/pam_info/pam_error and the logger over pam_syslog (authpriv).
// Only the module links these (pam_*.cc).
#ifndef PAM_TWILIO_OTP_PAM_GLUE_H_
#define PAM_TWILIO_OTP_PAM_GLUE_H_

#include <security/pam_modules.h>

#include <string>
#include <utility>

#include "login/conversation.h"
#include "base/logger.h"

namespace twotp {

class PamConversation : public Conversation {
 public:
  // `unreachable`: why nobody can answer through this conversation even though
  // it works (sudo -S reading a script's pipe), or "" when a person may. Then
  // Info (the login's first message, its probe) shows that reason as an error
  // and fails, so the login stops before a code is sent.
  explicit PamConversation(pam_handle_t* pamh, std::string unreachable = "")
      : pamh_(pamh), unreachable_(std::move(unreachable)) {}
  Status Info(const std::string& text) override;
  Status Error(const std::string& text) override;
  Result<Secret> AskHidden(const std::string& prompt) override;
  Result<Secret> AskVisible(const std::string& prompt) override;

 private:
  Result<Secret> Ask(int style, const std::string& prompt);
  pam_handle_t* pamh_;
  std::string unreachable_;
};

class PamLogger : public Logger {
 public:
  PamLogger(pam_handle_t* pamh, bool debug) : pamh_(pamh), debug_(debug) {}
  bool debug_enabled() const override { return debug_; }

 protected:
  void Write(LogLevel level, const std::string& escaped_line) override;

 private:
  pam_handle_t* pamh_;
  bool debug_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_PAM_GLUE_H_
