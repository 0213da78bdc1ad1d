#include "base/hex.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace twotp {

std::string ToHex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * size);
  for (size_t i = 0; i < size; ++i) {
    hex.push_back(kDigits[data[i] >> 4]);
    hex.push_back(kDigits[data[i] & 0x0f]);
  }
  return hex;
}

bool FromHex(std::string_view hex, unsigned char* out, size_t size) {
  if (hex.size() != 2 * size) return false;
  const std::string text(hex);  // OpenSSL wants a NUL-terminated string
  size_t length = 0;
  return OPENSSL_hexstr2buf_ex(out, size, &length, text.c_str(), '\0') == 1 && length == size;
}

std::string Sha256Hex(std::string_view data, size_t digits) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return ToHex(digest, sizeof digest).substr(0, digits);
}

}  // namespace twotp
