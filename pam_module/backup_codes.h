// Backup codes: single-use codes for when no SMS can arrive. Printed once by
// `twilio-otp backup-codes`, stored only as salted scrypt hashes in the
// user's state. Their form ("k7qm-3xtp": 8 letters and digits from an
// alphabet without look-alikes, a dash in the middle) can't be mistaken for
// a numeric code or a prompt command, so the login only spends scrypt time
// on input that looks like one.
#ifndef PAM_TWILIO_OTP_BACKUP_CODES_H_
#define PAM_TWILIO_OTP_BACKUP_CODES_H_

#include <string_view>
#include <vector>

#include "secret.h"
#include "status.h"
#include "user_state.h"

namespace twotp {

// `count` (1..20) fresh codes from RAND_bytes, and their hashes.
struct NewBackupCodes {
  std::vector<Secret> codes;  // to print once
  std::vector<BackupCodeHash> hashes;  // to store
};
Result<NewBackupCodes> GenerateBackupCodes(int count);

// True when `typed` has a backup code's form (case, spaces and the dash are
// forgiven).
bool LooksLikeBackupCode(std::string_view typed);

// Finds `typed` among `hashes` (scrypt each, constant-time compare) and, when
// found, removes it from `hashes` (single use) and returns true.
Result<bool> ConsumeBackupCode(std::vector<BackupCodeHash>& hashes, const Secret& typed);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_BACKUP_CODES_H_
