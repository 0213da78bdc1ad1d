#include "base/email_address.h"

#include <cstring>

namespace twotp {

namespace {

constexpr size_t kMaxAddress = 254;
constexpr size_t kMaxLocal = 64;
constexpr const char kHidden[] = "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2";  // three U+2022, as MaskNumber

bool AllowedCharacter(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && std::strchr("#\"()<>[]\\,;:", c) == nullptr;
}

bool IsDomain(std::string_view domain) {
  if (domain.empty() || domain.find('.') == std::string_view::npos) return false;
  size_t label = 0;
  for (char c : domain) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (c == '@') {
      return false;
    } else {
      ++label;
    }
  }
  return label > 0;
}

}  // namespace

bool IsEmailAddress(std::string_view address) {
  if (address.empty() || address.size() > kMaxAddress) return false;
  for (char c : address) {
    if (!AllowedCharacter(c)) return false;
  }
  const size_t at = address.find('@');
  if (at == 0 || at == std::string_view::npos || at > kMaxLocal) return false;
  return IsDomain(address.substr(at + 1));
}

std::string MaskEmail(std::string_view address) {
  if (!IsEmailAddress(address)) return "(address)";
  const size_t at = address.find('@');
  return std::string(address.substr(0, 1)) + kHidden + std::string(address.substr(at));
}

}  // namespace twotp
