#include "twilio/otp_code.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/hex.h"

namespace twotp {

namespace {

bool Hmac(const std::array<unsigned char, 32>& key, std::string_view data,
          std::array<unsigned char, 32>& out) {
  unsigned int out_len = 0;
  const unsigned char* ok =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &out_len);
  return ok != nullptr && out_len == out.size();
}

}  // namespace

Result<Secret> GenerateCode(int length) {
  if (length < 4 || length > 10) return Status::Internal("code length out of range");
  Secret code;
  unsigned char pool[64];
  while (code.size() < static_cast<size_t>(length)) {
    if (RAND_bytes(pool, sizeof(pool)) != 1) {
      OPENSSL_cleanse(pool, sizeof(pool));
      return Status::Internal("the random number generator failed");
    }
    for (unsigned char byte : pool) {
      if (byte >= 250) continue;  // 250 = 25 * 10: keeps every digit equally likely
      const char digit = static_cast<char>('0' + byte % 10);
      code.Append(std::string_view(&digit, 1));
      if (code.size() == static_cast<size_t>(length)) break;
    }
  }
  OPENSSL_cleanse(pool, sizeof(pool));
  return code;
}

Result<CodeDigest> CodeDigest::Of(const Secret& code) {
  CodeDigest digest;
  if (RAND_bytes(digest.key_.data(), static_cast<int>(digest.key_.size())) != 1 ||
      !Hmac(digest.key_, code.view(), digest.mac_)) {
    return Status::Internal("could not compute the code's HMAC");
  }
  return digest;
}

CodeDigest::~CodeDigest() {
  OPENSSL_cleanse(key_.data(), key_.size());
  OPENSSL_cleanse(mac_.data(), mac_.size());
}

CodeDigest::CodeDigest(CodeDigest&& other) noexcept : key_(other.key_), mac_(other.mac_) {
  OPENSSL_cleanse(other.key_.data(), other.key_.size());
  OPENSSL_cleanse(other.mac_.data(), other.mac_.size());
}

CodeDigest& CodeDigest::operator=(CodeDigest&& other) noexcept {
  if (this != &other) {
    key_ = other.key_;
    mac_ = other.mac_;
    OPENSSL_cleanse(other.key_.data(), other.key_.size());
    OPENSSL_cleanse(other.mac_.data(), other.mac_.size());
  }
  return *this;
}

std::string CodeDigest::KeyHex() const { return ToHex(key_.data(), key_.size()); }
std::string CodeDigest::MacHex() const { return ToHex(mac_.data(), mac_.size()); }

Result<CodeDigest> CodeDigest::FromHex(std::string_view key_hex, std::string_view mac_hex) {
  CodeDigest digest;
  if (!twotp::FromHex(key_hex, digest.key_.data(), digest.key_.size()) ||
      !twotp::FromHex(mac_hex, digest.mac_.data(), digest.mac_.size())) {
    return Status::CodeDead("the shared pending code is malformed");
  }
  return digest;
}

bool CodeDigest::Matches(const Secret& typed) const {
  std::array<unsigned char, 32> mac{};
  const bool computed = Hmac(key_, typed.view(), mac);
  const bool same = computed && CRYPTO_memcmp(mac.data(), mac_.data(), mac.size()) == 0;
  OPENSSL_cleanse(mac.data(), mac.size());
  return same;
}

}  // namespace twotp
