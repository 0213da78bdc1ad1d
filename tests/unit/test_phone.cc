// base/phone: E.164 shape, the administrator-facing normaliser, the
// calling-code table and the mask that is all a log or prompt ever shows.
#include "cmocka_cxx.h"

#include <cstring>
#include <string>

#include "base/phone.h"

using twotp::CountryCallingCode;
using twotp::Fault;
using twotp::IsE164;
using twotp::MaskNumber;
using twotp::NormalizeE164;

namespace {

struct NormalizeCase {
  const char* typed;
  const char* expected;  // nullptr: refused
  const char* message_part;  // for refusals: a phrase the message must hold
};

const NormalizeCase kNormalizeCases[] = {
    {"+15550104567", "+15550104567", nullptr},
    {"+1 (555) 010-4567", "+15550104567", nullptr},
    {"+44 20 7946 0018", "+442079460018", nullptr},
    {"+33.1.23.45.67.89", "+33123456789", nullptr},
    {"\t+49 30 1234567 ", "+49301234567", nullptr},
    {"+123456789012345", "+123456789012345", nullptr},  // 15 digits: the most
    {"+12345678", "+12345678", nullptr},                // 8 digits: the least
    {"", nullptr, "is empty"},
    {" - ", nullptr, "is empty"},
    {"5550104567", nullptr, "must start with '+'"},
    {"0044 20 7946 0018", nullptr, "starts with 00"},
    {"+44 (0)20 7946 0018", nullptr, "trunk prefix"},
    {"+1-800-FLOWERS", nullptr, "letters"},
    {"+1 555 010 4567 x12", nullptr, "letters"},
    {"+1/555/0104567", nullptr, "character other than"},
    {"+1 555 ＋010", nullptr, "character other than"},
    {"+1555+0104567", nullptr, "not at the start"},
    {"+0441234567", nullptr, "starting with 0"},
    {"+1234567", nullptr, "has 7 digits"},
    {"+1234567890123456", nullptr, "has 16 digits"},
};

}  // namespace

static void test_e164_shape(void**) {
  assert_true(IsE164("+15550104567"));
  assert_true(IsE164("+12345678"));
  assert_true(IsE164("+123456789012345"));
  assert_false(IsE164("15550104567"));
  assert_false(IsE164("+1234567"));          // 7 digits
  assert_false(IsE164("+1234567890123456"));  // 16 digits
  assert_false(IsE164("+05550104567"));
  assert_false(IsE164("+1555 0104567"));
  assert_false(IsE164("+"));
  assert_false(IsE164(""));
}

static void test_normalize_table(void**) {
  for (const NormalizeCase& c : kNormalizeCases) {
    twotp::Result<std::string> r = NormalizeE164(c.typed);
    if (c.expected != nullptr) {
      if (!r.ok()) fail_msg("'%s' refused: %s", c.typed, r.status().message().c_str());
      assert_string_equal(r.value().c_str(), c.expected);
      assert_true(IsE164(r.value()));
    } else {
      if (r.ok()) fail_msg("'%s' accepted as %s", c.typed, r.value().c_str());
      assert_true(r.status().Is(Fault::kBadInput));
      if (r.status().message().find(c.message_part) == std::string::npos)
        fail_msg("'%s': message '%s' lacks '%s'", c.typed, r.status().message().c_str(), c.message_part);
    }
  }
}

static void test_refusal_never_repeats_the_digits(void**) {
  for (const char* typed : {"0044 20 7946 0018", "+1555+0104567", "+1234567890123456", "5550104567"}) {
    twotp::Result<std::string> r = NormalizeE164(typed);
    assert_false(r.ok());
    assert_null(std::strstr(r.status().message().c_str(), "0104567"));
    assert_null(std::strstr(r.status().message().c_str(), "7946 0018 "));
  }
}

static void test_country_calling_codes(void**) {
  const struct {
    const char* number;
    const char* code;
  } cases[] = {
      {"+15550104567", "1"},    {"+74951234567", "7"},    {"+442079460018", "44"},
      {"+33123456789", "33"},   {"+27211234567", "27"},   {"+8613912345678", "86"},
      {"+353861234567", "353"}, {"+420212345678", "420"}, {"+886212345678", "886"},
      {"+35412345678", "354"},  {"+9715012345678", "971"}, {"+9891212345678", "98"},
      {"not a number", ""},     {"+0123456789", ""},
  };
  for (const auto& c : cases) {
    if (CountryCallingCode(c.number) != c.code)
      fail_msg("%s: got '%s', want '%s'", c.number, CountryCallingCode(c.number).c_str(), c.code);
  }
}

static void test_mask_nanp_and_others(void**) {
  assert_string_equal(MaskNumber("+15550104567").c_str(), "+1 ••• ••• 4567");
  assert_string_equal(MaskNumber("+447700900123").c_str(), "+44 ••• ••• 0123");
  assert_string_equal(MaskNumber("+353861234567").c_str(), "+353 ••• •• 4567");
  // A 5-digit national part: at least three digits stay hidden.
  assert_string_equal(MaskNumber("+35412345").c_str(), "+354 ••• 45");
  assert_string_equal(MaskNumber("garbage 5550104567").c_str(), "•••");
}

// Counts the ASCII digits of the national part that the mask shows.
static size_t DigitsShownAfterCode(const std::string& masked, const std::string& code) {
  size_t n = 0;
  for (size_t i = 1 + code.size(); i < masked.size(); ++i) n += (masked[i] >= '0' && masked[i] <= '9');
  return n;
}

static void test_mask_never_shows_more_than_four_digits(void**) {
  std::string number = "+1";
  for (int len = 8; len <= 15; ++len) {
    for (const char* prefix : {"+1", "+44", "+353", "+7"}) {
      number = prefix;
      while (number.size() < static_cast<size_t>(len) + 1) number += static_cast<char>('0' + number.size() % 10);
      if (!IsE164(number)) continue;
      const std::string code = CountryCallingCode(number);
      const std::string masked = MaskNumber(number);
      if (DigitsShownAfterCode(masked, code) > 4) fail_msg("%s shows too much: %s", number.c_str(), masked.c_str());
      // The last digits shown are the number's own last digits.
      const size_t shown = DigitsShownAfterCode(masked, code);
      assert_true(masked.compare(masked.size() - shown, shown, number, number.size() - shown, shown) == 0);
    }
  }
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_e164_shape),
      cmocka_unit_test(test_normalize_table),
      cmocka_unit_test(test_refusal_never_repeats_the_digits),
      cmocka_unit_test(test_country_calling_codes),
      cmocka_unit_test(test_mask_nanp_and_others),
      cmocka_unit_test(test_mask_never_shows_more_than_four_digits),
  };
  return cmocka_run_group_tests_name("phone", tests, nullptr, nullptr);
}
