// The fleet state on the users' LDAP entries (state.backend = "ldap"):
// FleetStore over the same servers, bind and search as the numbers
// (LdapDirectory). Every change is one modify adding or deleting single
// values; the entry gets the auxiliary class twilioOtpState with its first
// value. Writes go to the first server that answers, as every operation of
// the backend does; the directory's replication brings them to the others.
#ifndef PAM_TWILIO_OTP_LDAP_FLEET_STORE_H_
#define PAM_TWILIO_OTP_LDAP_FLEET_STORE_H_

#include <string>
#include <utility>
#include <vector>

#include "directory/fleet_store.h"

namespace twotp {

class LdapDirectory;

class LdapFleetStore : public FleetStore {
 public:
  // `directory` must outlive this object (it owns it).
  explicit LdapFleetStore(LdapDirectory& directory) : directory_(directory) {}

  Result<FleetValues> Read(const std::string& user) override;
  Status Add(const std::string& user, FleetAttribute attribute, const std::string& value) override;
  Status Delete(const std::string& user, FleetAttribute attribute, const std::string& value) override;
  Status Replace(const std::string& user, FleetAttribute attribute, const std::vector<std::string>& values) override;
  Status PrepareEntry(const std::string& user) override;
  Result<std::vector<std::pair<std::string, FleetValues>>> UsersWith(FleetAttribute attribute) override;

 private:
  // Adds, deletes or replaces values of `attribute` on the user's entry.
  Status Change(const char* what, const std::string& user, int op, FleetAttribute attribute,
                std::vector<std::string> values);

  LdapDirectory& directory_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LDAP_FLEET_STORE_H_
