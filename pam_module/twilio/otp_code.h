// One-time codes made by the module (messaging mode): uniform random digits
// from OpenSSL's CSPRNG, kept only as an HMAC under a per-code random key,
// and compared in constant time.
#ifndef PAM_TWILIO_OTP_OTP_CODE_H_
#define PAM_TWILIO_OTP_OTP_CODE_H_

#include <array>
#include <string>
#include <string_view>

#include "base/secret.h"
#include "base/status.h"

namespace twotp {

// `length` decimal digits (4..10) from RAND_bytes, each uniform: bytes of 250
// and above are thrown away so `byte % 10` has no bias. kInternal if the
// CSPRNG fails.
Result<Secret> GenerateCode(int length);

// The HMAC-SHA256 of a code under a fresh 32-byte random key. The code itself
// is not kept; Matches() recomputes and compares with CRYPTO_memcmp.
class CodeDigest {
 public:
  static Result<CodeDigest> Of(const Secret& code);
  ~CodeDigest();
  CodeDigest(CodeDigest&& other) noexcept;
  CodeDigest& operator=(CodeDigest&& other) noexcept;
  CodeDigest(const CodeDigest&) = delete;
  CodeDigest& operator=(const CodeDigest&) = delete;
  bool Matches(const Secret& typed) const;

  // Hex of the key and the MAC, for a state file that lets a parallel login
  // check the same code (an HMAC under a random key reveals nothing usable
  // about a code that expires in minutes); FromHex is their inverse.
  std::string KeyHex() const;
  std::string MacHex() const;
  static Result<CodeDigest> FromHex(std::string_view key_hex, std::string_view mac_hex);

 private:
  CodeDigest() = default;
  std::array<unsigned char, 32> key_{};
  std::array<unsigned char, 32> mac_{};
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_OTP_CODE_H_
