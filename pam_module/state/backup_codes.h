// Backup codes: single-use codes for when no SMS can arrive. Printed once by
// `twilio-otp backup-codes`, stored only as salted scrypt hashes in the
// user's state. Their form ("k7qm-3xtp": 8 letters and digits from an
// alphabet without look-alikes, a dash in the middle) can't be mistaken for
// a numeric code or a prompt command, so the login only spends scrypt time
// on input that looks like one.
#ifndef PAM_TWILIO_OTP_BACKUP_CODES_H_
#define PAM_TWILIO_OTP_BACKUP_CODES_H_

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "state/user_state.h"

namespace twotp {

// `count` (1..20, else kBadInput) fresh, distinct codes from RAND_bytes,
// shown as "xxxx-xxxx", and their hashes (same order). kInternal when the
// CSPRNG or scrypt fails.
struct NewBackupCodes {
  std::vector<Secret> codes;  // to print once
  std::vector<BackupCodeHash> hashes;  // to store
};
Result<NewBackupCodes> GenerateBackupCodes(int count);

// True when `typed` has a backup code's form (case, spaces and the dash are
// forgiven).
bool LooksLikeBackupCode(std::string_view typed);

// Where `typed` is among `hashes` (scrypt each, constant-time compare);
// nullopt when it is not. Every hash is tried whichever matches, so the time
// taken doesn't tell which did. Input without a code's form is nullopt at
// once, with no scrypt spent. A stored entry that isn't hex of the right
// length is a kState fault; kInternal when scrypt fails.
Result<std::optional<size_t>> FindBackupCode(const std::vector<BackupCodeHash>& hashes, const Secret& typed);

// FindBackupCode, and when found removes the code from `hashes` (single use)
// and returns true; on a fault nothing is removed.
Result<bool> ConsumeBackupCode(std::vector<BackupCodeHash>& hashes, const Secret& typed);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_BACKUP_CODES_H_
