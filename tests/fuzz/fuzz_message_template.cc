// Fuzzes the code message: policy.message rendered by RenderMessage with a
// context whose fields come from the input (user, host, service, rhost, and
// the {command} parsed from a sudo argv by ParseSudoArgv), SanitizeForMessage
// and SpokenCode; and the same template put through the config loader's own
// check of policy.message.
//
// Input: NUL-separated fields
//   TEMPLATE \0 USER \0 HOST \0 SERVICE \0 RHOST \0 TTL \0 SUDO-ARGV (the rest, NULs and all)
// Missing fields are empty; TTL is decimal seconds (30..3600, else 300).
//
// Invariants:
//  - sanitized fields are printable ASCII, at most their cap plus "...", and
//    untouched when already printable and short;
//  - a template without '{' renders to itself;
//  - the code appears once per {code} placeholder and nowhere else (fields
//    can't smuggle it in or out), and the output stays bounded;
//  - a template the config loader accepts always renders with the code in it;
//  - ParseSudoArgv's command is the words after sudo's options, joined by spaces.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "twilio/challenge.h"
#include "config/config.h"
#include "config/config_reader.h"
#include "config/config_schema.h"
#include "base/file_trust.h"
#include "fuzz_util.h"
#include "twilio/message_template.h"
#include "login/sudo_command.h"
#include "base/text.h"

using namespace twotp;

namespace {

// The code, fenced by control characters that no sanitized field can carry.
constexpr std::string_view kCode = "\x01" "424242" "\x02";
constexpr size_t kMaxField = 64;
constexpr size_t kMaxCommand = 80;

std::vector<std::string_view> SplitNul(std::string_view input, size_t fields) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < fields) {
    const size_t nul = input.find('\0');
    if (nul == std::string_view::npos) break;
    out.push_back(input.substr(0, nul));
    input.remove_prefix(nul + 1);
  }
  out.push_back(input);
  out.resize(fields);
  return out;
}

void CheckSanitized(std::string_view value, size_t max) {
  const std::string out = SanitizeForMessage(value, max);
  FUZZ_CHECK(fuzz::IsPrintableAscii(out), fuzz::Show(out));
  FUZZ_CHECK(out.size() <= max + 3, std::to_string(out.size()));
  if (value.size() <= max && fuzz::IsPrintableAscii(value)) FUZZ_CHECK(out == value, fuzz::Show(out));
}

// libconfig string literal for `text` (no NUL inside).
std::string ConfigString(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Whether LoadConfig would accept `tmpl` as policy.message (everything else
// in the file being valid).
bool ConfigAccepts(std::string_view tmpl) {
  const std::string text =
      "twilio = { account_sid = \"AC0123456789abcdef0123456789abcdef\"; auth_token_file = \"/nonexistent\";\n"
      "  verify_service_sid = \"VA0123456789abcdef0123456789abcdef\"; };\n"
      "policy = { message = " + ConfigString(tmpl) + "; };\n";
  Result<ConfigReader> reader = ConfigReader::Parse("fuzz.conf", text);
  FUZZ_CHECK(reader.ok(), reader.status().ToString());
  Config config;
  ReadConfigKeys(reader.value(), FileTrust(getuid()), &config);
  if (!reader->ok()) {
    // Anything but the message itself is this harness's fault.
    FUZZ_CHECK(reader->status().message().find("policy.message") != std::string::npos, reader->status().ToString());
    return false;
  }
  FUZZ_CHECK(config.policy.message == tmpl, fuzz::Show(config.policy.message));
  return true;
}

void CheckSudo(std::string_view argv) {
  const SudoInvocation sudo = ParseSudoArgv(argv);
  FUZZ_CHECK(sudo.command.find('\0') == std::string::npos, fuzz::Show(sudo.command));
  FUZZ_CHECK(sudo.command.size() <= argv.size(), fuzz::Show(sudo.command));
  // Without options the command is every word after "sudo".
  // /proc/self/cmdline ends every word with a NUL: a final NUL ends the last word.
  std::vector<std::string_view> words;
  for (std::string_view rest = argv; !rest.empty();) {
    const size_t nul = rest.find('\0');
    words.push_back(rest.substr(0, nul));
    if (nul == std::string_view::npos) break;
    rest.remove_prefix(nul + 1);
  }
  if (words.size() >= 2 && !words[1].starts_with('-')) {
    std::string joined;
    for (size_t i = 1; i < words.size(); ++i) {
      if (!joined.empty()) joined += ' ';
      joined += words[i];
    }
    FUZZ_CHECK(sudo.command == joined, fuzz::Show(sudo.command) + " vs " + fuzz::Show(joined));
  }
  if (sudo.reads_stdin) FUZZ_CHECK(argv.find('S') != std::string_view::npos || argv.find("--stdin") != std::string_view::npos,
                                   "stdin without -S");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string_view> f = SplitNul(input, 7);
  // The code's fence bytes are this harness's markers: keep them out of the template.
  std::string tmpl(f[0]);
  for (char& c : tmpl) {
    if (c == '\x01') c = ' ';
  }
  int ttl = 300;
  if (!f[5].empty() && f[5].size() <= 4 && f[5].find_first_not_of("0123456789") == std::string_view::npos) {
    ttl = std::stoi(std::string(f[5]));
    if (ttl < 30 || ttl > 3600) ttl = 300;
  }
  CheckSudo(f[6]);
  const SudoInvocation sudo = ParseSudoArgv(f[6]);
  const ChallengeContext context{std::string(f[1]), std::string(f[3]), std::string(f[2]), std::string(f[4]),
                                 sudo.command};
  for (size_t i = 1; i <= 4; ++i) CheckSanitized(f[i], kMaxField);
  CheckSanitized(sudo.command, kMaxCommand);

  const Secret code(kCode);
  const Secret out = RenderMessage(tmpl, code, context, ttl);
  const std::string_view text = out.view();
  if (tmpl.find('{') == std::string::npos) FUZZ_CHECK(text == tmpl, fuzz::Show(text));

  // The code appears only where the template says so.
  const size_t codes = fuzz::Count(text, "\x01");
  const size_t placeholders = fuzz::Count(tmpl, "{code}");
  FUZZ_CHECK(codes == fuzz::Count(text, kCode), fuzz::Show(text));
  FUZZ_CHECK(codes <= placeholders, fuzz::Show(text));
  // The template with its "{code}"s taken out (one pass: "{co{code}de}" leaves "{code}").
  std::string other_braces;
  for (size_t pos = 0; pos <= tmpl.size();) {
    const size_t at = tmpl.find("{code}", pos);
    other_braces.append(tmpl, pos, at == std::string::npos ? std::string::npos : at - pos);
    if (at == std::string::npos) break;
    pos = at + 6;
  }
  if (other_braces.find('{') == std::string::npos) FUZZ_CHECK(codes == placeholders, fuzz::Show(text));
  FUZZ_CHECK(text.size() <= tmpl.size() + fuzz::Count(tmpl, "{") * (kMaxCommand + 3 + kCode.size()),
             std::to_string(text.size()));

  // What the config accepts always carries the code.
  if (ConfigAccepts(tmpl)) FUZZ_CHECK(codes >= 1, fuzz::Show(tmpl) + " -> " + fuzz::Show(text));

  // A voice call reads the digits one by one.
  const Secret digits(f[5].substr(0, 10));
  const Secret spoken = SpokenCode(digits);
  std::string expected = "Your verification code is ";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0) expected += ", ";
    expected += digits.view()[i];
  }
  expected += ".";
  FUZZ_CHECK(spoken.view() == expected, fuzz::Show(spoken.view()));
  return 0;
}
