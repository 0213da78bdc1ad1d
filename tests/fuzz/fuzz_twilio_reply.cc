// Fuzzes the handling of Twilio's replies: ClassifyTwilioError and
// RetryMayHelp on any status and body, and each TwilioClient call driven over
// a scripted transport (tests/common/scripted_transport.h) and a fake clock,
// the way tests/unit/test_twilio_client.cc drives it.
//
// Input: a header line, then the reply body:
//   CALL STATUS [RETRY_AFTER|-] [BUDGET_MS]\nBODY
// CALL is start, check, cancel, message or call. If BODY contains a line
// "%%", what follows is a second reply "STATUS [RETRY_AFTER|-]\nBODY2" (the
// answer to a retried 429); without one the first reply is scripted twice.
//
// Invariants:
//  - a classified error is never ok, keeps the HTTP status, follows the
//    table's HTTP-class rows, and its message is one printable line that
//    quotes no phone number;
//  - a non-2xx reply becomes exactly ClassifyTwilioError's Status;
//  - at most one retry, only after a 429 that RetryMayHelp, within the backoff cap;
//  - a 2xx check reply is never kUnavailable (failmode=safe must not pass
//    on garbage), and approves only a JSON object with status "approved",
//    this verification's SID and no valid=false;
//  - created SIDs have the right prefix and 32 more alphanumerics;
//  - the call's TwiML holds the spoken text XML-escaped, nothing raw.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fake_clock.h"
#include "fuzz_util.h"
#include "scripted_transport.h"
#include "twilio/twilio_client.h"
#include "twilio/twilio_errors.h"
#include "twilio_test_ids.h"

using namespace twotp;
using std::chrono::milliseconds;
using namespace twotp_test;  // the test SIDs and number

