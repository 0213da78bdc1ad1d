// Fuzzes phone numbers as people type them (enrolment at login, after
// Trim; `twilio-otp enroll`): NormalizeE164, IsE164,
// CountryCallingCode and MaskNumber.
//
// Invariants:
//  - a normalised number is E.164, has exactly the typed digits in the typed
//    order (punctuation is dropped, never a digit), and normalises to itself;
//  - an E.164 number normalises to itself;
//  - refusals are kBadInput and never repeat the digits;
//  - the calling code is 1 to 3 leading digits; the mask shows the calling
//    code and at most the last four digits, and always hides at least three
//    digits of the national number.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "base/text.h"
#include "base/phone.h"

using namespace twotp;

namespace {

constexpr std::string_view kBullet = "\xE2\x80\xA2";

std::string Digits(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (fuzz::IsDigit(c)) out += c;
  }
  return out;
}

void CheckMask(const std::string& e164) {
  const std::string cc = CountryCallingCode(e164);
  FUZZ_CHECK(!cc.empty() && cc.size() <= 3 && e164.substr(1, cc.size()) == cc, fuzz::Show(cc));
  const std::string national = e164.substr(1 + cc.size());
  const std::string mask = MaskNumber(e164);
  FUZZ_CHECK(mask.starts_with("+" + cc + " "), fuzz::Show(mask));
  std::string_view rest = std::string_view(mask).substr(1 + cc.size());
  size_t bullets = 0;
  std::string shown;
  while (!rest.empty()) {
    if (rest.starts_with(kBullet)) {
      ++bullets;
      rest.remove_prefix(kBullet.size());
    } else if (rest.front() == ' ') {
      rest.remove_prefix(1);
    } else {
      FUZZ_CHECK(fuzz::IsDigit(rest.front()), fuzz::Show(mask));
      shown += rest.front();
      rest.remove_prefix(1);
    }
  }
  FUZZ_CHECK(shown.size() <= 4, fuzz::Show(mask));
  FUZZ_CHECK(bullets >= 3 && bullets + shown.size() == national.size(), fuzz::Show(mask));
  FUZZ_CHECK(national.ends_with(shown), fuzz::Show(mask));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const std::string_view typed = Trim(raw);  // as EnrollAtLogin passes it

  if (!IsE164(raw)) {
    FUZZ_CHECK(CountryCallingCode(raw).empty(), fuzz::Show(raw));
    FUZZ_CHECK(MaskNumber(raw) == "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2", fuzz::Show(MaskNumber(raw)));
  }

  Result<std::string> number = NormalizeE164(typed);
  if (IsE164(typed)) {
    FUZZ_CHECK(number.ok() && number.value() == typed, fuzz::Show(typed));
  }
  if (!number.ok()) {
    const std::string& m = number.status().message();
    FUZZ_CHECK(number.status().Is(Fault::kBadInput), number.status().ToString());
    FUZZ_CHECK(m.starts_with("phone number "), fuzz::Show(m));
    FUZZ_CHECK(fuzz::IsPrintableAscii(m), fuzz::Show(m));
    // The only digits in a refusal: the examples and a digit count.
    std::string scrubbed = m;
    for (std::string_view example : {"+44 20 7946 0018", "+1 555 010 4567", "1-800-FLOWERS", "(0)", "starts with 00", "8 to 15", "E.164", "with 0"}) {
      for (size_t at; (at = scrubbed.find(example)) != std::string::npos;) scrubbed.erase(at, example.size());
    }
    const std::string left = Digits(scrubbed);
    FUZZ_CHECK(left.empty() || left == std::to_string(Digits(typed).size()), fuzz::Show(m));
    return 0;
  }
  const std::string& e164 = number.value();
  FUZZ_CHECK(IsE164(e164), fuzz::Show(e164));
  FUZZ_CHECK(Digits(e164) == Digits(typed), fuzz::Show(typed) + " -> " + fuzz::Show(e164));
  for (unsigned char c : typed) {
    FUZZ_CHECK(!std::isalpha(c), "letters accepted: " + fuzz::Show(typed));
  }
  Result<std::string> again = NormalizeE164(e164);
  FUZZ_CHECK(again.ok() && again.value() == e164, fuzz::Show(e164));
  CheckMask(e164);
  return 0;
}
