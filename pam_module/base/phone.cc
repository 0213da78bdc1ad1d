// E.164 numbers: validation, the administrator-facing normaliser, the mask
// shown in prompts and logs, and the country calling code.
//
// Why no libphonenumber: it is in Debian (libphonenumber-dev), but it drags
// protobuf, ICU and boost into every sshd/sudo process that loads the module,
// and its per-country plans go stale and would refuse numbers Twilio accepts
// (test numbers, new ranges). The module needs only E.164 shape, the calling
// code (a short, stable ITU table) and a mask; Twilio validates the rest.
#include "base/phone.h"
#include "base/text.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace twotp {

namespace {

constexpr size_t kMinDigits = 8;
constexpr size_t kMaxDigits = 15;
constexpr size_t kShownDigits = 4;   // the most a mask ever shows
constexpr size_t kHiddenAtLeast = 3;  // the least a mask hides of the national part
constexpr const char kBullet[] = "\xE2\x80\xA2";  // U+2022 BULLET in UTF-8

// ITU-T E.164 calling codes of two digits. Zones 1 and 7 are one digit; every
// other assigned code is three digits (e.g. 353, 420, 886).
constexpr std::array<int, 44> kTwoDigitCodes = {
    20, 27,                                  // zone 2: Egypt, South Africa
    30, 31, 32, 33, 34, 36, 39,              // zone 3
    40, 41, 43, 44, 45, 46, 47, 48, 49,      // zone 4
    51, 52, 53, 54, 55, 56, 57, 58,          // zone 5
    60, 61, 62, 63, 64, 65, 66,              // zone 6
    81, 82, 84, 86,                          // zone 8
    90, 91, 92, 93, 94, 95, 98,              // zone 9
};


// Characters people write inside numbers that carry no digit.
bool IsSeparator(char c) { return c == ' ' || c == '\t' || c == '.' || c == '-' || c == '(' || c == ')'; }

Status Refuse(const std::string& why) { return Status::BadInput("phone number " + why); }

}  // namespace

bool IsE164(std::string_view number) {
  if (number.size() < 1 + kMinDigits || number.size() > 1 + kMaxDigits) return false;
  if (number[0] != '+' || number[1] == '0') return false;
  return std::all_of(number.begin() + 1, number.end(), IsDigit);
}

// Normalisation only removes punctuation: it never adds, drops or changes a
// digit. So "0044...", "(0)" trunk prefixes and numbers without '+' are
// refused with advice instead of being rewritten into what might be someone
// else's number. Messages never repeat the digits (they may be logged).
Result<std::string> NormalizeE164(std::string_view typed) {
  if (typed.find("(0)") != std::string_view::npos)
    return Refuse("contains the national trunk prefix \"(0)\": leave it out after the country code");
  std::string out;
  for (char c : typed) {
    if (IsDigit(c) || c == '+') {
      out.push_back(c);
    } else if (IsSeparator(c)) {
      continue;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      return Refuse("contains letters: type the digits (vanity numbers like 1-800-FLOWERS are not accepted)");
    } else {
      return Refuse("contains a character other than digits, '+', spaces, dots, dashes and parentheses");
    }
  }
  if (out.empty()) return Refuse("is empty");
  if (out.rfind("00", 0) == 0)
    return Refuse("starts with 00 (an international dialling prefix): write '+' in its place, as in +44 20 7946 0018");
  if (out[0] != '+')
    return Refuse("must start with '+' and the country calling code (E.164), as in +1 555 010 4567");
  if (out.find('+', 1) != std::string::npos) return Refuse("has a '+' that is not at the start");
  if (out.size() > 1 && out[1] == '0') return Refuse("has a country calling code starting with 0");
  const size_t digits = out.size() - 1;
  if (digits < kMinDigits || digits > kMaxDigits)
    return Refuse("has " + std::to_string(digits) + " digits; E.164 numbers have 8 to 15 after the '+'");
  return out;
}

std::string CountryCallingCode(std::string_view e164) {
  if (!IsE164(e164)) return "";
  if (e164[1] == '1' || e164[1] == '7') return std::string(e164.substr(1, 1));
  const int two = (e164[1] - '0') * 10 + (e164[2] - '0');
  if (std::find(kTwoDigitCodes.begin(), kTwoDigitCodes.end(), two) != kTwoDigitCodes.end())
    return std::string(e164.substr(1, 2));
  return std::string(e164.substr(1, 3));
}

// Shows the calling code and at most the last four digits, and always hides
// at least three digits of the national part (a 5-digit national number
// shows only its last two), so a mask never gives a number away.
std::string MaskNumber(std::string_view e164) {
  const std::string code = CountryCallingCode(e164);
  if (code.empty()) return std::string(kBullet) + kBullet + kBullet;  // reveal nothing of a bad number
  const std::string_view national = e164.substr(1 + code.size());
  const size_t shown = std::min(kShownDigits, national.size() - std::min(national.size(), kHiddenAtLeast));
  const size_t hidden = national.size() - shown;
  std::string out = "+" + code;
  for (size_t i = 0; i < hidden; ++i) {
    if (i % 3 == 0) out += ' ';
    out += kBullet;
  }
  out += ' ';
  out += national.substr(hidden);
  return out;
}

}  // namespace twotp
