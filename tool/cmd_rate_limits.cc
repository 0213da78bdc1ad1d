// `twilio-otp rate-limits setup`: makes the Verify service's rate limits and
// their buckets match limits = { ... } (twilio/rate_limits.h), so Twilio
// caps the codes per user, per host and in all across every host that
// shares the service. Idempotent: run it after each change of the limits.
#include <cstdio>

#include "cli.h"
#include "twilio/rate_limits.h"
#include "twilio/twilio_session.h"

namespace twotp::cli {

int RunRateLimits(const Args& args) {
  if (args.positional[0] != "setup") {
    return UsageError("twilio-otp rate-limits", "unknown action " + Printable(args.positional[0]) + " (only \"setup\")");
  }
  std::optional<Config> config = LoadConfigOrReport(args.config_path);
  if (!config) return kExitRefused;
  if (config->twilio.mode != Mode::kVerify) {
    return Refuse(Status::ConfigError("rate limits are Verify's: they need twilio.mode = \"verify\""));
  }
  Result<std::unique_ptr<TwilioSession>> session = TwilioSession::Open(*config, FileTrust(0), DefaultClock());
  if (!session.ok()) return Refuse(session.status());
  Result<std::vector<RateLimitChange>> changes = SetUpRateLimits(session.value()->client(), config->limits);
  if (!changes.ok()) return Refuse(changes.status());
  int changed = 0;
  for (const RateLimitChange& change : changes.value()) {
    std::printf("%s\n", change.what.c_str());
    changed += change.changed ? 1 : 0;
  }
  std::fprintf(stderr, "twilio-otp: %d change(s) at Twilio.%s\n", changed,
               config->twilio.rate_limits ? ""
                                          : " Set twilio.rate_limits = true; on every host so logins name them.");
  return kExitOk;
}

}  // namespace twotp::cli
