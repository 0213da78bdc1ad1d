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
#include <vector>

#include "twilio/challenge.h"
#include "base/clock.h"
#include "config/config.h"
#include "base/proc_stat.h"
#include "base/secret.h"
#include "state/state_store.h"
#include "base/status.h"
#include "base/logger.h"
#include "directory/fleet_store.h"
#include "login/fleet_ledger.h"

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
  // `config`, `store`, `clock`, `processes`, `fleet` and `log` must outlive
  // this object. `grace_key` is GraceKey(service, rhost, session) for this
  // login; nullopt: no grace entry is written. `processes` tells whether
  // the logins holding a pending code are still running. With
  // state.backend = "ldap", failures, the lockout, backup codes and grace
  // are the fleet's (`fleet`, FleetLedger; null when the backend could not
  // be loaded), counted by `host`; sends and shared codes stay in `store`.
  LoginState(const Config& config, const StateStore& store, Clock& clock, Processes& processes, std::string user,
             std::optional<std::string> grace_key, FleetStore* fleet = nullptr, std::string host = "",
             Logger* log = nullptr);

  // The user's state as it is now (for the skip rules), kState when corrupt.
  Result<UserState> Read() const;

  // kRejected (with a user_message) while the user is locked out.
  Status CheckNotLocked() const;

  // Sends a code, or shares the one a parallel login of the same user sent.
  // The user's send lock (StateStore::UserLock::kSends) is held throughout,
  // so a parallel login waits for this code and shares it; the state lock
  // only around each read-modify-write, never across the network. Refuses
  // while locked out or when `destination` (a number, or an email address)
  // is a number outside allowed_countries; unless `fresh`, takes
  // over a pending code within its TTL (report->shared, nothing sent);
  // otherwise counts the send against the user's window, the cooldown and
  // the host-wide cap, calls `send`, and on success records the code as
  // pending with this login among its holders. A send that Twilio refused
  // or never got costs nothing (no window, no cooldown, no host count); one
  // that may have left (a timeout) still counts. A pending code all of whose holders are gone
  // (su killed at the prompt) is taken over (report->sender_ended) only
  // within limits.resend_cooldown of its send or when the limits refuse a
  // new code; otherwise it is cancelled (Challenge::Cancel) and a fresh one
  // sent.
  Status SendOrShare(Challenge& challenge, const std::string& destination, bool fresh,
                     const std::function<Status()>& send, SendReport* report);

  // Checks `typed` against the code `challenge` holds. A shared code that a
  // parallel login had approved is checked against that approval, with no
  // network call; otherwise the challenge checks it. In verify mode, an
  // approval that other holders still wait for is written before the
  // user's check lock is let go, and a check that finds the verification
  // gone (Twilio's 404) waits for the checks in flight (at most
  // twilio.timeout) and looks for their approval once more.
  Result<CheckOutcome> Check(Challenge& challenge, const Secret& typed);

  // Under the lock: consumes `typed` if it is one of the user's backup codes.
  Result<bool> UseBackupCode(const Secret& typed);

  // Counts a code (or backup code) as being checked BEFORE it is checked
  // (an attempt in flight, UserState::attempts), so a caller who can make
  // a later write fail (its own rlimits, a full disk, a kill) never has a
  // guess go uncounted: an attempt whose login is gone counts as a failure.
  // At most limits.max_failures codes are checked at once, failures
  // included: a login finding the user's slots all taken waits (at most
  // twilio.total_timeout) for a parallel check to end, then gives up
  // (kRejected with a user_message; nothing counted). *already_locked: the user is
  // locked out (nothing counted; don't check).
  Status ReserveAttempt(bool* already_locked);

  // The attempt's code was wrong: it becomes a failure. *locks_now: it
  // started a lockout.
  Status RecordWrongCode(bool* locks_now);

  // Takes back the attempt: its code was never tested (the verification
  // was gone, the code older than its TTL), so nothing was learned from it
  // and it is no failure.
  Status TakeBackAttempt();

  // The login lets go of its code (it gave up, or got in another way): it
  // leaves the code's holders, and the last live holder ends the code
  // (Challenge::Abandon cancels a verification, after the state is
  // written); while others still wait for it, Challenge::Forget.
  Status Release(Challenge& challenge);

  // A success (the one durable write of a login): forgives the failures
  // before this login began and its own, takes back its attempt, ends the
  // code it used, and (grace on) stamps the grace entry.
  Status RecordSuccess();

  // An attempt still in flight (a path that ended the login without a
  // verdict on its code) is counted as a failure.
  ~LoginState();
  LoginState(const LoginState&) = delete;
  LoginState& operator=(const LoginState&) = delete;

 private:
  std::time_t Now() const { return clock_.WallNow(); }
  void Succeed(UserState& state);  // RecordSuccess and the grace stamp
  void ForgetUsedCode(UserState& state);  // the code this login held is used: not to be shared
  // Whether this call goes to the fleet's state (state.backend = "ldap").
  bool UsesFleet() const { return fleet_.has_value() && !fleet_down_; }
  // A fleet call failed because no directory server answered: with
  // state.fallback = "local" this login goes on with the local state (true,
  // logged at warning); otherwise false and the failure stands.
  bool FallBackToLocal(const Status& failed) const;
  // The local success write of a fleet login: the resend cooldown ends and
  // the code it held is used (the failures and grace are the fleet's).
  Status RecordLocalSuccess();
  bool TakeBack(UserState& state);  // removes this login's attempt in flight; false: there was none
  // One look under the lock: settles abandoned attempts, then takes a slot
  // (attempt_) unless the user is locked out; false: all slots taken.
  Result<bool> TryReserve(bool* already_locked);
  bool SlotsFull(const UserState& state) const;  // max_failures codes failed or in flight
  // Attempts whose login is gone become failures (true when any did).
  bool SettleAbandonedAttempts(UserState& state) const;
  // Checks and counts one send against the user's window and cooldown and
  // the host-wide cap, under the host-wide lock; kRejected when refused.
  Status CountSend(UserState& state, std::time_t now) const;
  // Adopts state.pending into `challenge`, joins its holders and fills
  // *report; false when it can't be (dead, malformed).
  bool Share(Challenge& challenge, UserState& state, bool sender_ended, SendReport* report);
  // Whether a failed send may still have reached Twilio (so it counts).
  static bool MayHaveBeenSent(const Status& failed);
  // Takes back the send counted at `counted_at` (it failed for sure).
  Status UncountSend(std::time_t counted_at);
  // Records `sent` (just sent by this login) as the pending code.
  Status RecordPending(const PendingCode& sent);
  bool AnyHolderAlive(const PendingCode& pending) const;
  // This login's entry leaves `pending.holders`, and the dead ones with it.
  void LeaveHolders(PendingCode& pending) const;
  // kApproved / kWrongCode against an approval of `code_id` left by a
  // parallel login; nullopt when there is none (or it expired).
  Result<std::optional<CheckOutcome>> CheckApproval(const std::string& code_id, const Secret& typed) const;
  // Writes the approval of `used` for the holders still waiting on it.
  Status LeaveApproval(const PendingCode& used, const Secret& typed);
  // Waits (at most twilio.timeout) until no check of this user is in flight.
  Status WaitForChecks();

  const Config& config_;
  const StateStore& store_;
  Clock& clock_;
  Processes& processes_;
  std::string user_;
  std::optional<std::string> grace_key_;
  const std::time_t began_;                // when this login began: failures before it are forgiven by its success
  std::string held_;                       // PendingCode::id() of the code this login is a holder of; "" none
  std::optional<AttemptInFlight> attempt_;  // this login's code being checked
  std::vector<std::time_t> failed_;         // this login's own failures, forgiven by its success
  std::optional<FleetLedger> fleet_;        // state.backend = "ldap"
  mutable bool fleet_down_ = false;         // fell back to the local state (state.fallback = "local")
  bool attempt_in_fleet_ = false;           // the code being checked was counted by fleet_
  Logger* log_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LOGIN_STATE_H_
