// `twilio-otp probe`: root's own look at Twilio, recorded for the module.
// A login under failmode=safe may not trust its own timeout (the caller can
// stop its su or sudo past any deadline); a recent record of this probe,
// run from a timer where no user can touch it, is the witness it may trust
// instead (probe_record.h, pam_twilio_otp.conf(5) policy.probe_max_age).
#include <cstdio>

#include "cli.h"
#include "state/probe_record.h"
#include "twilio/twilio_session.h"

namespace twotp::cli {

int RunProbe(const Args& args) {
  std::optional<Config> config = LoadConfigOrReport(args.config_path);
  if (!config) return kExitRefused;
  if (Status prepared = OpenStateStore(*config).Prepare(); !prepared.ok()) return Refuse(prepared);
  Result<std::unique_ptr<TwilioSession>> session = TwilioSession::Open(*config, FileTrust(0), DefaultClock());
  if (!session.ok()) return Refuse(session.status());
  const Status reached = session.value()->client().Reach();
  ProbeRecord record;
  record.checked_at = DefaultClock().WallNow();
  // Only an outage is recorded as one: a wrong token or CA is a fault to
  // fix, and must never become a reason for failmode=safe to let logins by.
  record.reachable = !reached.Is(Fault::kUnavailable);
  record.detail = reached.ok() ? "" : reached.message();
  if (Status written = WriteProbeRecord(config->state_dir, record); !written.ok()) return Refuse(written);
  if (!reached.ok()) return Refuse(reached);
  std::printf("reachable: %s\n", ProbePath(config->state_dir).c_str());
  return kExitOk;
}

}  // namespace twotp::cli
