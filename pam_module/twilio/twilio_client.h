// TwilioClient: the Twilio REST calls the module makes, turned into typed
// results. Every failure is classified once, here (twilio_errors.h), by HTTP
// class first and Twilio's `code` second, into the Fault the login acts on.
#ifndef PAM_TWILIO_OTP_TWILIO_CLIENT_H_
#define PAM_TWILIO_OTP_TWILIO_CLIENT_H_

#include <string>

#include "config/channel.h"
#include "base/clock.h"
#include "config/config.h"
#include "twilio/http_transport.h"
#include "base/secret.h"
#include "base/status.h"
#include "twilio/twilio_errors.h"

namespace twotp {

struct Verification {
  std::string sid;     // "VE..."
  std::string status;  // "pending" after a start
  Channel channel = Channel::kSms;
};

enum class CheckOutcome { kApproved, kWrongCode };

// {verify_url}/v2/Services/{VA}, {api_url}/2010-04-01/Accounts/{AC} and
// {lookup_url}/v2/PhoneNumbers.
std::string TwilioVerifyServiceUrl(const TwilioConfig& twilio);
std::string TwilioAccountUrl(const TwilioConfig& twilio);
std::string TwilioPhoneNumbersUrl(const TwilioConfig& twilio);

class TwilioClient {
 public:
  // `twilio`, `transport` and `clock` must outlive the client.
  TwilioClient(const TwilioConfig& twilio, HttpTransport& transport, Clock& clock);
  const TwilioConfig& config() const { return twilio_; }

  // Verify v2: POST {verify_url}/v2/Services/{VA}/Verifications with To,
  // Channel, Locale / CustomFriendlyName when configured, and `details`
  // (verification_details.h). A 2xx reply without a VE SID and a status is
  // kUnavailable ("garbage reply"), as are such replies to the messaging
  // calls below.
  Result<Verification> StartVerification(const std::string& to, Channel channel, Form details = {});

  // Verify v2: POST .../VerificationCheck with VerificationSid and Code. Only
  // status "approved" is kApproved; "pending" is kWrongCode; a verification
  // that is gone (404 / 20404, 60202, or any other status) is Fault::kCodeDead.
  // A 2xx reply that can't be read (not JSON, no status, not this SID) is
  // kRejected, not kUnavailable: failmode=safe must never turn it into a pass.
  Result<CheckOutcome> CheckVerification(const std::string& verification_sid, const Secret& code);

  // Verify v2: POST .../Verifications/{VE} with Status=canceled. kBadInput
  // when `verification_sid` is not "VE" + 32 alphanumerics (it goes in the path).
  Status CancelVerification(const std::string& verification_sid);
  // The same with Status=approved: the feedback Verify needs for a custom
  // code, which only we could check (twilio.verify_custom_code).
  Status ApproveVerification(const std::string& verification_sid);

  // Messaging: POST {api_url}/2010-04-01/Accounts/{AC}/Messages.json with To,
  // Body, and MessagingServiceSid if configured, else From (kConfig when
  // neither is). Returns the message SID ("SM..." or "MM...").
  Result<std::string> SendMessage(const std::string& to, const Secret& body);

  // Voice: POST .../Calls.json with To, From and Twiml (the <Say> reads
  // `spoken`, XML-escaped, twice). Returns the call SID ("CA..."). kConfig
  // when no `from` number is configured.
  Result<std::string> PlaceCall(const std::string& to, const Secret& spoken);

  // For root's `twilio-otp probe`: POSTs an empty form to the endpoint a
  // login of this mode uses first (Twilio answers 400, a missing To, and
  // nothing is sent). Ok when Twilio answered below 500; kConfig for 401;
  // kUnavailable (any cause, timeouts included) when it can't be reached or
  // answered 5xx.
  Status Reach();

  // POSTs and classifies any non-2xx reply as `call`; retries a 429 once
  // after a backoff that fits the deadline. A 2xx reply is returned as is.
  // For the calls of other files (totp_factors.h).
  Result<HttpResponse> Post(TwilioCall call, const std::string& url, const Form& form);
  HttpTransport& transport() { return transport_; }

 private:
  // POST .../Verifications/{VE} with Status=`status`, as `call`.
  Status SetVerificationStatus(TwilioCall call, const std::string& verification_sid, const char* status);
  std::string VerifyServiceUrl() const;  // {verify_url}/v2/Services/{VA}
  std::string AccountUrl() const;        // {api_url}/2010-04-01/Accounts/{AC}

  const TwilioConfig& twilio_;
  HttpTransport& transport_;
  Clock& clock_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_TWILIO_CLIENT_H_
