// ProbeRecord: what root's `twilio-otp probe` last saw of Twilio, kept in
// state_dir/twilio-probe.json. It is the witness failmode=safe may lean on
// when a login's own request timed out: a timeout inside a login can be the
// caller's doing (it may stop its own su or sudo past any deadline), but a
// probe run by root from a timer is out of the caller's reach.
#ifndef PAM_TWILIO_OTP_PROBE_RECORD_H_
#define PAM_TWILIO_OTP_PROBE_RECORD_H_

#include <ctime>
#include <string>

#include "base/file_trust.h"
#include "base/status.h"

namespace twotp {

struct ProbeRecord {
  std::time_t checked_at = 0;
  bool reachable = true;
  std::string detail;  // why not, when not reachable (safe to log: no secret)
};

// state_dir/twilio-probe.json
std::string ProbePath(const std::string& state_dir);

// Writes the record atomically under its lock (atomic_file.h), mode 0600.
Status WriteProbeRecord(const std::string& state_dir, const ProbeRecord& record);

// The record, read through `trust` (owner, no group/other write, no
// symlink). kNotFound when no probe has run; kState when it is unreadable or
// malformed.
Result<ProbeRecord> ReadProbeRecord(const std::string& state_dir, const FileTrust& trust);

// Whether a probe no older than `max_age` seconds (and not from the future)
// found Twilio unreachable. Any doubt (no record, a bad one, max_age 0)
// is "no".
bool ProbeWitnessesOutage(const std::string& state_dir, const FileTrust& trust, std::time_t now, int max_age);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_PROBE_RECORD_H_
