#include "base/text.h"

#include <algorithm>

namespace twotp {

bool IsDigits(std::string_view text, size_t min_length, size_t max_length) {
  if (text.size() < min_length || text.size() > max_length) return false;
  for (char c : text) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool IsAlnum(char c) { return IsDigit(c) || IsLetter(c); }

bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool IsSid(std::string_view value, std::string_view prefix) {
  constexpr size_t kSidLength = 34;
  if (value.size() != kSidLength || prefix.size() != 2 || !value.starts_with(prefix)) return false;
  return std::all_of(value.begin() + 2, value.end(), IsHex);
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) noexcept {
  const auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) {
           return fold(x) == fold(y);
         });
}

std::string_view Trim(std::string_view text) {
  constexpr std::string_view kBlanks = " \t\r\n\v\f";
  const size_t first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlanks) - first + 1);
}

std::string SanitizeForMessage(std::string_view value, size_t max_length) {
  std::string out;
  for (unsigned char c : value) {
    if (out.size() >= max_length) {
      out += "...";
      break;
    }
    if (c < 0x20 || c == 0x7f) {
      out += ' ';
    } else if (c >= 0x80) {
      out += '?';  // SMS segments bill per character set: keep to GSM-safe ASCII
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace twotp
