// AccountReader: what `twilio-otp check-config --online` asks Twilio about
// the account before any user depends on it: do the credentials work, is it
// a trial account, do the Verify service and the sender exist, which
// numbers has a trial account verified. Reads only (GET): nothing is sent,
// nothing is created or billed. A login never uses it.
#ifndef PAM_TWILIO_OTP_ACCOUNT_READER_H_
#define PAM_TWILIO_OTP_ACCOUNT_READER_H_

#include <nlohmann/json.hpp>
#include <string>

#include "config/config.h"
#include "twilio/http_transport.h"
#include "twilio/twilio_errors.h"
#include "base/status.h"

namespace twotp {

struct AccountInfo {
  std::string status;  // "active", "suspended", "closed"
  std::string type;    // "Trial" or "Full"
};

// The Verify service's settings a configuration depends on.
struct VerifyServiceInfo {
  bool custom_code_enabled = false;  // twilio.verify_custom_code needs it
  bool psd2_enabled = false;         // twilio.amount and twilio.payee need it
};

class AccountReader {
 public:
  // `twilio` and `transport` must outlive the reader.
  AccountReader(const TwilioConfig& twilio, HttpTransport& transport) : twilio_(twilio), transport_(transport) {}

  // GET /2010-04-01/Accounts/{AC}.json: kConfig for rejected credentials
  // (401 / 20003) or an unknown account; kUnavailable when Twilio can't be
  // reached, with the transport's reason (TLS and CA problems included).
  Result<AccountInfo> FetchAccount();
  // GET /v2/Services/{VA}: its settings when the Verify service exists;
  // kConfig when not. A setting missing from the reply reads as off.
  Result<VerifyServiceInfo> FetchVerifyService();
  // GET .../IncomingPhoneNumbers.json?PageSize=1: Ok when the credentials may
  // read the account's numbers, which a Standard API key may (it may not
  // read the account itself, FetchAccount).
  Status ReadNumbers();
  // GET .../IncomingPhoneNumbers.json?PhoneNumber=: whether the account owns
  // `number` (the messaging mode's `from`).
  Result<bool> OwnsNumber(const std::string& number);
  // GET .../OutgoingCallerIds.json?PhoneNumber=: whether `number` is a
  // verified caller ID, the only numbers a trial account can reach (21608).
  Result<bool> IsVerifiedCallerId(const std::string& number);

 private:
  // GETs `url`; a 2xx reply's JSON object, or the classified error.
  Result<nlohmann::json> Read(TwilioCall call, const std::string& url);
  // Whether a list reply holds at least one item in `list_key`.
  Result<bool> ListHasItem(TwilioCall call, const std::string& url, const char* list_key);

  const TwilioConfig& twilio_;
  HttpTransport& transport_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_ACCOUNT_READER_H_
