#include "directory/ldap_entry.h"

#include <cctype>
#include <memory>

#include "base/email_address.h"
#include "base/phone.h"
#include "base/text.h"

namespace twotp {
namespace {

struct ValuesFree {
  void operator()(berval** v) const { ldap_value_free_len(v); }
};
using ValuesPtr = std::unique_ptr<berval*, ValuesFree>;

Status Unusable(const LdapEntry& entry, const std::string& attr, const std::string& why) {
  return Status::DirectoryError(attr + " of " + entry.dn + " " + why);
}

}  // namespace

std::vector<std::string> RecordAttributes(const LdapConfig& config) {
  std::vector<std::string> attrs{config.attribute};
  if (!config.channel_attribute.empty()) attrs.push_back(config.channel_attribute);
  if (!config.verified_attribute.empty()) attrs.push_back(config.verified_attribute);
  if (!config.email_attribute.empty()) attrs.push_back(config.email_attribute);
  return attrs;
}

std::vector<std::string> ValuesOf(LDAP* ld, LDAPMessage* e, const std::string& attr) {
  std::vector<std::string> out;
  ValuesPtr values(ldap_get_values_len(ld, e, attr.c_str()));
  for (berval** v = values.get(); v != nullptr && *v != nullptr; ++v) out.emplace_back((*v)->bv_val, (*v)->bv_len);
  return out;
}

void ReadFleetValues(LDAP* ld, LDAPMessage* e, LdapEntry* entry) {
  entry->fleet.failures = ValuesOf(ld, e, FleetAttributeName(FleetAttribute::kFailure));
  entry->fleet.backup_codes = ValuesOf(ld, e, FleetAttributeName(FleetAttribute::kBackupCode));
  entry->fleet.grace = ValuesOf(ld, e, FleetAttributeName(FleetAttribute::kGrace));
}

LdapEntry ReadEntry(LDAP* ld, LDAPMessage* e, const LdapConfig& config) {
  LdapEntry entry;
  if (char* dn = ldap_get_dn(ld, e); dn != nullptr) {
    entry.dn = dn;
    ldap_memfree(dn);
  } else {
    entry.dn = "(entry with an unreadable DN)";
  }
  entry.numbers = ValuesOf(ld, e, config.attribute);
  if (!config.channel_attribute.empty()) entry.channels = ValuesOf(ld, e, config.channel_attribute);
  if (!config.verified_attribute.empty()) entry.verified = ValuesOf(ld, e, config.verified_attribute);
  if (!config.email_attribute.empty()) entry.emails = ValuesOf(ld, e, config.email_attribute);
  return entry;
}

Result<PhoneRecord> RecordFromEntry(const LdapEntry& entry, const LdapConfig& config, const std::string& user) {
  const std::string& attr = config.attribute;
  // A user of an authenticator app alone (channel "totp", the factor
  // verified at Twilio) needs no number, and no number flag.
  const bool app_only = entry.numbers.empty() && entry.channels.size() == 1 && Lower(entry.channels.front()) == "totp";
  // No number is how a fleet's directory says "no phone yet": not
  // enrolled, not a fault.
  if (entry.numbers.empty() && !app_only) return Status::NotFound(entry.dn + " has no " + attr + " (not enrolled)");
  if (entry.numbers.size() > 1) {
    return Unusable(entry, attr, "has " + std::to_string(entry.numbers.size()) + " values; expected one");
  }
  // The value is not quoted: a near-miss is most of a phone number.
  const std::string number = app_only ? std::string() : entry.numbers.front();
  if (!app_only && !IsE164(number)) {
    return Unusable(entry, attr, "is not an E.164 number (" + std::to_string(number.size()) + " bytes)");
  }
  if (!config.verified_attribute.empty() && !app_only) {
    const std::string& flag_attr = config.verified_attribute;
    if (entry.verified.size() > 1) return Unusable(entry, flag_attr, "has several values; expected TRUE or FALSE");
    const std::string flag = entry.verified.empty() ? "false" : Lower(entry.verified.front());
    if (flag != "true" && flag != "false") return Unusable(entry, flag_attr, "is neither TRUE nor FALSE");
    // A number nobody has proven could be anyone's: codes are not sent to it.
    if (flag == "false") {
      return Status::NotFound(entry.dn + ": " + attr + " is not verified (" + flag_attr + " is not TRUE; not enrolled)");
    }
  }
  PhoneRecord record;
  record.user = user;
  record.number = number;
  record.verified = true;
  if (!config.channel_attribute.empty() && !entry.channels.empty()) {
    const std::optional<Channel> channel =
        entry.channels.size() == 1 ? ParseChannel(Lower(entry.channels.front())) : std::nullopt;
    if (!channel) return Unusable(entry, config.channel_attribute, "must be one of sms, call, whatsapp, email, totp");
    record.channel = *channel;
  }
  for (const std::string& email : entry.emails) {
    if (IsEmailAddress(email)) {
      record.email = email;
      break;
    }
  }
  if (record.channel == Channel::kEmail && record.email.empty()) {
    return Unusable(entry, config.channel_attribute,
                    "is email, but " + (config.email_attribute.empty() ? std::string("ldap.email_attribute is not set")
                                                                       : config.email_attribute + " holds no address"));
  }
  return record;
}

Result<std::string> LdapFilterFor(std::string_view pattern, std::string_view user) {
  if (user.empty()) return Status::BadInput("empty user name");
  berval in{user.size(), const_cast<char*>(user.data())};
  berval out{0, nullptr};
  if (ldap_bv2escaped_filter_value(&in, &out) != 0 || out.bv_val == nullptr) {
    return Status::Internal("ldap: could not escape the user name for a filter");
  }
  const std::string escaped(out.bv_val, out.bv_len);
  ber_memfree(out.bv_val);
  return ReplaceUser(pattern, escaped);
}

std::string ReplaceUser(std::string_view pattern, std::string_view with) {
  std::string out;
  out.reserve(pattern.size() + with.size());
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() && pattern[i + 1] == 'u') {
      out += with;
      ++i;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

std::string UserAttributeOf(std::string_view filter) {
  const size_t at = filter.find("=%u");
  if (at == std::string_view::npos) return "";
  size_t begin = at;
  while (begin > 0) {
    const char ch = filter[begin - 1];
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' || ch == ';')) break;
    --begin;
  }
  if (begin == 0 || filter[begin - 1] != '(') return "";
  return std::string(filter.substr(begin, at - begin));
}

Result<EveryUserSearch> EveryUserWith(const LdapConfig& config, std::string_view attribute) {
  EveryUserSearch search{"", UserAttributeOf(config.filter)};
  if (search.user_attribute.empty()) {
    return Status::ConfigError("directory.ldap.filter " + config.filter +
                               ": listing needs the user compared as (ATTRIBUTE=%u)");
  }
  // %u as "*": "(uid=%u)" becomes the presence filter "(uid=*)".
  search.filter = "(&" + ReplaceUser(config.filter, "*") + "(" + std::string(attribute) + "=*))";
  return search;
}

}  // namespace twotp
