// The integration suite's LDAP side (TWOTP_BACKEND=ldap): the users a test
// would write to a users file go into a real slapd instead (started by
// tests/integration/run.sh through tests/ldap/slapd_env.sh), one
// organizational unit per users file, so tests stay as isolated as files.
#ifndef PAM_TWILIO_OTP_TESTS_INTEGRATION_HARNESS_LDAP_H_
#define PAM_TWILIO_OTP_TESTS_INTEGRATION_HARNESS_LDAP_H_

#include <string>
#include <vector>

namespace itest {

struct LdapEnv {
  std::string uri;      // ldaps://127.0.0.1:PORT
  std::string ca;       // the server's CA
  std::string base;     // ou=people,dc=example,dc=com
  std::string root_dn;  // may write everything
  std::string pw_file;  // its password (0600)
};

// Makes ou=OU under the base hold exactly the users of `users_text`
// (users-file lines: USER NUMBER CHANNEL VERIFIED), as inetOrgPerson
// entries with mobile and otpChannel. Throws on any LDAP error.
// With `state_class`, the entries also have the fleet state's class
// twilioOtpState, as a fleet with multi-provider replication provisions
// them (README, "A fleet that shares one truth").
void LdapLoadUsers(const LdapEnv& env, const std::string& ou, const std::string& users_text,
                   bool state_class = false);
// Adds an entry for `user` under ou=OU, with no number, unless one exists:
// in a fleet every account has an entry before it has a phone.
void LdapEnsureUser(const LdapEnv& env, const std::string& ou, const std::string& user);
// Every value of `attribute` on `dn` (none when the entry lacks it).
std::vector<std::string> LdapValuesOf(const LdapEnv& env, const std::string& dn, const std::string& attribute);
// Waits until `a` and `b` report the same contextCSN for `suffix`
// (multi-provider replication has caught up); throws after 60 s, a bound
// that only catches a hang.
void LdapWaitReplicated(const LdapEnv& a, const LdapEnv& b, const std::string& suffix);

}  // namespace itest

#endif  // PAM_TWILIO_OTP_TESTS_INTEGRATION_HARNESS_LDAP_H_
