// FleetLedger: the part of LoginState a fleet shares when state.backend =
// "ldap": failed codes, the lockout they add up to, backup codes and grace
// stamps, as values on the user's directory entry (directory/fleet_store.h,
// state/fleet_values.h). Send counts and the code parallel logins share
// stay in this host's state_dir.
//
// A code is counted before it is checked, by adding a failure value; a
// right code deletes it again, so a login killed mid-check, or one whose
// later write fails, has already paid for its guess. Each login decides
// whether it may check from the values the directory holds after its own
// add: only when the current run, counted with its value, holds at most
// limits.max_failures values; otherwise the code is not checked and its
// value stays, a failure like any other (the user is locked out). Every
// checked value stays until a success, so one directory server never lets
// more than max_failures through, whatever order the values sort in; with
// several providers, each may until replication brings it the others'.
#ifndef PAM_TWILIO_OTP_FLEET_LEDGER_H_
#define PAM_TWILIO_OTP_FLEET_LEDGER_H_

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/secret.h"
#include "base/status.h"
#include "config/config.h"
#include "directory/fleet_store.h"
#include "state/fleet_values.h"
#include "state/user_state.h"

namespace twotp {

class FleetLedger {
 public:
  // `store` may be null (the LDAP backend could not be loaded): every call
  // is then kUnavailable. `config`, `store` and `clock` must outlive this.
  FleetLedger(const Config& config, FleetStore* store, Clock& clock, std::string user,
              std::optional<std::string> grace_key, std::string host);

  // The user's fleet values as a UserState (failures, locked_until, backup
  // codes, this login's grace stamp). kUnavailable when the directory
  // can't be read; kState for a malformed value.
  Result<UserState> Read() const;
  // Counts the code about to be checked (LoginState::ReserveAttempt).
  // *already_locked: nothing will be checked (a lockout in force, or the
  // failures of parallel logins reached the limit first).
  Status ReserveAttempt(bool* already_locked);
  // The reserved code was wrong: its value stays, a failure.
  void RecordWrongCode(bool* locks_now);
  // The reserved code was never tested: its value is deleted.
  Status TakeBackAttempt();
  // Consumes `typed` if it is one of the user's backup codes, by deleting
  // exactly its value: of two hosts racing for one code only one gets in.
  Result<bool> UseBackupCode(const Secret& typed);
  // A success: deletes this login's values, the failures before
  // `login_began` and runs whose lockout is over; stamps grace (when on).
  // Best effort: the login has been let in already.
  Status RecordSuccess(std::time_t login_began, bool grace_in_use);

 private:
  std::time_t Now() const { return clock_.WallNow(); }
  Result<FleetValues> Values() const;
  Result<FleetLockout> Lockout(const FleetValues& values) const;
  // Deletes `value`; one that is already gone is no error.
  Status DeleteIfThere(FleetAttribute attribute, const std::string& value);

  const Config& config_;
  FleetStore* store_;
  Clock& clock_;
  std::string user_;
  std::optional<std::string> grace_key_;
  std::string host_;
  std::optional<std::string> attempt_;  // the value of the code being checked
  bool locks_if_wrong_ = false;         // it is the run's max_failures-th value
  std::vector<std::string> failed_;     // this login's failures, forgiven by its success
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_FLEET_LEDGER_H_
