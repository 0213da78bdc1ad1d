// The LDAP backend of the phone directory (directory.backend = "ldap"): a
// fleet keeps each user's number in an attribute of the user's entry
// (`mobile`, `telephoneNumber`...), replicated by the directory itself.
//
// One connection for the object's life (a login, a CLI command), over
// libldap (OpenLDAP), opened by the first call. The URIs are tried in order;
// a server that can't be reached, won't finish TLS, refuses the bind, or
// stalls past ldap.timeout is logged and the next one is tried, and so is
// every URI again when the connection in use fails.
#ifndef PAM_TWILIO_OTP_LDAP_DIRECTORY_H_
#define PAM_TWILIO_OTP_LDAP_DIRECTORY_H_

#include <string>
#include <string_view>
#include <vector>

#include <memory>

#include "config/config.h"
#include "directory/directory.h"
#include "base/file_trust.h"
#include "directory/ldap_entry.h"
#include "directory/ldap_session.h"
#include "base/logger.h"

namespace twotp {

class LdapFleetStore;

class LdapDirectory : public Directory {
 public:
  // `config` is taken as config_schema.cc validated it. `trust` (for
  // bind_password_file) and `log` must outlive this object.
  LdapDirectory(LdapConfig config, const FileTrust& trust, Logger& log);

  // Searches base/scope for filter (every %u = the RFC 4515-escaped user).
  //   no entry                                  -> kNotFound: not enrolled
  //   one entry                                 -> RecordFromEntry
  //       (ldap_entry.h: no number or not verified is kNotFound, a bad
  //       value is kDirectory naming the entry)
  //   more than one entry, any search or protocol error -> kDirectory
  //   no server reachable/answering in time, on every URI -> kUnavailable,
  //       so policy.failmode decides, as for Twilio
  //   bind refused (bad password, TLS required...)    -> kConfig when no
  //       server did better
  // Each URI gets ldap.timeout to connect, again to finish TLS and the
  // bind, and again for each operation (ldap_deadline.h closes libldap's
  // gap in the ldaps:// handshake), so the worst case is
  // (number of URIs) x 3 x timeout.
  Result<PhoneRecord> Lookup(const std::string& user) override;

  // Replaces `attribute` on the user's existing entry with record.number,
  // and when configured channel_attribute with the channel's name and
  // verified_attribute with TRUE or FALSE (record.verified), in one modify.
  // The entry must exist: this backend edits numbers, it does not create
  // accounts (kNotFound). A bind that may not write is a kDirectory Status
  // that says so.
  Status Enroll(const PhoneRecord& record) override;

  // Deletes `attribute` (and the channel and verified attributes present)
  // on the user's entry; kNotFound when there is no entry or no number.
  Status Remove(const std::string& user) override;

  // Every user with a usable number, for `twilio-otp list`: the entries
  // that filter (with %u as "*") matches and that carry `attribute`. The
  // user name is the value of the attribute %u is compared with ("uid" in
  // "(uid=%u)"); a filter where that can't be told is kConfig. Entries a
  // login would refuse (several values, not E.164, one user on several
  // entries) are logged as warnings and left out; so, silently, are
  // numbers whose verified_attribute is not TRUE. Paged (RFC 2696), so a
  // server size limit can't cut the list short unnoticed: if the server
  // cuts it anyway the result is kDirectory, never a silently short list.
  Result<std::vector<PhoneRecord>> List() override;
  // "ldap URI URI...".
  std::string Where() const override;
  // The fleet state on the same entries, through the same servers and bind
  // (ldap_fleet_store.h).
  FleetStore* Fleet() override;
  ~LdapDirectory() override;

 private:
  friend class LdapFleetStore;
  // The single entry for `user` (kNotFound: none; kDirectory: several),
  // with its fleet values when `with_fleet`.
  Result<LdapEntry> FindEntry(LdapSession& session, const std::string& user, bool with_fleet = false);
  // Runs `op` on the first server that lets it finish (see Lookup).
  template <typename T, typename Op>
  Result<T> OnSomeServer(const char* what, Op op) {
    return OnSomeLdapServer<T>(config_, trust_, log_, what, op, &session_);
  }

  LdapConfig config_;
  const FileTrust& trust_;
  Logger& log_;
  std::unique_ptr<LdapFleetStore> fleet_;  // made on first use
  // The connection the last call used, kept for the next: this object lives
  // for one login (or one CLI command). Unbound by the destructor.
  std::unique_ptr<LdapSession> session_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LDAP_DIRECTORY_H_