namespace {

constexpr TwilioCall kCalls[] = {TwilioCall::kStartVerification, TwilioCall::kCheckVerification,
                                 TwilioCall::kCancelVerification, TwilioCall::kSendMessage, TwilioCall::kPlaceCall};
constexpr std::string_view kCallWords[] = {"start", "check", "cancel", "message", "call"};

struct Reply {
  long status = 0;
  std::string retry_after;
  std::string body;
};

struct Script {
  TwilioCall call = TwilioCall::kStartVerification;
  Reply first;
  std::optional<Reply> second;
  std::optional<milliseconds> budget;
};

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (pos < line.size()) {
    const size_t end = std::min(line.find(' ', pos), line.size());
    if (end > pos) words.push_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  return words;
}

std::optional<long> Number(std::string_view text, size_t max_digits) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  long value = 0;
  for (char c : text) {
    if (!fuzz::IsDigit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// "STATUS [RETRY_AFTER|-]" into `reply`; false when malformed.
bool ParseStatusWords(const std::vector<std::string_view>& words, size_t at, Reply* reply) {
  if (words.size() <= at) return false;
  std::optional<long> status = Number(words[at], 4);
  if (!status) return false;
  reply->status = *status;
  if (words.size() > at + 1 && words[at + 1] != "-") reply->retry_after = std::string(words[at + 1]);
  return true;
}

std::optional<Script> Parse(std::string_view input) {
  const size_t nl = input.find('\n');
  const std::string_view header = input.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  const std::vector<std::string_view> words = Words(header);
  Script script;
  if (words.empty()) return std::nullopt;
  size_t call = 0;
  while (call < std::size(kCallWords) && kCallWords[call] != words[0]) ++call;
  if (call == std::size(kCallWords)) return std::nullopt;
  script.call = kCalls[call];
  if (!ParseStatusWords(words, 1, &script.first)) return std::nullopt;
  if (words.size() > 3) {
    std::optional<long> budget = Number(words[3], 7);
    if (!budget) return std::nullopt;
    script.budget = milliseconds(*budget);
  }
  const size_t split = body.find("\n%%\n");
  if (split != std::string_view::npos) {
    std::string_view rest = body.substr(split + 4);
    body = body.substr(0, split);
    const size_t nl2 = rest.find('\n');
    Reply second;
    if (!ParseStatusWords(Words(rest.substr(0, nl2)), 0, &second)) return std::nullopt;
    if (nl2 != std::string_view::npos) second.body = std::string(rest.substr(nl2 + 1));
    script.second = std::move(second);
  }
  script.first.body = std::string(body);
  return script;
}

bool Is2xx(long status) { return status >= 200 && status <= 299; }

bool IsSidOf(const std::string& sid, std::initializer_list<std::string_view> prefixes) {
  if (sid.size() != 34) return false;
  for (char c : sid) {
    if (!(fuzz::IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  }
  for (std::string_view p : prefixes) {
    if (sid.starts_with(p)) return true;
  }
  return false;
}

// A run of at least 7 digits, possibly joined by up to two of " -.()": what
// twilio_errors.cc's Sanitize promises to replace with "[number]".
bool QuotesANumber(std::string_view text) {
  for (size_t start = 0; start < text.size(); ++start) {
    if (!fuzz::IsDigit(text[start])) continue;
    int digits = 0;
    size_t i = start;
    while (i < text.size()) {
      if (fuzz::IsDigit(text[i])) {
        ++digits;
        ++i;
        continue;
      }
      size_t gap = 0;
      while (gap < 2 && i + gap < text.size() && std::string_view(" -.()").find(text[i + gap]) != std::string_view::npos) {
        ++gap;
      }
      if (gap == 0 || i + gap >= text.size() || !fuzz::IsDigit(text[i + gap])) break;
      i += gap;
    }
    if (digits >= 7) return true;
  }
  return false;
}

void CheckClassified(TwilioCall call, long http, const std::string& body) {
  const Status s = ClassifyTwilioError(call, http, body);
  const std::string& m = s.message();
  FUZZ_CHECK(!s.ok(), "classified as ok");
  FUZZ_CHECK(s.http_status() == static_cast<int>(http), std::to_string(s.http_status()));
  FUZZ_CHECK(s.twilio_code() >= 0 && s.twilio_code() < 1000000, std::to_string(s.twilio_code()));
  FUZZ_CHECK(m.starts_with(std::string("Twilio ") + TwilioCallName(call) + ": "), fuzz::Show(m));
  FUZZ_CHECK(fuzz::IsPrintableAscii(m), fuzz::Show(m, 400));
  FUZZ_CHECK(m.size() <= 400, std::to_string(m.size()));
  FUZZ_CHECK(!QuotesANumber(m), fuzz::Show(m, 400));
  if (s.user_message()) FUZZ_CHECK(fuzz::IsPrintableAscii(*s.user_message()), fuzz::Show(*s.user_message()));
  const Fault f = s.fault();
  FUZZ_CHECK(f == Fault::kUnavailable || f == Fault::kConfig || f == Fault::kCodeDead || f == Fault::kRecipient ||
                 f == Fault::kRejected,
             s.ToString());
  if (http >= 500) FUZZ_CHECK(f == Fault::kUnavailable, s.ToString());
  if (http == 401) FUZZ_CHECK(f == Fault::kConfig, s.ToString());
  // Not a 4xx: Twilio did not refuse this request, so never blame the
  // number or the code (3xx is kConfig, a wrong URL; 1xx kUnavailable).
  if (http < 400) FUZZ_CHECK(f == Fault::kUnavailable || f == Fault::kConfig, s.ToString());
  // A start's 429 (rate limits) is a refused send whatever the body says:
  // the caller can cause it, so failmode=safe must never see an outage.
  const bool start_429 = http == 429 && call == TwilioCall::kStartVerification;
  if (start_429) FUZZ_CHECK(f == Fault::kRejected, s.ToString());
  if (RetryMayHelp(http, body)) {
    FUZZ_CHECK(http == 429, std::to_string(http));
    FUZZ_CHECK(f == Fault::kUnavailable || start_429, s.ToString());
  }
}

// The TwiML of a call: the fixed frame around the escaped text.
void CheckTwiml(const std::string& twiml, std::string_view spoken) {
  constexpr std::string_view kHead = "<Response><Say loop=\"2\">";
  constexpr std::string_view kTail = "</Say></Response>";
  FUZZ_CHECK(twiml.starts_with(kHead) && twiml.ends_with(kTail), fuzz::Show(twiml));
  const std::string_view inner = std::string_view(twiml).substr(kHead.size(), twiml.size() - kHead.size() - kTail.size());
  std::string unescaped;
  for (size_t i = 0; i < inner.size(); ++i) {
    const char c = inner[i];
    FUZZ_CHECK(c != '<' && c != '>' && c != '"' && c != '\'', "raw XML character in " + fuzz::Show(inner));
    FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20, "control character in " + fuzz::Show(inner));
    if (c != '&') {
      unescaped += c;
      continue;
    }
    bool known = false;
    for (auto [entity, plain] : {std::pair{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'},
                                 {"&apos;", '\''}}) {
      if (inner.substr(i).starts_with(entity)) {
        unescaped += plain;
        i += std::string_view(entity).size() - 1;
        known = true;
        break;
      }
    }
    FUZZ_CHECK(known, "bare '&' in " + fuzz::Show(inner));
  }
  std::string expected(spoken);
  for (char& c : expected) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  FUZZ_CHECK(unescaped == expected, fuzz::Show(unescaped) + " vs " + fuzz::Show(expected));
}

void CheckClient(const Script& script) {
  TwilioConfig twilio;
  twilio.account_sid = kAccount;
  twilio.verify_service_sid = kService;
  twilio.verify_url = "https://verify.example/";
  twilio.api_url = "https://api.example";
  twilio.from = "+15005550001";
  ScriptedTransport transport;
  if (script.budget) transport.budget = *script.budget;
  FakeClock clock;
  TwilioClient client(twilio, transport, clock);
  const Reply& second = script.second ? *script.second : script.first;
  transport.Reply(script.first.status, script.first.body, script.first.retry_after);
  transport.Reply(second.status, second.body, second.retry_after);

  // The spoken text of a call: the start of the body, whatever it holds.
  const std::string spoken = script.first.body.substr(0, 160);
  Status status;
  std::string sid;
  std::optional<CheckOutcome> outcome;
  switch (script.call) {
    default:  // the check-config reads (account_reader.h): never in kCalls
      break;
    case TwilioCall::kStartVerification: {
      Result<Verification> r = client.StartVerification(kTo, Channel::kSms);
      status = r.ok() ? Status::Ok() : r.status();
      if (r.ok()) {
        sid = r->sid;
        FUZZ_CHECK(!r->status.empty(), "started without a status");
        FUZZ_CHECK(r->channel == Channel::kSms, "channel changed");
      }
      break;
    }
    case TwilioCall::kCheckVerification: {
      Result<CheckOutcome> r = client.CheckVerification(kVerification, Secret("123456"));
      status = r.ok() ? Status::Ok() : r.status();
      if (r.ok()) outcome = r.value();
      break;
    }
    case TwilioCall::kCancelVerification:
      status = client.CancelVerification(kVerification);
      break;
    case TwilioCall::kSendMessage: {
      Result<std::string> r = client.SendMessage(kTo, Secret("424242 is your code"));
      status = r.ok() ? Status::Ok() : r.status();
      if (r.ok()) sid = r.value();
      break;
    }
    case TwilioCall::kPlaceCall: {
      Result<std::string> r = client.PlaceCall(kTo, Secret(spoken));
      status = r.ok() ? Status::Ok() : r.status();
      if (r.ok()) sid = r.value();
      break;
    }
  }

  // How many requests, and which reply the client acted on.
  const size_t sent = transport.requests.size();
  FUZZ_CHECK(sent == 1 || sent == 2, std::to_string(sent) + " requests");
  if (sent == 2) {
    FUZZ_CHECK(script.first.status == 429 && RetryMayHelp(429, script.first.body),
               "retried after " + std::to_string(script.first.status));
    FUZZ_CHECK(transport.requests[0].url == transport.requests[1].url, "retry to another URL");
    FUZZ_CHECK(clock.sleeps().size() == 1, std::to_string(clock.sleeps().size()) + " sleeps");
    FUZZ_CHECK(clock.sleeps()[0] >= milliseconds(0) && clock.sleeps()[0] <= milliseconds(2000),
               std::to_string(clock.sleeps()[0].count()) + " ms");
    FUZZ_CHECK(transport.spent == clock.sleeps()[0], "sleep not charged to the deadline");
  } else {
    FUZZ_CHECK(clock.sleeps().empty(), "slept without a retry");
  }
  if (script.call == TwilioCall::kPlaceCall) {
    FUZZ_CHECK(transport.requests[0].Has("Twiml"), "no Twiml");
    CheckTwiml(transport.requests[0]["Twiml"], spoken);
  }
  const Reply& acted = sent == 2 ? second : script.first;
  FUZZ_CHECK(fuzz::IsPrintableAscii(status.message()), fuzz::Show(status.message(), 400));

  if (!Is2xx(acted.status)) {
    const Status expected = ClassifyTwilioError(script.call, acted.status, acted.body);
    FUZZ_CHECK(!status.ok(), "ok on HTTP " + std::to_string(acted.status));
    FUZZ_CHECK(status.fault() == expected.fault() && status.message() == expected.message() &&
                   status.http_status() == expected.http_status() && status.twilio_code() == expected.twilio_code(),
               status.ToString() + " vs " + expected.ToString());
    return;
  }

  // A 2xx reply, read independently.
  const nlohmann::json json = nlohmann::json::parse(acted.body, nullptr, /*allow_exceptions=*/false);
  const auto field = [&](const char* key) -> std::string {
    if (!json.is_object()) return "";
    auto it = json.find(key);
    return it != json.end() && it->is_string() ? it->get<std::string>() : "";
  };
  switch (script.call) {
    default:  // the check-config reads (account_reader.h): never in kCalls
      break;
    case TwilioCall::kStartVerification:
      if (status.ok()) {
        FUZZ_CHECK(IsSidOf(sid, {"VE"}), fuzz::Show(sid));
        FUZZ_CHECK(sid == field("sid"), fuzz::Show(sid));
      } else {
        FUZZ_CHECK(status.Is(Fault::kUnavailable), status.ToString());
      }
      break;
    case TwilioCall::kCheckVerification:
      // The security property: nothing failmode=safe would wave through.
      FUZZ_CHECK(!status.Is(Fault::kUnavailable), status.ToString() + " on " + fuzz::Show(acted.body));
      if (status.ok()) {
        FUZZ_CHECK(field("sid") == kVerification, fuzz::Show(acted.body));
        if (*outcome == CheckOutcome::kApproved) {
          FUZZ_CHECK(field("status") == "approved", fuzz::Show(acted.body));
          auto valid = json.find("valid");
          FUZZ_CHECK(valid == json.end() || (valid->is_boolean() && valid->get<bool>()), fuzz::Show(acted.body));
        } else {
          FUZZ_CHECK(field("status") == "pending", fuzz::Show(acted.body));
        }
      } else {
        FUZZ_CHECK(status.Is(Fault::kRejected) || status.Is(Fault::kCodeDead), status.ToString());
      }
      break;
    case TwilioCall::kCancelVerification:
      FUZZ_CHECK(status.ok(), status.ToString());
      break;
    case TwilioCall::kSendMessage:
    case TwilioCall::kPlaceCall:
      if (status.ok()) {
        FUZZ_CHECK(script.call == TwilioCall::kSendMessage ? IsSidOf(sid, {"SM", "MM"}) : IsSidOf(sid, {"CA"}),
                   fuzz::Show(sid));
        FUZZ_CHECK(sid == field("sid"), fuzz::Show(sid));
      } else {
        FUZZ_CHECK(status.Is(Fault::kUnavailable), status.ToString());
      }
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::optional<Script> script = Parse(input);
  if (!script) {
    // Not in the script format: still a reply body for every call and a few statuses.
    const std::string body(input);
    for (TwilioCall call : kCalls) {
      for (long http : {0L, 200L, 301L, 400L, 401L, 404L, 429L, 500L, 503L}) CheckClassified(call, http, body);
    }
    return 0;
  }
  for (TwilioCall call : kCalls) CheckClassified(call, script->first.status, script->first.body);
  if (script->second) CheckClassified(script->call, script->second->status, script->second->body);
  CheckClient(*script);
  return 0;
}
