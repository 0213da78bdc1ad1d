// Twilio Lookup v2's line type intelligence, asked before a number is
// enrolled (twilio.lookup, `twilio-otp enroll --lookup`): a landline can't
// read an SMS, a premium or toll-free number is where toll fraud sends
// codes, and a non-fixed VoIP number is one anyone can create online.
#ifndef PAM_TWILIO_OTP_LINE_TYPE_H_
#define PAM_TWILIO_OTP_LINE_TYPE_H_

#include <string>

#include "base/status.h"
#include "config/channel.h"
#include "config/config.h"
#include "twilio/http_transport.h"

namespace twotp {

struct LineType {
  bool valid = false;    // Twilio's `valid`: a number that can exist
  std::string type;      // "mobile", "landline", "nonFixedVoip", ...; "" when Twilio named none
  std::string carrier;   // may be ""
};

// GET {lookup_url}/v2/PhoneNumbers/{e164}?Fields=line_type_intelligence
// (a paid Lookup package). kBadInput for a number that is not E.164. Replies
// other than 2xx are classified as Twilio's errors are (twilio_errors.h); a
// 2xx without `valid` is kUnavailable.
Result<LineType> LookUpLineType(const TwilioConfig& twilio, HttpTransport& transport, const std::string& e164);

enum class LineVerdict { kFine, kWarn, kRefuse };
struct LineAdvice {
  LineVerdict verdict = LineVerdict::kFine;
  std::string reason;  // for kWarn and kRefuse: one sentence, for the admin or the user
};

// What enrolment makes of `line` for a user whose codes go by `channel`:
//   not valid; premium, toll-free, shared-cost, UAN; pager, voicemail;
//   a landline for SMS or WhatsApp                      -> kRefuse
//   a landline for calls (or email); fixed or non-fixed VoIP; personal,
//   unknown or no type                                  -> kWarn
//   mobile                                              -> kFine
LineAdvice JudgeLineType(const LineType& line, Channel channel);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LINE_TYPE_H_
