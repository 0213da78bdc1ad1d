// How a Twilio reply maps to a Fault, in one table. Twilio asks clients not
// to branch on error codes alone, so the HTTP class decides first:
//   no reply, 5xx, 429 (after the client's one retry) -> kUnavailable (failmode)
//   401 / 20003, 21608, 60605, 21408, 60204, 60217,
//   60223 (a feature or channel the service lacks)     -> kConfig (refuse, loud)
//   404 / 20404 on any call but a check                -> kConfig (unknown service or account)
//   404 / 20404 on a check, 60202                      -> kCodeDead
//   60410, 21610, 60205, 21614, 21211, 60200 on To     -> kRecipient (deny, advise)
//   60203 (too many sends), 60200 on a check's Code    -> kRejected (deny; wait / retype)
//   any other 4xx                                      -> kRejected (deny)
//   anything else that is not 2xx (1xx, 3xx)           -> kUnavailable
#ifndef PAM_TWILIO_OTP_TWILIO_ERRORS_H_
#define PAM_TWILIO_OTP_TWILIO_ERRORS_H_

#include <string>

#include "base/status.h"

namespace twotp {

// Which call a reply answers: the same code means different things on each.
// The last four are the reads of `twilio-otp check-config --online` (account_reader.h).
enum class TwilioCall {
  kStartVerification,
  kCheckVerification,
  kCancelVerification,
  kApproveVerification,
  kSendMessage,
  kPlaceCall,
  kFetchAccount,
  kFetchVerifyService,
  kListNumbers,
  kListCallerIds,
  kLookUpNumber,  // Lookup v2's line type, before an enrolment (line_type.h)
  // Verify's TOTP factors (totp_factors.h).
  kCreateFactor,
  kVerifyFactor,
  kListFactors,
  kDeleteFactor,
  kCheckTotp,
  // Verify's Service Rate Limits (rate_limits.h).
  kListRateLimits,
  kCreateRateLimit,
  kListBuckets,
  kCreateBucket,
  kUpdateBucket,
  kDeleteBucket,
};

// "verification start", "verification check", ...: for log lines.
const char* TwilioCallName(TwilioCall call);

// Classifies a non-2xx reply. `body` is Twilio's JSON error ({"code":..,
// "message":..,"more_info":..,"status":..}); a body that is not JSON still
// classifies by HTTP status. The Status message is a plain syslog line
// ("Twilio rejected the credentials (20003)"); user_message is set where
// the user can act (reply START, try a voice call, ask the administrator).
// A kUnavailable for a 5xx or a 429 is Witnessed() (status.h): a complete
// reply in which Twilio itself says it is down or busy.
Status ClassifyTwilioError(TwilioCall call, long http_status, const std::string& body);

// Whether one backed-off retry can help: a 429 (Twilio did not process the
// request, so even a check can be retried) unless its code says the wait is
// minutes, not seconds (60202 checks exhausted, 60203 too many sends).
bool RetryMayHelp(long http_status, const std::string& body);

// Whether Twilio refused a send because the number can't receive that
// channel (60205: SMS to a landline; 21614: not a mobile number), so that
// another channel may still reach it.
bool ChannelCantReachNumber(const Status& status);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_TWILIO_ERRORS_H_
