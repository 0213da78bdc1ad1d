// LoginState: everything one login reads and writes in the state store, each
// step one StateStore::Update so the check and the count happen under the
// user's lock: the lockout, the limits around a send (and the pending code a
// parallel login may share), backup codes, failures, and the grace entry a
// success leaves behind.
#ifndef PAM_TWILIO_OTP_LOGIN_STATE_H_
#define PAM_TWILIO_OTP_LOGIN_STATE_H_

#include <functional>
#include <string>

#include "challenge.h"
#include "clock.h"
#include "config.h"
#include "secret.h"
#include "state_store.h"
#include "status.h"

namespace twotp {

class LoginState {
 public:
  // `config`, `store` and `clock` must outlive this object. `grace_key` is
  // GraceKey(service, rhost, tty) for this login.
  LoginState(const Config& config, const StateStore& store, Clock& clock, std::string user,
             std::string grace_key);

  // The user's state as it is now (for the skip rules), kState when corrupt.
  Result<UserState> Read() const;

  // kRejected (with a user_message) while the user is locked out.
  Status CheckNotLocked() const;

  // Under the user's lock: refuses while locked out or outside
  // allowed_countries; unless `fresh`, takes over a code another login of the
  // same user sent within its TTL (sets *shared and sends nothing); otherwise
  // checks and counts the send against the user's window, the cooldown and
  // the host-wide cap, calls `send`, and on success records the pending code
  // for parallel logins. A send that fails still counts (it may have cost).
  Status SendOrShare(Challenge& challenge, const std::string& number, bool fresh,
                     const std::function<Status()>& send, bool* shared);

  // Under the lock: consumes `typed` if it is one of the user's backup codes.
  Result<bool> UseBackupCode(const Secret& typed);

  // Counts a wrong code; *locked_now tells whether the user is now locked out
  // (this failure started a lockout, or another login already had).
  Status RecordFailure(bool* locked_now);

  // Forgets the pending code (the login gave up on it).
  Status ForgetPending();

  // A success: clears failures and the pending code, and (grace on) stamps the grace entry.
  Status RecordSuccess();

 private:
  std::time_t Now() const { return clock_.WallNow(); }
  void Succeed(UserState& state) const;  // RecordSuccess and the grace stamp

  const Config& config_;
  const StateStore& store_;
  Clock& clock_;
  std::string user_;
  std::string grace_key_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LOGIN_STATE_H_
