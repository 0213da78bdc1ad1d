// LocalCode: a code this host made and checks itself, of which only the HMAC
// is kept (otp_code.h), good for policy.code_ttl from when it was sent.
// Messaging mode and Verify with a custom code (twilio.verify_custom_code)
// both check codes this way.
#ifndef PAM_TWILIO_OTP_LOCAL_CODE_H_
#define PAM_TWILIO_OTP_LOCAL_CODE_H_

#include <chrono>
#include <optional>

#include "base/clock.h"
#include "base/pending_code.h"
#include "base/secret.h"
#include "base/status.h"
#include "config/config.h"
#include "twilio/otp_code.h"
#include "twilio/twilio_client.h"

namespace twotp {

class LocalCode {
 public:
  // A code to send, and the digest to Keep once it is sent.
  struct Fresh {
    Secret code;
    CodeDigest digest;
  };

  // `policy` and `clock` must outlive the code.
  LocalCode(const PolicyConfig& policy, Clock& clock);

  // policy.code_length digits from the CSPRNG; nothing is pending until Keep.
  Result<Fresh> Make() const;
  // The code just sent is now the pending one (a new code replaces the old:
  // only the latest message is valid), issued now.
  void Keep(CodeDigest digest);
  // kApproved once (single use); kWrongCode for anything else, input that is
  // not exactly policy.code_length digits included. Fault::kCodeDead when no
  // code is pending or it is older than policy.code_ttl (it is then dropped).
  Result<CheckOutcome> Check(const Secret& typed);
  void Clear() { pending_.reset(); }
  bool pending() const { return pending_.has_value(); }

  // The HMAC and its key into `out` (nothing when none is pending).
  void ExportTo(PendingCode& out) const;
  // Takes over the code of `pending`, sent `sent_at` (wall clock); kCodeDead
  // when it has no HMAC or is older than policy.code_ttl.
  Status AdoptFrom(const PendingCode& pending);

 private:
  const PolicyConfig& policy_;
  Clock& clock_;
  std::optional<CodeDigest> pending_;
  std::chrono::steady_clock::time_point issued_{};
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LOCAL_CODE_H_
