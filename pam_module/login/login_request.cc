#include "login/login_request.h"

#include "base/logger.h"

namespace twotp {
namespace {

constexpr size_t kMaxLoggedField = 64;

}  // namespace

std::string UserForLog(const LoginRequest& request) {
  std::string name = LogField(request.user, kMaxLoggedField);
  if (!request.login_name.empty() && request.login_name != request.user) {
    name += " (as " + LogField(request.login_name, kMaxLoggedField) + ")";
  }
  return name;
}

std::string WhoForLog(const LoginRequest& request) {
  // Only bounded: the logger escapes what the caller put in these.
  std::string who = "user=" + UserForLog(request) + " service=" + LogField(request.service, kMaxLoggedField);
  if (!request.rhost.empty()) who += " rhost=" + LogField(request.rhost, kMaxLoggedField);
  if (!request.tty.empty()) who += " tty=" + LogField(request.tty, kMaxLoggedField);
  return who;
}

}  // namespace twotp
