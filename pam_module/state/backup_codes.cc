#include "state/backup_codes.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>

#include "base/hex.h"

namespace twotp {

namespace {

// 31 symbols: no 0/o, 1/l/i, so a code read off paper is typed right.
constexpr std::string_view kAlphabet = "abcdefghjkmnpqrstuvwxyz23456789";
constexpr size_t kCodeChars = 8;
constexpr int kMaxCount = 20;

// scrypt N=2^14, r=8, p=1 (the RFC 7914 interactive setting) costs 16 MiB
// and, measured here (AMD EPYC, OpenSSL 3.0.22), ~28 ms of one core or
// ~400 M instructions (callgrind) per hash. Only a login that types
// something of a backup code's form pays it, once per stored code: ~0.3 s
// with 10 codes. An offline guesser with a stolen state file pays it per
// guess per code, against 31^8 (~2^39.6) codes.
constexpr uint64_t kScryptN = uint64_t{1} << 14;
constexpr uint64_t kScryptR = 8;
constexpr uint64_t kScryptP = 1;
constexpr uint64_t kScryptMaxMem = 64 * 1024 * 1024;  // above the 16 MiB needed; OpenSSL's default is 32 MiB
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

using Salt = std::array<unsigned char, kSaltBytes>;
using Hash = std::array<unsigned char, kHashBytes>;

// Fixed-size bytes that wipe themselves (salts are not secret, but the
// scrypt output of a typed code is as good as the code to an offline
// guesser).
template <size_t N>
struct WipedBytes {
  std::array<unsigned char, N> bytes{};
  ~WipedBytes() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

// Decodes exactly out.size() bytes of hex.
template <size_t N>
bool FromHex(const std::string& hex, std::array<unsigned char, N>& out) {
  return twotp::FromHex(hex, out.data(), N);
}

// What was typed, lower-cased with spaces and dashes dropped, when it then
// is exactly kCodeChars symbols of the alphabet; nullopt otherwise.
std::optional<Secret> Normalize(std::string_view typed) {
  Secret normal;
  for (char c : typed) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (kAlphabet.find(c) == std::string_view::npos || normal.size() == kCodeChars) return std::nullopt;
    normal.Append(std::string_view(&c, 1));
  }
  if (normal.size() != kCodeChars) return std::nullopt;
  return normal;
}

bool Scrypt(const Secret& normal, const Salt& salt, Hash& out) {
  return EVP_PBE_scrypt(normal.c_str(), normal.size(), salt.data(), salt.size(), kScryptN, kScryptR, kScryptP,
                        kScryptMaxMem, out.data(), out.size()) == 1;
}

// One code in its normal form (kCodeChars symbols), uniform over the
// alphabet: bytes of 248 (= 8 * 31) and above are thrown away so that
// `byte % 31` has no bias.
Result<Secret> RandomCode() {
  Secret code;
  WipedBytes<32> pool;
  while (code.size() < kCodeChars) {
    if (RAND_bytes(pool.bytes.data(), static_cast<int>(pool.bytes.size())) != 1) {
      return Status::Internal("the random number generator failed");
    }
    for (unsigned char byte : pool.bytes) {
      if (byte >= 248) continue;
      code.Append(kAlphabet.substr(byte % kAlphabet.size(), 1));
      if (code.size() == kCodeChars) break;
    }
  }
  return code;
}

Result<BackupCodeHash> HashCode(const Secret& normal) {
  Salt salt{};
  WipedBytes<kHashBytes> hash;
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1 || !Scrypt(normal, salt, hash.bytes)) {
    return Status::Internal("could not hash a backup code (RAND_bytes or scrypt failed)");
  }
  return BackupCodeHash{ToHex(salt.data(), salt.size()), ToHex(hash.bytes.data(), hash.bytes.size())};
}

// "abcdefgh" -> "abcd-efgh", for printing.
Secret Display(const Secret& normal) {
  Secret shown(normal.view().substr(0, kCodeChars / 2));
  shown.Append("-");
  shown.Append(normal.view().substr(kCodeChars / 2));
  return shown;
}

// Backup codes always hold a letter (GenerateBackupCodes sees to it), so a
// numeric code, of any length up to 10, is never taken for one.
bool HasLetter(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
}

}  // namespace

Result<NewBackupCodes> GenerateBackupCodes(int count) {
  if (count < 1 || count > kMaxCount) return Status::BadInput("the number of backup codes must be 1..20");
  NewBackupCodes out;
  std::vector<Secret> normals;
  while (normals.size() < static_cast<size_t>(count)) {
    Result<Secret> code = RandomCode();
    if (!code.ok()) return code.status();
    // All-digit codes (odds about 2 in 10^5) would read as numeric codes at
    // the prompt; two equal codes in one batch would let one paper code work
    // twice. Draw again in both cases.
    if (!HasLetter(code->view())) continue;
    bool seen = false;
    for (const Secret& other : normals) seen = seen || other.str() == code->str();
    if (!seen) normals.push_back(std::move(code.value()));
  }
  for (const Secret& normal : normals) {
    Result<BackupCodeHash> hash = HashCode(normal);
    if (!hash.ok()) return hash.status();
    out.hashes.push_back(std::move(hash.value()));
    out.codes.push_back(Display(normal));
  }
  return out;
}

bool LooksLikeBackupCode(std::string_view typed) { return HasLetter(typed) && Normalize(typed).has_value(); }

Result<std::optional<size_t>> FindBackupCode(const std::vector<BackupCodeHash>& hashes, const Secret& typed) {
  std::optional<Secret> normal = LooksLikeBackupCode(typed.view()) ? Normalize(typed.view()) : std::nullopt;
  if (!normal) return std::optional<size_t>();  // not a code's form: no scrypt spent on it
  // Decode everything first, so a damaged entry refuses before any work and
  // the loop below does the same work whichever hash matches.
  std::vector<Salt> salts(hashes.size());
  std::vector<Hash> stored(hashes.size());
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (!FromHex(hashes[i].salt_hex, salts[i]) || !FromHex(hashes[i].hash_hex, stored[i])) {
      return Status::StateError("backup code " + std::to_string(i + 1) + " in the state file is malformed");
    }
  }
  // Every stored hash is tried, with no early exit, so the time taken does
  // not say which code (if any) matched.
  std::optional<size_t> match;
  WipedBytes<kHashBytes> computed;
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (!Scrypt(*normal, salts[i], computed.bytes)) return Status::Internal("scrypt failed on a backup code");
    const bool same = CRYPTO_memcmp(computed.bytes.data(), stored[i].data(), kHashBytes) == 0;
    if (same && !match) match = i;
  }
  return match;
}

Result<bool> ConsumeBackupCode(std::vector<BackupCodeHash>& hashes, const Secret& typed) {
  Result<std::optional<size_t>> match = FindBackupCode(hashes, typed);
  if (!match.ok()) return match.status();
  if (!match.value()) return false;
  hashes.erase(hashes.begin() + static_cast<std::ptrdiff_t>(*match.value()));  // single use
  return true;
}

}  // namespace twotp
