// The fleet state's value forms and what they add up to (fleet_values.h).
#include "state/fleet_values.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <tuple>

#include "base/hex.h"
#include "base/text.h"

namespace twotp {

namespace {

constexpr size_t kNonceBytes = 8;
constexpr size_t kSaltHexLength = 32;  // backup_codes.cc: 16-byte salt
constexpr size_t kHashHexLength = 64;  // and 32-byte hash
constexpr size_t kGraceKeyHexLength = 32;
constexpr char kScryptTag[] = "scrypt";

bool IsHexOf(std::string_view text, size_t length) {
  return text.size() == length &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A host name as a failure value carries it: printable ASCII, no space.
bool IsValueWord(std::string_view word) {
  return !word.empty() && word.size() <= 64 &&
         std::all_of(word.begin(), word.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// The words of a value, split at single spaces ("a  b" has an empty word).
std::vector<std::string> Words(const std::string& value) {
  std::vector<std::string> words;
  size_t start = 0;
  for (;;) {
    const size_t space = value.find(' ', start);
    words.push_back(value.substr(start, space == std::string::npos ? std::string::npos : space - start));
    if (space == std::string::npos) return words;
    start = space + 1;
  }
}

// A failure value names no secret and is quoted; unlock deletes them.
Status MalformedFailure(const std::string& value) {
  return Status::StateError("twilioOtpFailure value \"" + SanitizeForMessage(value, 80) +
                            "\" is malformed; twilio-otp unlock deletes the user's failures");
}

// A backup code's hash is as good as the code to an offline guesser
// (backup_codes.cc): never quoted, not even in part.
Status MalformedBackupCode() {
  return Status::StateError("a twilioOtpBackupCode value is not \"scrypt SALT HASH\"; "
                            "twilio-otp backup-codes replaces the user's codes");
}

}  // namespace

std::string GeneralizedTime(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::snprintf(out, sizeof out, "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return out;
}

std::optional<std::time_t> ParseGeneralizedTime(std::string_view text) {
  if (text.size() != 15 || text.back() != 'Z' || !IsDigits(text.substr(0, 14), 14, 14)) return std::nullopt;
  auto number = [&](size_t at, size_t length) {
    int n = 0;
    for (size_t i = at; i < at + length; ++i) n = n * 10 + (text[i] - '0');
    return n;
  };
  std::tm tm{};
  tm.tm_year = number(0, 4) - 1900;
  tm.tm_mon = number(4, 2) - 1;
  tm.tm_mday = number(6, 2);
  tm.tm_hour = number(8, 2);
  tm.tm_min = number(10, 2);
  tm.tm_sec = number(12, 2);
  const std::time_t t = timegm(&tm);
  // timegm normalises (month 13, second 61): only a time that reads back
  // the same is one.
  if (t < 0 || GeneralizedTime(t) != text) return std::nullopt;
  return t;
}

Result<FleetFailure> NewFleetFailure(std::time_t at, const std::string& host) {
  if (!IsValueWord(host)) return Status::BadInput("the host name can't be stored in a failure value");
  std::array<unsigned char, kNonceBytes> nonce;
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    return Status::Internal("RAND_bytes failed for a failure value");
  }
  FleetFailure failure{at, ToHex(nonce.data(), nonce.size()), host, ""};
  failure.value = GeneralizedTime(at) + " " + failure.nonce + " " + host;
  return failure;
}

Result<FleetFailure> ParseFleetFailure(const std::string& value) {
  const std::vector<std::string> words = Words(value);
  if (words.size() != 3 || !IsHexOf(words[1], kNonceBytes * 2) || !IsValueWord(words[2])) {
    return MalformedFailure(value);
  }
  const std::optional<std::time_t> at = ParseGeneralizedTime(words[0]);
  if (!at) return MalformedFailure(value);
  return FleetFailure{*at, words[1], words[2], value};
}

Result<FleetLockout> AddUpFailures(const std::vector<std::string>& values, const LimitsConfig& limits,
                                   std::time_t now) {
  std::vector<FleetFailure> failures;
  for (const std::string& value : values) {
    Result<FleetFailure> failure = ParseFleetFailure(value);
    if (!failure.ok()) return failure.status();
    failures.push_back(std::move(failure.value()));
  }
  // Every host sorts the same way: by time, then by the random nonce.
  std::sort(failures.begin(), failures.end(), [](const FleetFailure& a, const FleetFailure& b) {
    return std::tie(a.at, a.nonce) < std::tie(b.at, b.nonce);
  });
  FleetLockout out;
  const size_t max_failures = static_cast<size_t>(std::max(limits.max_failures, 1));
  for (FleetFailure& failure : failures) {
    if (out.locked_until != 0 && failure.at >= out.locked_until) {
      // The lockout ended before this failure: its run is over.
      for (const FleetFailure& old : out.live) out.stale.push_back(old.value);
      out.live.clear();
      out.locked_until = 0;
    }
    out.live.push_back(std::move(failure));
    if (out.locked_until == 0 && out.live.size() == max_failures) {
      out.locked_until = out.live.back().at + limits.lockout;
    }
  }
  if (out.locked_until != 0 && now >= out.locked_until) {
    for (const FleetFailure& old : out.live) out.stale.push_back(old.value);
    out.live.clear();
    out.locked_until = 0;
  }
  return out;
}

std::optional<size_t> RunPosition(const FleetLockout& lockout, const std::string& value) {
  for (size_t i = 0; i < lockout.live.size(); ++i) {
    if (lockout.live[i].value == value) return i;
  }
  return std::nullopt;
}

std::string FormatFleetBackupCode(const BackupCodeHash& hash) {
  return std::string(kScryptTag) + " " + hash.salt_hex + " " + hash.hash_hex;
}

Result<BackupCodeHash> ParseFleetBackupCode(const std::string& value) {
  const std::vector<std::string> words = Words(value);
  if (words.size() != 3 || words[0] != kScryptTag || !IsHexOf(words[1], kSaltHexLength) ||
      !IsHexOf(words[2], kHashHexLength)) {
    return MalformedBackupCode();
  }
  return BackupCodeHash{words[1], words[2]};
}

std::string FleetGraceKey(const std::string& user, const std::string& grace_key) {
  return Sha256Hex(user + '\n' + grace_key, kGraceKeyHexLength);
}

std::string FormatFleetGrace(const std::string& fleet_key, std::time_t at) {
  return fleet_key + " " + GeneralizedTime(at);
}

std::optional<std::pair<std::string, std::time_t>> ParseFleetGrace(const std::string& value) {
  const std::vector<std::string> words = Words(value);
  if (words.size() != 2 || !IsHexOf(words[0], kGraceKeyHexLength)) return std::nullopt;
  const std::optional<std::time_t> at = ParseGeneralizedTime(words[1]);
  if (!at) return std::nullopt;
  return std::make_pair(words[0], *at);
}

Result<UserState> FleetUserState(const std::string& user, const std::vector<std::string>& failures,
                                 const std::vector<std::string>& backup_codes,
                                 const std::vector<std::string>& grace, const LimitsConfig& limits,
                                 std::time_t now, const std::optional<std::string>& grace_key) {
  UserState state;
  Result<FleetLockout> lockout = AddUpFailures(failures, limits, now);
  if (!lockout.ok()) return lockout.status();
  for (const FleetFailure& failure : lockout->live) state.failures.push_back(failure.at);
  state.locked_until = lockout->locked_until;
  for (const std::string& value : backup_codes) {
    Result<BackupCodeHash> code = ParseFleetBackupCode(value);
    if (!code.ok()) return code.status();
    state.backup_codes.push_back(std::move(code.value()));
  }
  if (grace_key) {
    const std::string key = FleetGraceKey(user, *grace_key);
    for (const std::string& value : grace) {
      const auto stamp = ParseFleetGrace(value);
      if (stamp && stamp->first == key) state.grace[*grace_key] = std::max(state.grace[*grace_key], stamp->second);
    }
  }
  return state;
}

}  // namespace twotp
