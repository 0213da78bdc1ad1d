// TwilioClient: the Twilio REST calls the module makes, turned into typed
// results. Every failure is classified once, here (twilio_errors.h), by HTTP
// class first and Twilio's `code` second, into the Fault the login acts on.
#ifndef PAM_TWILIO_OTP_TWILIO_CLIENT_H_
#define PAM_TWILIO_OTP_TWILIO_CLIENT_H_

#include <string>

#include "channel.h"
#include "clock.h"
#include "config.h"
#include "http_transport.h"
#include "secret.h"
#include "status.h"

namespace twotp {

struct Verification {
  std::string sid;     // "VE..."
  std::string status;  // "pending" after a start
  Channel channel = Channel::kSms;
};

enum class CheckOutcome { kApproved, kWrongCode };

class TwilioClient {
 public:
  // `twilio`, `transport` and `clock` must outlive the client.
  TwilioClient(const TwilioConfig& twilio, HttpTransport& transport, Clock& clock);

  // Verify v2: POST {verify_url}/v2/Services/{VA}/Verifications with To,
  // Channel, and Locale / CustomFriendlyName when configured.
  Result<Verification> StartVerification(const std::string& to, Channel channel);

  // Verify v2: POST .../VerificationCheck with VerificationSid and Code. Only
  // status "approved" is kApproved; "pending" is kWrongCode; a verification
  // that is gone (404 / 20404, 60202, or any other status) is Fault::kCodeDead.
  Result<CheckOutcome> CheckVerification(const std::string& verification_sid, const Secret& code);

  // Verify v2: POST .../Verifications/{VE} with Status=canceled.
  Status CancelVerification(const std::string& verification_sid);

  // Messaging: POST {api_url}/2010-04-01/Accounts/{AC}/Messages.json with To,
  // Body, and From or MessagingServiceSid. Returns the message SID ("SM...").
  Result<std::string> SendMessage(const std::string& to, const Secret& body);

  // Voice: POST .../Calls.json with To, From and Twiml (the <Say> reads
  // `spoken`, XML-escaped). Returns the call SID ("CA...").
  Result<std::string> PlaceCall(const std::string& to, const Secret& spoken);

 private:
  // POSTs and classifies; retries a 429 once after a backoff that fits the deadline.
  Result<HttpResponse> Call(const std::string& url, const Form& form, bool is_check);

  const TwilioConfig& twilio_;
  HttpTransport& transport_;
  Clock& clock_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_TWILIO_CLIENT_H_
