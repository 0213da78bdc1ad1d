// FleetStore: the state a fleet shares about a user (state.backend =
// "ldap"), as the values of three multi-valued attributes on the user's
// directory entry (conf/ldap/twilio-otp.schema). It only stores and hands
// back values; state/fleet_values.h says what they mean.
//
// Values are only ever added or deleted one at a time, never read, changed
// and written back (as OpenLDAP's ppolicy keeps pwdFailureTime): two hosts,
// or two providers replicating to each other, can't lose each other's
// counts, and deleting a value that is already gone fails, so of two hosts
// racing to consume one backup code only one succeeds.
#ifndef PAM_TWILIO_OTP_FLEET_STORE_H_
#define PAM_TWILIO_OTP_FLEET_STORE_H_

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace twotp {

enum class FleetAttribute {
  kFailure,     // twilioOtpFailure: a code counted before its check
  kBackupCode,  // twilioOtpBackupCode: an unused backup code's hash
  kGrace,       // twilioOtpGrace: the last success for a grace key
};

// The attribute's name in the schema ("twilioOtpFailure").
inline const char* FleetAttributeName(FleetAttribute attribute) {
  switch (attribute) {
    case FleetAttribute::kFailure: return "twilioOtpFailure";
    case FleetAttribute::kBackupCode: return "twilioOtpBackupCode";
    case FleetAttribute::kGrace: return "twilioOtpGrace";
  }
  return "";
}
// The auxiliary class that allows them.
inline constexpr const char* kFleetObjectClass = "twilioOtpState";

struct FleetValues {
  std::vector<std::string> failures;
  std::vector<std::string> backup_codes;
  std::vector<std::string> grace;
};

class FleetStore {
 public:
  virtual ~FleetStore() = default;
  // The user's values. kNotFound when the user has no entry (nothing can
  // be kept for them); kUnavailable when no server answers.
  virtual Result<FleetValues> Read(const std::string& user) = 0;
  // Adds one value (the entry gets the twilioOtpState class first if it
  // lacks it). A value that is already there is an error (kDirectory).
  virtual Status Add(const std::string& user, FleetAttribute attribute, const std::string& value) = 0;
  // Deletes exactly `value`; kNotFound when it is not (or no longer) there.
  virtual Status Delete(const std::string& user, FleetAttribute attribute, const std::string& value) = 0;
  // Replaces every value of `attribute` (an administrator's reset: new
  // backup codes, an unlock); empty `values` removes the attribute.
  virtual Status Replace(const std::string& user, FleetAttribute attribute, const std::vector<std::string>& values) = 0;
  // Gives the user's entry the class twilioOtpState unless it has it
  // (`twilio-otp enroll`): two providers adding it at once, at a login's
  // first failure, can drop values. kNotFound when there is no entry.
  virtual Status PrepareEntry(const std::string& user) = 0;
  // The users with at least one value of `attribute` (`status --all`).
  virtual Result<std::vector<std::pair<std::string, FleetValues>>> UsersWith(FleetAttribute attribute) = 0;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_FLEET_STORE_H_
