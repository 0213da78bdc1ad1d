// The fleet state from the CLI (state.backend = "ldap"): status, unlock,
// backup-codes and the list of locked-out users read and change the users'
// directory entries as the module does (directory/fleet_store.h), while
// send counts and pending codes stay in this host's state_dir.
#ifndef TWILIO_OTP_FLEET_STATE_CLI_H_
#define TWILIO_OTP_FLEET_STATE_CLI_H_

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "directory/directory.h"
#include "state/user_state.h"

namespace twotp::cli {

// The directory whose Fleet() holds the state, or nullptr when the config
// keeps state locally (state.backend = "local").
std::unique_ptr<Directory> OpenFleetDirectory(const Config& config);

// `local` with its failures, lockout, backup codes and grace taken from the
// user's fleet values (grace keyed by the stamps' hashed keys).
Result<UserState> MergeFleetState(FleetStore& fleet, const Config& config, const std::string& user,
                                  UserState local);

// state.backend = "ldap": gives the newly enrolled user's entry the class
// twilioOtpState (FleetStore::PrepareEntry); a failure is a warning saying
// what to do, never a failed enrolment.
void PrepareFleetEntry(const Config& config, Directory& directory, const std::string& user);

// Clears the user's failures and grace stamps in the directory, keeping the
// backup codes; `before` is what there was (for the report).
Status UnlockFleet(FleetStore& fleet, const Config& config, const std::string& user, UserState* before);

// Whether the bind may write the fleet state on `user`'s entry: adds and
// deletes a grace stamp under a random key, which no login can ever match
// (check-config). Not the failures (any value there counts toward a
// lockout while it exists) nor the backup codes (the hosts' bind should
// only consume those: README, "A fleet that shares one truth").
Status ProbeFleetWrites(FleetStore& fleet, const std::string& user);

struct FleetLockedUser {
  std::string user;
  std::time_t until;
  size_t failures;
};
// Every user locked out now, fleet-wide; `unreadable` counts users whose
// values are malformed (their logins are refused too).
Result<std::vector<FleetLockedUser>> LockedOutFleetWide(FleetStore& fleet, const Config& config, int* unreadable);

}  // namespace twotp::cli

#endif  // TWILIO_OTP_FLEET_STATE_CLI_H_
