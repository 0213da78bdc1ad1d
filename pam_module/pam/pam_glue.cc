#include "pam/pam_glue.h"

#include <security/pam_ext.h>
#include <syslog.h>

#include <cstdlib>
#include <cstring>

namespace twotp {

namespace {

Status ConversationStatus(int rc, const char* what) {
  if (rc == PAM_SUCCESS) return Status::Ok();
  return Status::BadInput(std::string("conversation failed to ") + what + ": " +
                                             std::to_string(rc));
}

// The application must have a conversation function at all; pam_prompt
// would report a missing one only as a generic PAM_CONV_ERR.
bool HasConversation(pam_handle_t* pamh) {
  const void* item = nullptr;
  if (pam_get_item(pamh, PAM_CONV, &item) != PAM_SUCCESS || item == nullptr) return false;
  return static_cast<const struct pam_conv*>(item)->conv != nullptr;
}

}  // namespace

Status PamConversation::Info(const std::string& text) {
  if (!HasConversation(pamh_)) return ConversationStatus(PAM_CONV_ERR, "show a message");
  if (!unreachable_.empty()) {
    (void)pam_error(pamh_, "%s", unreachable_.c_str());
    return ConversationStatus(PAM_CONV_ERR, "reach a person");
  }
  return ConversationStatus(pam_info(pamh_, "%s", text.c_str()), "show a message");
}

Status PamConversation::Error(const std::string& text) {
  if (!HasConversation(pamh_)) return ConversationStatus(PAM_CONV_ERR, "show an error");
  return ConversationStatus(pam_error(pamh_, "%s", text.c_str()), "show an error");
}

Result<Secret> PamConversation::AskHidden(const std::string& prompt) { return Ask(PAM_PROMPT_ECHO_OFF, prompt); }

Result<Secret> PamConversation::AskVisible(const std::string& prompt) { return Ask(PAM_PROMPT_ECHO_ON, prompt); }

Result<Secret> PamConversation::Ask(int style, const std::string& prompt) {
  if (!HasConversation(pamh_) || !unreachable_.empty()) return ConversationStatus(PAM_CONV_ERR, "ask");
  char* response = nullptr;
  const int rc = pam_prompt(pamh_, style, &response, "%s", prompt.c_str());
  if (rc != PAM_SUCCESS || response == nullptr) {
    if (response != nullptr) {
      explicit_bzero(response, std::strlen(response));
      std::free(response);
    }
    return ConversationStatus(rc == PAM_SUCCESS ? PAM_CONV_ERR : rc, "ask");
  }
  Secret answer(response);
  explicit_bzero(response, std::strlen(response));
  std::free(response);
  return answer;
}

void PamLogger::Write(LogLevel level, const std::string& escaped_line) {
  int priority = LOG_INFO;
  switch (level) {
    case LogLevel::kDebug:
      if (!debug_) return;
      priority = LOG_DEBUG;
      break;
    case LogLevel::kInfo: priority = LOG_INFO; break;
    case LogLevel::kNotice: priority = LOG_NOTICE; break;
    case LogLevel::kWarning: priority = LOG_WARNING; break;
    case LogLevel::kError: priority = LOG_ERR; break;
    case LogLevel::kCritical: priority = LOG_CRIT; break;
  }
  pam_syslog(pamh_, priority, "%s", escaped_line.c_str());
}

}  // namespace twotp
