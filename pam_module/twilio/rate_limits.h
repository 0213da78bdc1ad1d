// Verify's Service Rate Limits (twilio.rate_limits = true): every
// verification a login starts names its user, its host and the fleet, so
// Twilio itself caps the codes sent per user, per host and in all, across
// every host that shares the Verify service. The keys are hashes (Twilio
// asks for no personal data in them). `twilio-otp rate-limits setup` makes
// the limits and their buckets from limits = { ... } (PlannedRateLimits).
#ifndef PAM_TWILIO_OTP_RATE_LIMITS_H_
#define PAM_TWILIO_OTP_RATE_LIMITS_H_

#include <string>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "twilio/twilio_client.h"

namespace twotp {

inline constexpr char kUserRateLimit[] = "pam_twilio_otp_user";
inline constexpr char kHostRateLimit[] = "pam_twilio_otp_host";
inline constexpr char kFleetRateLimit[] = "pam_twilio_otp_fleet";

// The RateLimits field of a verification start:
// {"pam_twilio_otp_user":"<32 hex>","pam_twilio_otp_host":"<32 hex>","pam_twilio_otp_fleet":"all"}.
std::string RateLimitKeys(const std::string& user, const std::string& host);

struct PlannedBucket {
  int max = 0;
  int interval = 0;  // seconds
};
struct PlannedRateLimit {
  const char* unique_name;
  const char* description;
  std::vector<PlannedBucket> buckets;  // none: the limit exists, nothing is capped
};
// What limits = { ... } asks Twilio to enforce: per user
// sends_per_window in send_window; per host global_sends_per_hour an hour;
// in all fleet_sends_per_hour an hour (no bucket when it is 0).
std::vector<PlannedRateLimit> PlannedRateLimits(const LimitsConfig& limits);

// One thing setup did or found, for its report ("created rate limit
// pam_twilio_otp_user", "bucket 5 per 900 s: up to date").
struct RateLimitChange {
  std::string what;
  bool changed = false;
};
// Makes the service's rate limits and buckets match the plan: creates what
// is missing, updates a bucket's Max, deletes buckets of ours the plan no
// longer has. Idempotent. Stops at the first Twilio refusal.
Result<std::vector<RateLimitChange>> SetUpRateLimits(TwilioClient& client, const LimitsConfig& limits);
// The planned limits that the service lacks (check-config --online): a
// login naming them would be refused.
Result<std::vector<std::string>> MissingRateLimits(TwilioClient& client, const LimitsConfig& limits);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_RATE_LIMITS_H_
