// LoginRequest: who is logging in, where and for what, as the PAM entry
// gathered it; and how log lines name them.
#ifndef PAM_TWILIO_OTP_LOGIN_REQUEST_H_
#define PAM_TWILIO_OTP_LOGIN_REQUEST_H_

#include <optional>
#include <string>

#include "login/session_identity.h"

namespace twotp {

struct LoginRequest {
  // The account's canonical name from NSS (pam_entry: getpwnam, then
  // getpwuid's pw_name), so that another case or an alias of the same uid
  // finds the same number, state and skip rules.
  std::string user;
  std::string service;
  std::string host;
  std::string rhost;
  std::string tty;
  std::string command;  // sudo: the command being approved
  std::string login_name = {};  // the name PAM gave, when it is not `user`; else ""
  // The terminal session the grace period of a local login is bound to, read
  // from /proc (CurrentSession), never from `tty`, which is only a name for
  // logs; nullopt without a controlling terminal: no grace.
  std::optional<SessionIdentity> session = std::nullopt;
};

// How log lines name the user: "rtuser", or "rtuser (as RTUSER)" when PAM
// gave another name for the account; each name bounded (LogField).
std::string UserForLog(const LoginRequest& request);

// "user=NAME service=SERVICE [rhost=HOST] [tty=TTY]": how every log line of
// a login starts; each field bounded (LogField), escaped by the logger.
std::string WhoForLog(const LoginRequest& request);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LOGIN_REQUEST_H_
