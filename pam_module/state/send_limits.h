// The abuse limits of limits = { ... }, as pure functions over the state a
// StateStore keeps: sends per user per window, the resend cooldown, failed
// codes before a lockout, the host-wide send cap, allowed countries. The
// login calls them inside one state transaction (StateStore::Lock), so the
// check and the count happen under one lock.
#ifndef PAM_TWILIO_OTP_SEND_LIMITS_H_
#define PAM_TWILIO_OTP_SEND_LIMITS_H_

#include <ctime>
#include <string>

#include "config/config.h"
#include "base/status.h"
#include "state/user_state.h"

namespace twotp {

// A span of time for a person: "45 seconds", "1 minute", "14 minutes"
// (minutes rounded up; at least "1 second").
std::string WaitText(std::time_t seconds);

// kRejected with a user_message ("Too many failed codes; try again in 14
// minutes.") while the user is locked out.
Status CheckLockout(const UserState& state, std::time_t now);

// Whether one more code may be sent now: the user's window
// (sends_per_window in send_window), the cooldown since the last send, and
// the host-wide cap (global_sends_per_hour). Prunes old entries from both
// states. kRejected with a user_message saying how long to wait.
Status CheckSend(UserState& user, GlobalState& global, const LimitsConfig& limits, std::time_t now);

// Counts a send in both states.
void RecordSend(UserState& user, GlobalState& global, std::time_t now);

// Takes back a send RecordSend counted at `at` (it never reached Twilio, or
// Twilio refused it): one entry of that time from both states.
void ForgetSend(UserState& user, GlobalState& global, std::time_t at);

// Counts a wrong code; at limits.max_failures the user is locked out for
// limits.lockout seconds (and the count starts again). Returns true when this
// failure started a lockout.
bool RecordFailure(UserState& state, const LimitsConfig& limits, std::time_t now);

// A success forgives the failures recorded before its login began (a
// parallel login's stand) and ends the resend cooldown (succeeded_at =
// now). The caller takes back its own reserved attempt.
void RecordSuccess(UserState& state, std::time_t now, std::time_t login_began);

// kRejected (logged by the caller) when `e164` is outside allowed_countries,
// the message naming its calling code and the allowed ones; ok when the list
// is empty. The one check of a number's country: sends, enrolment at login
// and `twilio-otp enroll`.
Status CheckCountry(const std::string& e164, const LimitsConfig& limits);

// limits.allowed_countries as people write them: "+1, +44".
std::string AllowedCountriesText(const LimitsConfig& limits);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_SEND_LIMITS_H_
