// The integration suite's authenticator app: `twilio-otp enroll --totp` run
// for real against the stand-in, and the codes an app would show, computed
// (RFC 6238, HMAC-SHA1, 30 s, 6 digits) from the seed the stand-in recorded
// for the factor.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

#include <sys/wait.h>

#include "harness.h"
#include "twilio/totp_factors.h"

namespace itest {

namespace {

std::string Base32Decode(const std::string& text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= '2' && c <= '7') {
      value = c - '2' + 26;
    } else {
      continue;  // '=' padding
    }
    buffer = (buffer << 5) | static_cast<unsigned>(value);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

// The factor_create records answered for `user`'s identity, oldest first.
std::vector<nlohmann::json> FactorsOf(const std::string& user) {
  const std::string identity = twotp::TotpIdentity(user);
  std::vector<nlohmann::json> factors;
  for (const auto& r : Records()) {
    if (Field(r, "kind") == "factor_create" && Field(r, "identity") == identity && Answered(r)) factors.push_back(r);
  }
  return factors;
}

}  // namespace

std::string AppCode(const std::string& user, int offset) {
  const std::vector<nlohmann::json> factors = FactorsOf(user);
  if (factors.empty()) throw std::runtime_error("no TOTP factor recorded for " + user);
  const std::string key = Base32Decode(Field(factors.back(), "secret"));
  const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  unsigned long long counter = static_cast<unsigned long long>(now / 30 + offset);
  unsigned char message[8];
  for (int i = 7; i >= 0; --i, counter >>= 8) message[i] = static_cast<unsigned char>(counter & 0xff);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), message, sizeof message, mac, &length);
  const int start = mac[length - 1] & 0x0f;
  const unsigned long binary = ((mac[start] & 0x7fUL) << 24) | (mac[start + 1] << 16) | (mac[start + 2] << 8) |
                               mac[start + 3];
  char code[8];
  std::snprintf(code, sizeof code, "%06lu", binary % 1000000);
  return code;
}

int EnrollAuthenticatorApp(const std::string& service, const std::string& user) {
  EnsureAccount(user);  // the CLI, like the module, enrols only accounts NSS knows
  const size_t before = FactorsOf(user).size();
  // Its terminal output (the QR code, the URI) goes to a file a failing test can show.
  const std::string command = TestEnv().cli + " --config " + ConfigPathOf(service) + " enroll " + user +
                              " --totp >" + TestEnv().dir + "/enroll-totp.out 2>&1";
  FILE* in = popen(command.c_str(), "w");
  if (in == nullptr) throw std::runtime_error("cannot run " + command);
  // Types the app's code once the new factor exists (the CLI waits at its
  // prompt); a bound that only catches a hang.
  for (int i = 0; i < 600 && FactorsOf(user).size() == before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (FactorsOf(user).size() > before) std::fprintf(in, "%s\n", AppCode(user).c_str());
  const int status = pclose(in);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace itest
