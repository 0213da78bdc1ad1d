// What the fleet state's values mean (directory/fleet_store.h keeps them):
// their text forms, and the lockout, backup codes and grace stamps they
// add up to. Pure functions, so every host computes the same answer from
// the same values, and tests need no server.
//
//   twilioOtpFailure     "20261205122256Z 3f9a1c0b7e2d4a55 web1"  time, nonce, host
//   twilioOtpBackupCode  "scrypt SALT_HEX HASH_HEX"
//   twilioOtpGrace       "KEY_HEX 20261205122256Z"                 FleetGraceKey, time
#ifndef PAM_TWILIO_OTP_FLEET_VALUES_H_
#define PAM_TWILIO_OTP_FLEET_VALUES_H_

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "state/user_state.h"

namespace twotp {

// "20261205122256Z" (GeneralizedTime, UTC, whole seconds) and back;
// nullopt for anything else.
std::string GeneralizedTime(std::time_t t);
std::optional<std::time_t> ParseGeneralizedTime(std::string_view text);

struct FleetFailure {
  std::time_t at = 0;
  std::string nonce;  // 16 hex digits: two hosts failing in one second add two values
  std::string host;
  std::string value;  // the value as stored, to delete it by
};

// A new failure value at `at` counted by `host` (a fresh nonce from
// RAND_bytes). kInternal when the CSPRNG fails; kBadInput for a host name
// with a space or a non-printable byte.
Result<FleetFailure> NewFleetFailure(std::time_t at, const std::string& host);
// kState naming the value when it is not in the form above.
Result<FleetFailure> ParseFleetFailure(const std::string& value);

// The failures added up, as StateStore's RecordFailure counts them: in
// time order, the max_failures-th failure of a run locks the user out for
// limits.lockout seconds, and the first failure after that lockout starts a
// new run. Failures that land during a lockout (hosts racing) belong to it.
struct FleetLockout {
  std::vector<FleetFailure> live;  // the current run (or the lockout in force), oldest first
  std::time_t locked_until = 0;    // 0: not locked out now
  std::vector<std::string> stale;  // values of runs whose lockout is over: any host may delete them
};
// kState when a value is malformed (the user is refused, as for a corrupt
// state file, until `twilio-otp unlock`).
Result<FleetLockout> AddUpFailures(const std::vector<std::string>& values, const LimitsConfig& limits,
                                   std::time_t now);

// Where `value` stands in the current run: its index (0 = first), or
// nullopt when it is not part of it.
std::optional<size_t> RunPosition(const FleetLockout& lockout, const std::string& value);

std::string FormatFleetBackupCode(const BackupCodeHash& hash);
Result<BackupCodeHash> ParseFleetBackupCode(const std::string& value);

// The key of a grace stamp: 32 hex digits of the SHA-256 of the user and
// GraceKey's key, so a stamp names neither the service nor where from.
std::string FleetGraceKey(const std::string& user, const std::string& grace_key);
std::string FormatFleetGrace(const std::string& fleet_key, std::time_t at);
// {key, time}; nullopt when malformed (a stamp that can't be read earns no grace).
std::optional<std::pair<std::string, std::time_t>> ParseFleetGrace(const std::string& value);

// The user's fleet values as a UserState, for what reads one (the skip
// rules, `twilio-otp status`): failures of the current run, locked_until,
// backup codes, and the newest stamp for `grace_key` (when given) as
// grace[*grace_key]. kState for a malformed failure or backup code.
Result<UserState> FleetUserState(const std::string& user, const std::vector<std::string>& failures,
                                 const std::vector<std::string>& backup_codes,
                                 const std::vector<std::string>& grace, const LimitsConfig& limits,
                                 std::time_t now, const std::optional<std::string>& grace_key);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_FLEET_VALUES_H_
