#include "base/text.h"

namespace twotp {

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
