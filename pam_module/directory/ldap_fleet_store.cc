#include "directory/ldap_fleet_store.h"

#include <ldap.h>

#include <variant>

#include "directory/ldap_directory.h"
#include "directory/ldap_entry.h"
#include "directory/ldap_session.h"

namespace twotp {

namespace {

// Gives `dn` the class twilioOtpState, in a modify of its own; one that has
// it already (another host added it a moment ago) is no error.
Status AddStateClass(LdapSession& session, const std::string& dn) {
  std::vector<LdapChange> add_class = {{LDAP_MOD_ADD, "objectClass", {kFleetObjectClass}}};
  int rc = LDAP_SUCCESS;
  session.Arm();
  Status added = LdapModify(session.ld(), session.uri(), dn, add_class, &rc);
  return rc == LDAP_TYPE_OR_VALUE_EXISTS ? Status::Ok() : added;
}

}  // namespace

Result<FleetValues> LdapFleetStore::Read(const std::string& user) {
  return directory_.OnSomeServer<FleetValues>("state read", [&](LdapSession& session) -> Result<FleetValues> {
    Result<LdapEntry> entry = directory_.FindEntry(session, user, /*with_fleet=*/true);
    if (!entry.ok()) return entry.status();
    return entry->fleet;
  });
}

Status LdapFleetStore::Change(const char* what, const std::string& user, int op, FleetAttribute attribute,
                              std::vector<std::string> values) {
  return directory_.OnSomeServer<std::monostate>(what, [&](LdapSession& session) -> Result<std::monostate> {
    Result<LdapEntry> entry = directory_.FindEntry(session, user);
    if (!entry.ok()) return entry.status();
    // Adding a value needs the class that allows it. The value is tried
    // alone first: Active Directory gives the class to every user through
    // the user class without listing it, and the service account may not
    // write objectClass there. Elsewhere the class is added in a modify of
    // its own, never beside the value: replicated to a provider that got
    // the class from another host meanwhile, a modify holding both would
    // fail there whole, and the value would be lost.
    const bool adds = op != LDAP_MOD_DELETE && !values.empty();
    std::vector<LdapChange> changes = {{op, FleetAttributeName(attribute), values}};
    int rc = LDAP_SUCCESS;
    session.Arm();
    Status st = LdapModify(session.ld(), session.uri(), entry->dn, changes, &rc);
    if (adds && rc == LDAP_OBJECT_CLASS_VIOLATION) {
      if (Status added = AddStateClass(session, entry->dn); !added.ok()) return added;
      session.Arm();
      st = LdapModify(session.ld(), session.uri(), entry->dn, changes);
    }
    if (!st.ok()) return st;
    return std::monostate{};
  }).status();
}

Status LdapFleetStore::PrepareEntry(const std::string& user) {
  return directory_.OnSomeServer<std::monostate>("state prepare", [&](LdapSession& session) -> Result<std::monostate> {
    Result<LdapEntry> entry = directory_.FindEntry(session, user);
    if (!entry.ok()) return entry.status();
    if (Status added = AddStateClass(session, entry->dn); !added.ok()) return added;
    return std::monostate{};
  }).status();
}

Status LdapFleetStore::Add(const std::string& user, FleetAttribute attribute, const std::string& value) {
  return Change("state add", user, LDAP_MOD_ADD, attribute, {value});
}

Status LdapFleetStore::Delete(const std::string& user, FleetAttribute attribute, const std::string& value) {
  return Change("state delete", user, LDAP_MOD_DELETE, attribute, {value});
}

Status LdapFleetStore::Replace(const std::string& user, FleetAttribute attribute,
                               const std::vector<std::string>& values) {
  return Change("state replace", user, LDAP_MOD_REPLACE, attribute, values);
}

Result<std::vector<std::pair<std::string, FleetValues>>> LdapFleetStore::UsersWith(FleetAttribute attribute) {
  const LdapConfig& config = directory_.config_;
  Result<EveryUserSearch> every = EveryUserWith(config, FleetAttributeName(attribute));
  if (!every.ok()) return every.status();
  const std::string& filter = every->filter;
  const std::string& user_attr = every->user_attribute;
  using Users = std::vector<std::pair<std::string, FleetValues>>;
  return directory_.OnSomeServer<Users>("state list", [&](LdapSession& session) -> Result<Users> {
    std::vector<std::string> names(std::begin(kFleetAttributes), std::end(kFleetAttributes));
    names.push_back(user_attr);
    Users users;
    Status searched = LdapSearchPaged(session, config, filter, names, [&](LDAP* ld, LDAPMessage* e) {
      const std::vector<std::string> name = ValuesOf(ld, e, user_attr);
      if (name.size() != 1) return;  // the numbers' list leaves such entries out too
      LdapEntry entry;
      ReadFleetValues(ld, e, &entry);
      users.emplace_back(name.front(), std::move(entry.fleet));
    });
    if (!searched.ok()) return searched;
    return users;
  });
}

}  // namespace twotp
