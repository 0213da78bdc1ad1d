// An authenticator app through Twilio Verify (TOTP factors): Twilio keeps
// the seed, so no host of a fleet holds it and every host can check a code.
// `twilio-otp enroll --totp` creates and verifies a factor; a login of a
// user whose channel is "totp" checks the app's code with a Challenge.
//   POST   .../Entities/{identity}/Factors            FriendlyName, FactorType=totp
//   POST   .../Entities/{identity}/Factors/{YF}       AuthPayload (the first code)
//   GET    .../Entities/{identity}/Factors
//   DELETE .../Entities/{identity}/Factors/{YF}
//   POST   .../Entities/{identity}/Challenges         FactorSid, AuthPayload
#ifndef PAM_TWILIO_OTP_TOTP_FACTORS_H_
#define PAM_TWILIO_OTP_TOTP_FACTORS_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/secret.h"
#include "base/status.h"
#include "twilio/twilio_client.h"

namespace twotp {

// The Verify entity of `user`: "pam-totp-" and 32 hex digits of SHA-256 of
// the name. The same on every host, and not the name itself (Twilio asks
// that identities carry no personal data).
std::string TotpIdentity(std::string_view user);

struct NewTotpFactor {
  std::string sid;  // "YF..."
  Secret uri;       // otpauth://totp/...: holds the seed; shown once, to the administrator, never logged
};

class TotpFactors {
 public:
  // `client` must outlive this object; its config names the Verify service.
  explicit TotpFactors(TwilioClient& client) : client_(client) {}

  // A new, unverified TOTP factor of `identity`, named `friendly_name`
  // (what the app lists).
  Result<NewTotpFactor> Create(const std::string& identity, const std::string& friendly_name);
  // The first code from the app: true when it verified the factor, false for
  // a wrong code (the factor stays unverified).
  Result<bool> Verify(const std::string& identity, const std::string& factor_sid, const Secret& code);
  // The SIDs of `identity`'s verified TOTP factors (none for an entity Twilio
  // doesn't know).
  Result<std::vector<std::string>> Verified(const std::string& identity);
  Status Delete(const std::string& identity, const std::string& factor_sid);
  // A login's code: kApproved, or kWrongCode when Twilio left the challenge
  // pending. Input that is not 6 to 8 digits is kWrongCode without a request.
  Result<CheckOutcome> Check(const std::string& identity, const std::string& factor_sid, const Secret& code);

 private:
  std::string EntityUrl(const std::string& identity) const;

  TwilioClient& client_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_TOTP_FACTORS_H_
