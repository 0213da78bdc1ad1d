// Fuzzes what a person types at the code prompt, through the pieces the
// login (login.cc, LoginFlow::AskUntilDone) uses to normalise and recognise
// it: Trim and Lower, IsDigits, ParseChannel (the "resend" /
// channel commands), LooksLikeBackupCode and ConsumeBackupCode (backup
// codes), and the two challenges' Check (verify and messaging mode).
//
// The classification itself is inline in AskUntilDone (and the backup-code
// normaliser, Normalize, is file-static in backup_codes.cc), so this target
// re-states it from those public pieces; see tests/fuzz/README.md.
//
// Invariants:
//  - Trim leaves no surrounding white space, only removes, and is idempotent;
//  - LooksLikeBackupCode matches its documented form (8 symbols of the
//    alphabet, case, spaces, tabs and dashes forgiven, at least one letter),
//    and never accepts what could be a numeric code;
//  - ConsumeBackupCode spends no work on input without a code's form, and
//    refuses a damaged stored hash before comparing anything;
//  - the messaging challenge approves exactly the code, nothing else;
//  - the verify challenge sends Twilio exactly the trimmed input, and only
//    when it is 4 to 10 digits; it approves only what Twilio approves.
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "state/backup_codes.h"
#include "config/config.h"
#include "fake_clock.h"
#include "fuzz_util.h"
#include "base/text.h"
#include "twilio/messaging_challenge.h"
#include "twilio/otp_code.h"
#include "twilio/verify_challenge.h"

using namespace twotp;

namespace {

constexpr char kCode[] = "123456";
constexpr char kVerification[] = "VE0123456789abcdef0123456789abcdef";

// Twilio Verify as far as a check goes: approves kCode, says "pending" to
// anything else; a cancel is answered 200.
class VerifyStandIn : public HttpTransport {
 public:
  std::vector<std::string> codes;  // every Code sent
  // A login never reads a resource (only check-config --online does).
  Result<HttpResponse> Get(const std::string& /*url*/) override { return Status::Internal("a login never GETs"); }
  Result<HttpResponse> PostForm(const std::string& url, const Form& form) override {
    if (!url.ends_with("/VerificationCheck")) return HttpResponse{200, "{}", ""};
    std::string code;
    for (const FormField& field : form) {
      if (field.name == "Code") code = field.value.str();
    }
    codes.push_back(code);
    const bool right = code == kCode;
    return HttpResponse{200,
                        std::string(R"({"sid":")") + kVerification + R"(","status":")" +
                            (right ? "approved" : "pending") + R"(","valid":)" + (right ? "true" : "false") + "}",
                        ""};
  }
};

// The documented form of a backup code.
bool RefLooksLikeBackupCode(std::string_view typed) {
  constexpr std::string_view kAlphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  size_t symbols = 0;
  bool letter = false;
  for (char c : typed) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (kAlphabet.find(lower) == std::string_view::npos) return false;
    letter = letter || (lower >= 'a' && lower <= 'z');
    ++symbols;
  }
  return symbols == 8 && letter;
}

// The challenge takes over `pending` and approves `secret` exactly when it
// is the right code.
void AdoptThenCheck(Challenge& challenge, const PendingCode& pending, const Secret& secret, bool right,
                    std::string_view typed) {
  FUZZ_CHECK(challenge.Adopt(pending).ok(), "adopt");
  Result<CheckOutcome> checked = challenge.Check(secret);
  FUZZ_CHECK(checked.ok(), checked.status().ToString());
  FUZZ_CHECK((checked.value() == CheckOutcome::kApproved) == right, fuzz::Show(typed));
}

