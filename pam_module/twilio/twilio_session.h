// TwilioSession: everything one login (or one CLI command) needs to talk to
// Twilio, built from the config: credentials, one HttpsTransport (one TLS
// connection for the whole login), the client, and a Challenge.
#ifndef PAM_TWILIO_OTP_TWILIO_SESSION_H_
#define PAM_TWILIO_OTP_TWILIO_SESSION_H_

#include <memory>

#include "twilio/challenge.h"
#include "base/clock.h"
#include "config/config.h"
#include "base/file_trust.h"
#include "twilio/https_transport.h"
#include "twilio/twilio_client.h"

namespace twotp {

class TwilioSession {
 public:
  // Reads the credentials (permission-checked) and sets up the transport.
  // kConfig when the secret file is missing, unreadable or too open.
  static Result<std::unique_ptr<TwilioSession>> Open(const Config& config, const FileTrust& trust,
                                                     Clock& clock);
  TwilioClient& client() { return client_; }
  HttpTransport& transport() { return transport_; }
  Challenge& challenge() { return *challenge_; }

 private:
  TwilioSession(const Config& config, TwilioCredentials credentials, Clock& clock);
  HttpsTransport transport_;
  TwilioClient client_;
  std::unique_ptr<Challenge> challenge_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_TWILIO_SESSION_H_
