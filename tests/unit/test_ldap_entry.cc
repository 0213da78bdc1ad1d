// directory/ldap_entry: the rules a login applies to one LDAP entry
// (ldap_entry.h), without a server: what is "not enrolled", what is a fault,
// and that a fault never quotes the number.
#include <string>

#include "directory/ldap_entry.h"

// Last: cmocka defines a fail() macro that breaks <ios> if included before it.
#include "cmocka_cxx.h"

using twotp::Channel;
using twotp::Fault;
using twotp::LdapConfig;
using twotp::LdapEntry;
using twotp::RecordFromEntry;

namespace {

LdapConfig Flagged() {
  LdapConfig c;
  c.channel_attribute = "otpChannel";
  c.verified_attribute = "phoneNumberVerified";
  return c;
}

LdapEntry Entry(std::vector<std::string> numbers, std::vector<std::string> channels = {},
                std::vector<std::string> verified = {}, std::vector<std::string> emails = {}) {
  return LdapEntry{"uid=alice,ou=people,dc=example,dc=com", std::move(numbers), std::move(channels),
                   std::move(verified), std::move(emails), {}};
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void test_plain_entry_is_a_verified_sms_record(void**) {
  auto r = RecordFromEntry(Entry({"+15550104567"}), LdapConfig{}, "alice");
  assert_true(r.ok());
  assert_string_equal(r->user.c_str(), "alice");
  assert_string_equal(r->number.c_str(), "+15550104567");
  assert_int_equal(static_cast<int>(r->channel), static_cast<int>(Channel::kSms));
  assert_true(r->verified);
  assert_true(r->verified_at.empty());
}

void test_no_number_is_not_enrolled_and_bad_numbers_are_faults(void**) {
  assert_true(RecordFromEntry(Entry({}), LdapConfig{}, "alice").status().Is(Fault::kNotFound));
  auto two = RecordFromEntry(Entry({"+15550104567", "+15550104568"}), LdapConfig{}, "alice");
  assert_true(two.status().Is(Fault::kDirectory));
  auto bad = RecordFromEntry(Entry({"+1 555 0104567"}), LdapConfig{}, "alice");
  assert_true(bad.status().Is(Fault::kDirectory));
  if (!Contains(bad.status().message(), "mobile of uid=alice,")) fail_msg("%s", bad.status().message().c_str());
  if (Contains(bad.status().message(), "0104567")) fail_msg("quotes the number: %s", bad.status().message().c_str());
}

void test_verified_flag_decides_enrolment(void**) {
  const LdapConfig c = Flagged();
  for (const char* yes : {"TRUE", "true"}) {
    auto r = RecordFromEntry(Entry({"+15550104567"}, {}, {yes}), c, "alice");
    if (!r.ok()) fail_msg("%s: %s", yes, r.status().ToString().c_str());
  }
  assert_true(RecordFromEntry(Entry({"+15550104567"}, {}, {"FALSE"}), c, "alice").status().Is(Fault::kNotFound));
  assert_true(RecordFromEntry(Entry({"+15550104567"}), c, "alice").status().Is(Fault::kNotFound));
  assert_true(RecordFromEntry(Entry({"+15550104567"}, {}, {"yes"}), c, "alice").status().Is(Fault::kDirectory));
  assert_true(
      RecordFromEntry(Entry({"+15550104567"}, {}, {"TRUE", "FALSE"}), c, "alice").status().Is(Fault::kDirectory));
  // Without verified_attribute, values read anyway mean nothing.
  assert_true(RecordFromEntry(Entry({"+15550104567"}, {}, {"FALSE"}), LdapConfig{}, "alice").ok());
}

void test_channel_attribute(void**) {
  const LdapConfig c = Flagged();
  auto call = RecordFromEntry(Entry({"+15550104567"}, {"Call"}, {"TRUE"}), c, "alice");
  assert_true(call.ok());
  assert_int_equal(static_cast<int>(call->channel), static_cast<int>(Channel::kCall));
  auto absent = RecordFromEntry(Entry({"+15550104567"}, {}, {"TRUE"}), c, "alice");
  assert_int_equal(static_cast<int>(absent->channel), static_cast<int>(Channel::kSms));
  assert_true(RecordFromEntry(Entry({"+15550104567"}, {"fax"}, {"TRUE"}), c, "alice").status().Is(Fault::kDirectory));
  assert_true(
      RecordFromEntry(Entry({"+15550104567"}, {"sms", "call"}, {"TRUE"}), c, "alice").status().Is(Fault::kDirectory));
}

// The first value of email_attribute that is an address; none is no fault,
// unless the user's channel is email.
void test_email_attribute(void**) {
  LdapConfig c = Flagged();
  c.email_attribute = "mail";
  auto record = RecordFromEntry(Entry({"+15550104567"}, {}, {"TRUE"}, {"alias at example", "alice@example.com",
                                                                        "a2@example.com"}),
                                c, "alice");
  assert_true(record.ok());
  assert_string_equal(record->email.c_str(), "alice@example.com");
  auto none = RecordFromEntry(Entry({"+15550104567"}, {}, {"TRUE"}, {"not an address"}), c, "alice");
  assert_true(none.ok() && none->email.empty());
  auto by_email = RecordFromEntry(Entry({"+15550104567"}, {"email"}, {"TRUE"}, {"alice@example.com"}), c, "alice");
  assert_int_equal(static_cast<int>(by_email->channel), static_cast<int>(Channel::kEmail));
  twotp::Result<twotp::PhoneRecord> nowhere = RecordFromEntry(Entry({"+15550104567"}, {"email"}, {"TRUE"}), c, "alice");
  assert_true(nowhere.status().Is(Fault::kDirectory));
  assert_true(Contains(nowhere.status().message(), "mail holds no address"));
  assert_int_equal(twotp::RecordAttributes(c).size(), 4);
}

// An authenticator app alone: channel "totp" and no number is a record
// (the factor lives at Twilio), with no verified flag asked; any other
// channel without a number is still "not enrolled".
void test_an_app_user_needs_no_number(void**) {
  const LdapConfig c = Flagged();
  auto app = RecordFromEntry(Entry({}, {"TOTP"}, {}), c, "alice");
  assert_true(app.ok());
  assert_true(app->number.empty());
  assert_int_equal(static_cast<int>(app->channel), static_cast<int>(Channel::kTotp));
  assert_true(RecordFromEntry(Entry({}, {"sms"}, {"TRUE"}), c, "alice").status().Is(Fault::kNotFound));
  auto both = RecordFromEntry(Entry({"+15550104567"}, {"totp"}, {"TRUE"}), c, "alice");
  assert_true(both.ok() && both->number == "+15550104567");
}

void test_record_attributes_and_user_attribute(void**) {
  assert_int_equal(twotp::RecordAttributes(LdapConfig{}).size(), 1);
  assert_int_equal(twotp::RecordAttributes(Flagged()).size(), 3);
  assert_string_equal(twotp::UserAttributeOf("(&(objectClass=user)(sAMAccountName=%u))").c_str(), "sAMAccountName");
  assert_string_equal(twotp::UserAttributeOf("(uid~=%u)").c_str(), "");
  assert_string_equal(twotp::ReplaceUser("(|(uid=%u)(mail=%u@x))", "*").c_str(), "(|(uid=*)(mail=*@x))");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_entry_is_a_verified_sms_record),
      cmocka_unit_test(test_no_number_is_not_enrolled_and_bad_numbers_are_faults),
      cmocka_unit_test(test_verified_flag_decides_enrolment),
      cmocka_unit_test(test_channel_attribute),
      cmocka_unit_test(test_email_attribute),
      cmocka_unit_test(test_an_app_user_needs_no_number),
      cmocka_unit_test(test_record_attributes_and_user_attribute),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
