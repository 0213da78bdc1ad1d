// directory/users_line: one line of the users file: the strict parser, which
// names what is wrong with a line, and the formatter, which round-trips.
#include <string>

#include "directory/users_line.h"
#include "phone_record.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using twotp::Channel;
using twotp::Fault;
using twotp::PhoneRecord;
using twotp_test::Record;

namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

static void test_parse_good_lines(void**) {
  const struct {
    const char* line;
    const char* user;
    const char* number;
    Channel channel;
    const char* verified_at;
  } cases[] = {
      {"alice +15550104567 sms 2026-11-23T19:00:00Z", "alice", "+15550104567", Channel::kSms,
       "2026-11-23T19:00:00Z"},
      {"  bob\t+447700900123   call -   # loaded by hand", "bob", "+447700900123", Channel::kCall, ""},
      {"carol.d +33123456789 whatsapp 2024-02-29T23:59:59Z\r", "carol.d", "+33123456789", Channel::kWhatsapp,
       "2024-02-29T23:59:59Z"},
      {"svc_backup$ +15550104567 sms -", "svc_backup$", "+15550104567", Channel::kSms, ""},
      {"abcdefghijklmnopqrstuvwxyz012345 +15550104567 sms -", "abcdefghijklmnopqrstuvwxyz012345",
       "+15550104567", Channel::kSms, ""},
  };
  for (const auto& c : cases) {
    twotp::Result<PhoneRecord> r = twotp::ParseUsersLine(c.line);
    if (!r.ok()) fail_msg("'%s': %s", c.line, r.status().message().c_str());
    assert_string_equal(r->user.c_str(), c.user);
    assert_string_equal(r->number.c_str(), c.number);
    assert_int_equal(static_cast<int>(r->channel), static_cast<int>(c.channel));
    assert_string_equal(r->verified_at.c_str(), c.verified_at);
  }
}

static void test_parse_bad_lines_name_the_problem(void**) {
  const struct {
    const char* line;
    const char* message_part;
  } cases[] = {
      {"alice", "found 1 field(s)"},
      {"alice +15550104567 sms", "found 3 field(s)"},
      {"alice +15550104567 sms - a@example.com extra", "more than 5 fields"},
      {"alice +15550104567 sms - extra", "email is not an address"},
      {"alice +15550104567 sms - alice@localhost", "email is not an address"},
      {"alice +15550104567 sms - \"a b\"@example.com", "more than 5 fields"},
      {"alice +15550104567 email -", "channel email needs an EMAIL field"},
      {"alice - sms -", "number is not E.164"},
      {"alice 15550104567 sms -", "number is not E.164"},
      {"alice +1555 sms -", "number is not E.164"},
      {"alice +15550104567 fax -", "channel is not one of"},
      {"alice +15550104567 SMS -", "channel is not one of"},
      {"alice +15550104567 sms 2026-11-23", "verified time"},
      {"alice +15550104567 sms 2026-11-23T19:00:00", "verified time"},
      {"alice +15550104567 sms 2026-11-23 19:00:00Z", "verified time"},
      {"alice +15550104567 sms 2026-02-30T10:00:00Z", "verified time"},
      {"alice +15550104567 sms 2026-11-23T24:00:00Z", "verified time"},
      {"alice +15550104567 sms 2026-1-23T19:00:00Z", "verified time"},
      {"alice +15550104567 sms yes", "verified time"},
      {"-alice +15550104567 sms -", "user name starts with"},
      {"+15550104567 alice sms -", "user name starts with"},
      {"ali:ce +15550104567 sms -", "user name contains ':'"},
      {"ali\x01" "ce +15550104567 sms -", "control character"},
      {"abcdefghijklmnopqrstuvwxyz0123456 +15550104567 sms -", "longer than 32"},
  };
  for (const auto& c : cases) {
    twotp::Result<PhoneRecord> r = twotp::ParseUsersLine(c.line);
    if (r.ok()) fail_msg("'%s' accepted", c.line);
    assert_true(r.status().Is(Fault::kBadInput));
    if (!Contains(r.status().message(), c.message_part))
      fail_msg("'%s': '%s' lacks '%s'", c.line, r.status().message().c_str(), c.message_part);
    // Problems never quote the number: they are logged.
    assert_false(Contains(r.status().message(), "0104567"));
  }
}

