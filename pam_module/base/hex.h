// Lower-case hex for bytes kept in state files (salts, hashes, MAC keys) and
// for encoded file names. Decoding goes through OpenSSL.
#ifndef PAM_TWILIO_OTP_HEX_H_
#define PAM_TWILIO_OTP_HEX_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace twotp {

std::string ToHex(const unsigned char* data, size_t size);
inline std::string ToHex(std::string_view bytes) {
  return ToHex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

// Decodes exactly `size` bytes into `out`; false on any other length or a
// character that is not hex.
bool FromHex(std::string_view hex, unsigned char* out, size_t size);

// The first `digits` (at most 64) hex digits of the SHA-256 of `data`: a
// name for something (a user at Twilio, a grace key) that doesn't give it away.
std::string Sha256Hex(std::string_view data, size_t digits);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_HEX_H_