void CheckTrim(std::string_view raw, std::string_view t) {
  const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  FUZZ_CHECK(raw.find(t) != std::string_view::npos, fuzz::Show(t));
  FUZZ_CHECK(t.empty() || (!space(t.front()) && !space(t.back())), fuzz::Show(t));
  FUZZ_CHECK(Trim(t) == t, fuzz::Show(t));
  // Only white space was removed.
  if (!t.empty()) {
    const size_t at = static_cast<size_t>(t.data() - raw.data());
    for (size_t i = 0; i < at; ++i) FUZZ_CHECK(space(raw[i]), fuzz::Show(raw));
    for (size_t i = at + t.size(); i < raw.size(); ++i) FUZZ_CHECK(space(raw[i]), fuzz::Show(raw));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  // What PAM hands over is a C string: nothing after a NUL arrives.
  raw = raw.substr(0, raw.find('\0'));

  const std::string_view typed = Trim(raw);
  CheckTrim(raw, typed);

  // AskUntilDone's order: a word of at most 10 characters may be a command;
  // then a backup code's form; else a code for the challenge.
  const bool is_word = !typed.empty() && !IsDigits(typed, 1, typed.size());
  const std::string lower = Lower(std::string(typed));
  FUZZ_CHECK(lower.size() == typed.size(), fuzz::Show(lower));
  const bool command = is_word && typed.size() <= 10 && (lower == "resend" || ParseChannel(lower).has_value());
  if (command) {
    FUZZ_CHECK(lower == "resend" || lower == "sms" || lower == "call" || lower == "whatsapp" || lower == "email" ||
                   lower == "totp",
               fuzz::Show(lower));
  }

  const bool backup = LooksLikeBackupCode(typed);
  FUZZ_CHECK(backup == RefLooksLikeBackupCode(typed), fuzz::Show(typed) + (backup ? " taken" : " refused"));
  FUZZ_CHECK(!(backup && IsDigits(typed, 1, typed.size())), "digits taken for a backup code: " + fuzz::Show(typed));
  {
    // Nothing stored: never a match, never an error.
    std::vector<BackupCodeHash> none;
    Result<bool> used = ConsumeBackupCode(none, Secret(typed));
    FUZZ_CHECK(used.ok() && !used.value(), fuzz::Show(typed));
    // A damaged stored entry: a code's form finds it before any scrypt; other input never looks.
    std::vector<BackupCodeHash> damaged = {{"00", "zz"}};
    Result<bool> refused = ConsumeBackupCode(damaged, Secret(typed));
    if (backup) {
      FUZZ_CHECK(!refused.ok() && refused.status().Is(Fault::kState), fuzz::Show(typed));
      FUZZ_CHECK(damaged.size() == 1, "a damaged entry was removed");
    } else {
      FUZZ_CHECK(refused.ok() && !refused.value(), fuzz::Show(typed));
    }
  }

  const Secret secret(typed);
  const bool right = typed == kCode;
  FakeClock clock;
  TwilioConfig twilio;
  twilio.account_sid = "AC0123456789abcdef0123456789abcdef";
  twilio.verify_service_sid = "VA0123456789abcdef0123456789abcdef";
  VerifyStandIn transport;
  TwilioClient client(twilio, transport, clock);

  {
    // Messaging mode: our own code, kept as an HMAC, taken over as a parallel login would.
    PolicyConfig policy;
    policy.code_length = 6;
    MessagingChallenge challenge(policy, client, clock);
    Result<CodeDigest> digest = CodeDigest::Of(Secret(kCode));
    FUZZ_CHECK(digest.ok(), digest.status().ToString());
    PendingCode pending;
    pending.mac_key_hex = digest->KeyHex();
    pending.mac_hex = digest->MacHex();
    pending.channel = "sms";
    pending.sent_at = clock.WallNow();
    AdoptThenCheck(challenge, pending, secret, right, typed);
    FUZZ_CHECK(transport.codes.empty(), "messaging mode asked Twilio");
  }
  {
    // Verify mode: Twilio checks; only 4..10 digits are worth one of its checks.
    VerifyChallenge challenge(client, clock, std::chrono::seconds(300));
    PendingCode pending;
    pending.verification_sid = kVerification;
    pending.channel = "sms";
    pending.sent_at = clock.WallNow();
    AdoptThenCheck(challenge, pending, secret, right, typed);
    if (IsDigits(typed, 4, 10)) {
      FUZZ_CHECK(transport.codes.size() == 1 && transport.codes[0] == typed, fuzz::Show(typed));
    } else {
      FUZZ_CHECK(transport.codes.empty(), "sent " + fuzz::Show(typed) + " to Twilio");
    }
    // A command or a backup code is never sent to Twilio as a code.
    if (command || backup) FUZZ_CHECK(transport.codes.empty(), fuzz::Show(typed));
  }
  return 0;
}
