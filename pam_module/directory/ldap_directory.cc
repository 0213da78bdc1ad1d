#include "directory/ldap_directory.h"

#include <ldap.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <variant>

#include "directory/ldap_entry.h"
#include "directory/ldap_fleet_store.h"
#include "directory/ldap_session.h"
#include "directory/open_ldap.h"
#include "base/phone.h"
#include "base/secret.h"

namespace twotp {
namespace {

// A filter an administrator wrote may match many entries; we only need to
// know that it matched more than one, so don't let it pull the whole tree.
constexpr int kMaxEntries = 16;

}  // namespace

LdapDirectory::LdapDirectory(LdapConfig config, const FileTrust& trust, Logger& log)
    : config_(std::move(config)), trust_(trust), log_(log) {}

LdapDirectory::~LdapDirectory() {
  const SigpipeBlocked no_sigpipe;  // the unbind writes to a server that may be gone
  session_.reset();
}

FleetStore* LdapDirectory::Fleet() {
  if (!fleet_) fleet_ = std::make_unique<LdapFleetStore>(*this);
  return fleet_.get();
}



Result<LdapEntry> LdapDirectory::FindEntry(LdapSession& session, const std::string& user, bool with_fleet) {
  Result<std::string> filter = LdapFilterFor(config_.filter, user);
  if (!filter.ok()) return filter.status();
  std::vector<std::string> names = RecordAttributes(config_);
  const std::string user_attr = UserAttributeOf(config_.filter);
  if (!user_attr.empty()) names.push_back(user_attr);
  if (with_fleet) {
    for (const char* name : kFleetAttributes) names.push_back(name);
  }
  std::vector<char*> attrs = AttributeList(names);
  timeval tv{config_.timeout, 0};
  LDAPMessage* raw = nullptr;
  session.Arm();
  const int rc = ldap_search_ext_s(session.ld(), config_.base.c_str(), ScopeOf(config_.scope),
                                   filter->c_str(), attrs.data(), 0, nullptr, nullptr, &tv, kMaxEntries, &raw);
  MessagePtr res(raw);  // set (and to be freed) even on most errors
  const std::string where = session.uri() + ": search " + filter.value() + " under " + config_.base;
  if (rc == LDAP_SIZELIMIT_EXCEEDED) {
    return Status::DirectoryError(where + ": more than " + std::to_string(kMaxEntries) +
                                  " entries match; refusing rather than guessing");
  }
  if (rc != LDAP_SUCCESS) return Classify(session.ld(), rc, where, Fault::kDirectory);
  const int count = ldap_count_entries(session.ld(), res.get());
  if (count == 0) return Status::NotFound(where + ": no entry for " + user + " (not enrolled)");
  if (count != 1) {
    return Status::DirectoryError(where + ": " + std::to_string(count) +
                                  " entries match; refusing rather than guessing");
  }
  LDAPMessage* e = ldap_first_entry(session.ld(), res.get());
  LdapEntry entry = ReadEntry(session.ld(), e, config_);
  if (with_fleet) ReadFleetValues(session.ld(), e, &entry);
  // The directory matches "Alice" or "alice " to alice's entry; the module's
  // lockouts and limits are kept per PAM user name, so a variant would get
  // a fresh allowance of guesses on alice's phone. Only the exact name counts.
  if (!user_attr.empty()) {
    const std::vector<std::string> names_on_entry = ValuesOf(session.ld(), e, user_attr);
    if (std::find(names_on_entry.begin(), names_on_entry.end(), user) == names_on_entry.end()) {
      log_.Warning("ldap: " + entry.dn + " matched the user name only loosely (its " + user_attr +
                   " differs from the PAM user by case or spaces); treated as no entry");
      return Status::NotFound(where + ": no entry whose " + user_attr + " is exactly the user name (not enrolled)");
    }
  }
  return entry;
}

Result<PhoneRecord> LdapDirectory::Lookup(const std::string& user) {
  return OnSomeServer<PhoneRecord>("lookup", [&](LdapSession& session) -> Result<PhoneRecord> {
    Result<LdapEntry> entry = FindEntry(session, user);
    if (!entry.ok()) return entry.status();
    return RecordFromEntry(entry.value(), config_, user);
  });
}

Status LdapDirectory::Enroll(const PhoneRecord& record) {
  // An authenticator app alone is written as the channel "totp" (the factor lives at Twilio).
  const bool app_only = record.number.empty() && record.channel == Channel::kTotp;
  if (app_only && config_.channel_attribute.empty()) {
    return Status::BadInput("an authenticator app without a number needs directory.ldap.channel_attribute");
  }
  if (!app_only && !IsE164(record.number)) {
    return Status::BadInput("the number is not in E.164 form (+ and 8 to 15 digits)");
  }
  return OnSomeServer<std::monostate>("enroll", [&](LdapSession& session) -> Result<std::monostate> {
    Result<LdapEntry> entry = FindEntry(session, record.user);
    if (!entry.ok()) {
      if (!entry.status().Is(Fault::kNotFound)) return entry.status();
      return Status::NotFound(entry.status().message() +
                              "; the ldap backend sets numbers on existing entries, it does not create users");
    }
    std::vector<LdapChange> changes;
    if (!app_only) changes.push_back({LDAP_MOD_REPLACE, config_.attribute, {record.number}});
    if (!config_.channel_attribute.empty()) {
      changes.push_back({LDAP_MOD_REPLACE, config_.channel_attribute, {ChannelName(record.channel)}});
    }
    if (!config_.verified_attribute.empty()) {
      changes.push_back({LDAP_MOD_REPLACE, config_.verified_attribute, {record.verified ? "TRUE" : "FALSE"}});
    }
    // The address is the directory's own (often `mail`): written when given,
    // never removed by `remove`.
    if (!config_.email_attribute.empty() && !record.email.empty()) {
      changes.push_back({LDAP_MOD_REPLACE, config_.email_attribute, {record.email}});
    }
    session.Arm();
    Status st = LdapModify(session.ld(), session.uri(), entry->dn, changes);
    if (!st.ok()) return st;
    log_.Notice("ldap enroll: " + record.user + (app_only ? " authenticator app" : " number=" + MaskNumber(record.number)) +
                " on " + entry->dn);
    return std::monostate{};
  }).status();
}

Status LdapDirectory::Remove(const std::string& user) {
  return OnSomeServer<std::monostate>("remove", [&](LdapSession& session) -> Result<std::monostate> {
    Result<LdapEntry> entry = FindEntry(session, user);
    if (!entry.ok()) return entry.status();
    if (entry->numbers.empty() && entry->channels.empty()) {
      return Status::NotFound(entry->dn + " has no " + config_.attribute);
    }
    // The number and what describes it; deleting an absent attribute fails.
    std::vector<LdapChange> changes;
    if (!entry->numbers.empty()) changes.push_back({LDAP_MOD_DELETE, config_.attribute, {}});
    if (!entry->channels.empty()) changes.push_back({LDAP_MOD_DELETE, config_.channel_attribute, {}});
    if (!entry->verified.empty()) changes.push_back({LDAP_MOD_DELETE, config_.verified_attribute, {}});
    session.Arm();
    Status st = LdapModify(session.ld(), session.uri(), entry->dn, changes);
    if (!st.ok()) return st;
    log_.Notice("ldap remove: " + user + " on " + entry->dn);
    return std::monostate{};
  }).status();
}

std::string LdapDirectory::Where() const { return LdapWhere(config_); }

Result<std::vector<PhoneRecord>> LdapDirectory::List() {
  Result<EveryUserSearch> every = EveryUserWith(config_, config_.attribute);
  if (!every.ok()) return every.status();
  const std::string& filter = every->filter;
  const std::string& user_attr = every->user_attribute;
  using Records = std::vector<PhoneRecord>;
  return OnSomeServer<Records>("list", [&](LdapSession& session) -> Result<Records> {
    std::vector<std::string> names = RecordAttributes(config_);
    names.push_back(user_attr);
    std::vector<std::pair<PhoneRecord, std::string>> found;  // record, DN
    Status searched = LdapSearchPaged(session, config_, filter, names, [&](LDAP* ld, LDAPMessage* e) {
      const LdapEntry entry = ReadEntry(ld, e, config_);
      const std::vector<std::string> users = ValuesOf(ld, e, user_attr);
      if (users.size() != 1) {
        log_.Warning("ldap list: " + entry.dn + ": left out (" + std::to_string(users.size()) + " values of " +
                     user_attr + "; one wanted)");
        return;
      }
      Result<PhoneRecord> record = RecordFromEntry(entry, config_, users.front());
      if (record.ok()) {
        found.emplace_back(std::move(record.value()), entry.dn);
      } else if (!record.status().Is(Fault::kNotFound)) {  // not verified: not enrolled, not a problem
        log_.Warning("ldap list: left out: " + record.status().message());
      }
    });
    if (!searched.ok()) return searched;

    // One user on several entries: a login refuses them, so list them as not usable.
    std::map<std::string, int> entries_per_user;
    for (const auto& [record, dn] : found) ++entries_per_user[record.user];
    Records out;
    for (auto& [record, dn] : found) {
      if (entries_per_user[record.user] > 1) {
        log_.Warning("ldap list: " + dn + ": left out (" + record.user + " has " +
                     std::to_string(entries_per_user[record.user]) + " entries)");
        continue;
      }
      out.push_back(std::move(record));
    }
    return out;
  });
}

}  // namespace twotp
