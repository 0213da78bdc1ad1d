// UserState: what the module remembers about one user between logins (send
// and failure history, lockout, grace entries, backup-code hashes, the
// pending code shared by parallel logins), and GlobalState for the host-wide
// send cap. Stored as JSON by StateStore (state_store.h).
#ifndef PAM_TWILIO_OTP_USER_STATE_H_
#define PAM_TWILIO_OTP_USER_STATE_H_

#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "base/pending_code.h"
#include "base/status.h"

namespace twotp {

// A backup code at rest: scrypt(code, salt), never the code.
struct BackupCodeHash {
  std::string salt_hex;  // 16 random bytes
  std::string hash_hex;  // 32 bytes of scrypt output
};

// A shared code one login had approved, kept until the code's TTL ends so
// the parallel logins that shared it are let in with the same code without
// asking Twilio again (which answers 404 for an approved verification):
// the HMAC of the approved code under a fresh key, never the code.
struct ApprovedCode {
  std::string code_id;  // PendingCode::id() of the code that was approved
  std::string mac_key_hex;
  std::string mac_hex;
  std::time_t expires_at = 0;
  bool empty() const { return code_id.empty(); }
};

// A code being checked right now, by a login (process) that counted it
// before the check: a right code takes it back, a wrong one becomes a
// failure, and one whose login is gone (killed mid-check) is a failure too.
struct AttemptInFlight {
  ProcessId owner;
  std::time_t at = 0;
  bool operator==(const AttemptInFlight&) const = default;
};

struct UserState {
  std::vector<std::time_t> sends;     // when codes were sent (pruned to limits.send_window)
  std::vector<std::time_t> failures;  // wrong codes since the last success
  std::vector<AttemptInFlight> attempts;  // codes being checked now
  std::time_t locked_until = 0;       // 0 = not locked
  std::time_t succeeded_at = 0;       // the last right code: it ends the resend cooldown
  std::map<std::string, std::time_t> grace;  // grace key (GraceKey) -> last success
  std::vector<BackupCodeHash> backup_codes;
  PendingCode pending;
  ApprovedCode approved;
};

struct GlobalState {
  std::vector<std::time_t> sends;  // every send from this host in the last hour
};

// JSON round trip. Parsing is strict: a missing field, a wrong type or an
// unknown version is a kState fault naming the problem. Only
// pending.holders (older files have pending.owner instead), attempts,
// succeeded_at and approved may be missing (files written before them).
std::string SerializeUserState(const UserState& state);
Result<UserState> ParseUserState(const std::string& json);
std::string SerializeGlobalState(const GlobalState& state);
Result<GlobalState> ParseGlobalState(const std::string& json);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_USER_STATE_H_