// The optional fifth field: the address for Verify's email channel.
static void test_an_email_address_is_the_optional_fifth_field(void**) {
  twotp::Result<PhoneRecord> r = twotp::ParseUsersLine("carol +15550104568 email - carol.d+otp@mail.example.com # x");
  if (!r.ok()) fail_msg("%s", r.status().message().c_str());
  assert_int_equal(static_cast<int>(r->channel), static_cast<int>(Channel::kEmail));
  assert_string_equal(r->email.c_str(), "carol.d+otp@mail.example.com");
  assert_string_equal(twotp::FormatUsersLine(r.value()).c_str(),
                      "carol +15550104568 email - carol.d+otp@mail.example.com");
  assert_true(twotp::ParseUsersLine("dave +15550104569 sms -")->email.empty());
  // An authenticator app alone: no number.
  twotp::Result<PhoneRecord> app = twotp::ParseUsersLine("erin - totp 2026-11-23T19:00:00Z");
  assert_true(app.ok() && app->number.empty() && app->channel == Channel::kTotp);
  assert_string_equal(twotp::FormatUsersLine(app.value()).c_str(), "erin - totp 2026-11-23T19:00:00Z");
  PhoneRecord bad = r.value();
  bad.email = "carol@example.com#x";
  assert_true(twotp::CheckRecord(bad).Is(Fault::kBadInput));
  bad.email = "carol@example.com x";
  assert_true(twotp::CheckRecord(bad).Is(Fault::kBadInput));
}

static void test_blank_and_comment_lines_are_not_records(void**) {
  for (const char* line : {"", "   ", "\t\r", "# alice +15550104567 sms -", "   # note"}) {
    assert_true(twotp::ParseUsersLine(line).status().Is(Fault::kNotFound));
  }
}

// The lookup's quick test of a line's first field.
static void test_names_looks_at_the_first_field_only(void**) {
  assert_true(twotp::FirstFieldIs("alice")("alice +15550104567 sms -"));
  assert_true(twotp::FirstFieldIs("alice")("  \talice\t+15550104567 sms -"));
  assert_true(twotp::FirstFieldIs("alice")("alice#note"));
  assert_true(twotp::FirstFieldIs("alice")("alice"));
  assert_false(twotp::FirstFieldIs("alice")("alice2 +15550104567 sms -"));
  assert_false(twotp::FirstFieldIs("alice")("alic +15550104567 sms -"));
  assert_false(twotp::FirstFieldIs("alice")("bob alice sms -"));
  assert_false(twotp::FirstFieldIs("alice")("# alice +15550104567 sms -"));
  assert_false(twotp::FirstFieldIs("alice")(""));
  assert_false(twotp::FirstFieldIs("")("   "));
  assert_false(twotp::FirstFieldIs("a#b")("a#b +15550104567 sms -"));  // '#' starts a comment
}

static void test_format_round_trips(void**) {
  PhoneRecord r = Record("alice", "+15550104567", "2026-11-23T19:00:00Z");
  r.channel = Channel::kCall;
  assert_string_equal(twotp::FormatUsersLine(r).c_str(), "alice +15550104567 call 2026-11-23T19:00:00Z");
  assert_string_equal(twotp::FormatUsersLine(Record("bob", "+447700900123")).c_str(), "bob +447700900123 sms -");
  twotp::Result<PhoneRecord> back = twotp::ParseUsersLine(twotp::FormatUsersLine(r));
  assert_true(back.ok());
  assert_string_equal(back->verified_at.c_str(), "2026-11-23T19:00:00Z");
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_good_lines),
      cmocka_unit_test(test_parse_bad_lines_name_the_problem),
      cmocka_unit_test(test_an_email_address_is_the_optional_fifth_field),
      cmocka_unit_test(test_blank_and_comment_lines_are_not_records),
      cmocka_unit_test(test_names_looks_at_the_first_field_only),
      cmocka_unit_test(test_format_round_trips),
  };
  return cmocka_run_group_tests_name("users_line", tests, nullptr, nullptr);
}
