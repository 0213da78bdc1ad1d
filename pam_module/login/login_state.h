// LoginState: everything one login reads and writes in the state store, each
// step one transaction (StateStore::Lock) so the check and the count happen
// under the user's lock: the lockout, the limits around a send (and the pending code a
// parallel login may share), backup codes, failures, and the grace entry a
// success leaves behind.
#ifndef PAM_TWILIO_OTP_LOGIN_STATE_H_
#define PAM_TWILIO_OTP_LOGIN_STATE_H_

#include <ctime>
#include <functional>
#include <optional>
#include <string>

#include "twilio/challenge.h"
#include "base/clock.h"
#include "config/config.h"
#include "base/proc_stat.h"
#include "base/secret.h"
#include "state/state_store.h"
#include "base/status.h"

namespace twotp {

// What SendOrShare found pending for the user and did with it.
struct SendReport {
  bool shared = false;  // took over a code another login sent; sent nothing
  // That code's login has ended (its process is gone: su killed at the
  // prompt). Shared: the user must be told it was not sent for this login;
  // not shared: it was cancelled and replaced by a fresh one.
  bool sender_ended = false;
  std::time_t age = 0;  // seconds since that code was sent
};

class LoginState {
 public:
  // `config`, `store`, `clock` and `processes` must outlive this object.
  // `grace_key` is GraceKey(service, rhost, session) for this login; nullopt:
  // no grace entry is written. `processes` tells whether the login that sent
  // a pending code is still running.
  LoginState(const Config& config, const StateStore& store, Clock& clock, Processes& processes, std::string user,
             std::optional<std::string> grace_key);

  // The user's state as it is now (for the skip rules), kState when corrupt.
  Result<UserState> Read() const;

  // kRejected (with a user_message) while the user is locked out.
  Status CheckNotLocked() const;

  // Under the user's lock: refuses while locked out or outside
  // allowed_countries; unless `fresh`, takes over a code another login of the
  // same user sent within its TTL (sets report->shared and sends nothing);
  // otherwise checks and counts the send against the user's window, the
  // cooldown and the host-wide cap, calls `send`, and on success records the
  // pending code, owned by this process, for parallel logins. A send that
  // fails still counts (it may have cost).
  // A pending code whose sending process is gone (`processes`) is taken over
  // (report->sender_ended), and owned by this process from then on, only
  // within limits.resend_cooldown of its send or when the limits refuse a
  // new code; otherwise it is cancelled (Challenge::Cancel) and a fresh code
  // sent instead.
  Status SendOrShare(Challenge& challenge, const std::string& number, bool fresh,
                     const std::function<Status()>& send, SendReport* report);

  // Under the lock: consumes `typed` if it is one of the user's backup codes.
  Result<bool> UseBackupCode(const Secret& typed);

  // Counts a code (or backup code) as failed BEFORE it is checked, so a
  // caller who can make a later write fail (its own rlimits, a full disk)
  // never learns whether a guess was right without it having been counted;
  // a right code takes it back (RecordSuccess). *already_locked: the user
  // was locked out already (nothing counted; don't check). *locks_now: this
  // attempt started a lockout, which stands unless the code is right.
  Status ReserveAttempt(bool* already_locked, bool* locks_now);

  // Forgets the pending code (the login gave up on it).
  Status ForgetPending();

  // A success: clears failures and the pending code, lifts a lockout this
  // login's own ReserveAttempt started, and (grace on) stamps the grace entry.
  Status RecordSuccess();

 private:
  std::time_t Now() const { return clock_.WallNow(); }
  void Succeed(UserState& state);  // RecordSuccess and the grace stamp
  // Checks and counts one send against the user's window and cooldown and
  // the host-wide cap, under the host-wide lock; kRejected when refused.
  Status CountSend(UserState& state, std::time_t now) const;
  // Adopts state.pending into `challenge` and fills *report; false when it
  // can't be (dead, malformed). One whose sender ended becomes this process's.
  bool Share(Challenge& challenge, UserState& state, bool sender_ended, SendReport* report) const;

  const Config& config_;
  const StateStore& store_;
  Clock& clock_;
  Processes& processes_;
  std::string user_;
  std::optional<std::string> grace_key_;
  std::time_t reserved_lock_until_ = 0;  // the lockout this login's last reservation started
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LOGIN_STATE_H_
