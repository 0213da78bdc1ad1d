// What the LDAP backend reads from one entry, and how that becomes a
// PhoneRecord; plus the filter text helpers. No network here: the rules a
// login applies to an entry are tested without a server.
#ifndef PAM_TWILIO_OTP_LDAP_ENTRY_H_
#define PAM_TWILIO_OTP_LDAP_ENTRY_H_

#include <ldap.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "directory/directory.h"
#include "base/status.h"

namespace twotp {

struct LdapEntry {
  std::string dn;
  std::vector<std::string> numbers;   // values of ldap.attribute
  std::vector<std::string> channels;  // values of ldap.channel_attribute, if set
  std::vector<std::string> verified;  // values of ldap.verified_attribute, if set
  std::vector<std::string> emails;    // values of ldap.email_attribute, if set
  FleetValues fleet;  // read only for the fleet state (state.backend = "ldap")
};

// The attributes the fleet state adds to a search (directory/fleet_store.h).
inline constexpr const char* kFleetAttributes[] = {"twilioOtpFailure", "twilioOtpBackupCode", "twilioOtpGrace"};
// Fills entry->fleet from entry `e`.
void ReadFleetValues(LDAP* ld, LDAPMessage* e, LdapEntry* entry);

// The attributes a search asks for: attribute, then the optional ones set.
std::vector<std::string> RecordAttributes(const LdapConfig& config);
// The DN and the RecordAttributes values of entry `e` of a search result.
LdapEntry ReadEntry(LDAP* ld, LDAPMessage* e, const LdapConfig& config);
// Every value of `attr` on entry `e`.
std::vector<std::string> ValuesOf(LDAP* ld, LDAPMessage* e, const std::string& attr);

// `user`'s record from their entry:
//   no number, or (verified_attribute set) the flag absent or FALSE
//                                   -> kNotFound: not enrolled
//   several numbers, a number that is not E.164, several or unknown
//   channel values, a flag that is neither TRUE nor FALSE
//                                   -> kDirectory, naming the entry and the
//                                      attribute, never quoting a number
//   else the record, channel sms when channel_attribute is unset or absent,
//   verified (the directory vouches for its numbers), verified_at "", email
//   the first value of email_attribute that is an address ("" when none is:
//   `mail` is often multi-valued, and an alias that isn't a mailbox is no
//   reason to refuse the user's phone).
// Channel email with no address is kDirectory.
Result<PhoneRecord> RecordFromEntry(const LdapEntry& entry, const LdapConfig& config, const std::string& user);

// `pattern` with every "%u" replaced by `user` escaped per RFC 4515 (by
// libldap: * ( ) \ and NUL become \2A \28 \29 \5C \00). kBadInput for an
// empty user.
Result<std::string> LdapFilterFor(std::string_view pattern, std::string_view user);
// `pattern` with every %u replaced by `with`, verbatim ("*" for a listing).
std::string ReplaceUser(std::string_view pattern, std::string_view with);
// The attribute that "%u" is compared with in `filter` ("uid" for
// "(&(objectClass=person)(uid=%u))"); "" when the filter doesn't say.
std::string UserAttributeOf(std::string_view filter);

// A search for every user's entry that carries `attribute` (`twilio-otp
// list`, `status --all`): the config's filter with %u as "*" and a
// presence test of `attribute`, and the attribute that names the user.
// kConfig when the filter doesn't compare the user as (ATTRIBUTE=%u).
struct EveryUserSearch {
  std::string filter;
  std::string user_attribute;
};
Result<EveryUserSearch> EveryUserWith(const LdapConfig& config, std::string_view attribute);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LDAP_ENTRY_H_
