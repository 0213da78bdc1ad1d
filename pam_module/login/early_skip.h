// The skip rules that need no state, applied before the module loads its
// engine (pam/pam_entry.cc): an exempt user, a group rule or a trusted
// network ends the login here, with libpam, libconfig and the C++ runtime
// loaded and nothing else (no OpenSSL, no TLS, no state file).
#ifndef PAM_TWILIO_OTP_EARLY_SKIP_H_
#define PAM_TWILIO_OTP_EARLY_SKIP_H_

#include <ctime>
#include <optional>

#include "base/logger.h"
#include "config/config.h"
#include "login/login_request.h"
#include "login/skip_rules.h"
#include "login/verdict.h"

namespace twotp {

// Verdict::kIgnore, logged as the whole login would log it, when a rule
// before the grace period skips the login; nullopt when the whole login must
// decide: no rule skipped, the grace period needs the state, or a rule
// failed (the whole login meets the same fault and reports it).
std::optional<Verdict> SkipBeforeLoading(const LoginRequest& request, const Config& config,
                                         const GroupLookup& groups_of, Logger& log, std::time_t now);

// The log lines of a skipped login, here and in LoginFlow::Skipped: a
// warning for break-glass, then the login's one result line.
Verdict LogSkip(const LoginRequest& request, const Config& config, const SkipDecision& decision, Logger& log);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_EARLY_SKIP_H_
