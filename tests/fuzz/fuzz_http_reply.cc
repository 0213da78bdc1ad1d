// Fuzzes the HTTPS transport's reading of a reply (ResponseParser over
// http-parser), the way https_transport.cc feeds it: pieces as they arrive
// from the socket, then maybe the peer's close.
//
// Input: two control bytes, then the bytes the server sent:
//   byte 0: where the reply is split in two pieces (a fraction of its length)
//   byte 1: bit 0 = the peer closes after the reply; bit 1 = a CONNECT reply
//           (head only); bits 2-7 = the body cap, in units of 16 bytes
//
// Invariants:
//  - the state is the same whether the reply comes whole, in two pieces, or
//    byte by byte, and so are the status, Retry-After, keep-alive and body
//    of a complete reply;
//  - the body never exceeds the cap, and a Content-Length over the cap is
//    refused (kTooLarge) rather than read;
//  - a complete reply has a 3-digit status that is not an interim 1xx;
//  - Retry-After is at most 64 bytes of printable ASCII, trimmed;
//  - a reply with bytes after it, or after the peer closed, is never reusable;
//  - a CONNECT reply has no body.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "twilio/http_message.h"

using namespace twotp;

namespace {

struct Outcome {
  ResponseParser::State state;
  long status;
  std::string retry_after;
  std::string body;
  bool keep_alive;
  std::optional<uint64_t> expected;

  bool operator==(const Outcome&) const = default;
};

std::string Describe(const Outcome& o) {
  return "state " + std::to_string(static_cast<int>(o.state)) + " status " + std::to_string(o.status) +
         " retry_after " + fuzz::Show(o.retry_after) + " body " + fuzz::Show(o.body) + " keep_alive " +
         std::to_string(o.keep_alive);
}

// Feeds `reply` cut at each of `cuts` (ascending), then closes if asked.
Outcome Run(std::string_view reply, const std::vector<size_t>& cuts, size_t cap, bool head_only, bool close) {
  ResponseParser parser(cap, head_only);
  size_t from = 0;
  for (size_t cut : cuts) {
    (void)parser.Feed(reply.substr(from, cut - from));
    from = cut;
  }
  (void)parser.Feed(reply.substr(from));
  if (close) (void)parser.Finish();
  Outcome outcome{parser.state(), parser.status(), parser.retry_after(), "", parser.keep_alive(),
                  parser.body_expected()};
  FUZZ_CHECK(parser.body_received() <= cap, std::to_string(parser.body_received()) + " > cap " + std::to_string(cap));
  // Only a whole reply is read by anyone: how much of a refused, garbled or
  // cut one was taken in before the end depends on how it arrived.
  std::string body = parser.TakeBody();
  if (outcome.state == ResponseParser::State::kComplete) {
    outcome.body = body;
  } else {
    FUZZ_CHECK(!outcome.keep_alive, Describe(outcome));
    outcome = Outcome{outcome.state, 0, "", "", false, std::nullopt};
  }
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string_view reply(reinterpret_cast<const char*>(data) + 2, size - 2);
  const bool close = (data[1] & 1) != 0;
  const bool head_only = (data[1] & 2) != 0;
  const size_t cap = static_cast<size_t>(data[1] >> 2) * 16;

  const Outcome whole = Run(reply, {}, cap, head_only, close);
  const size_t split = reply.size() * data[0] / 256;
  const Outcome halves = Run(reply, {split}, cap, head_only, close);
  FUZZ_CHECK(halves == whole, "split at " + std::to_string(split) + ": " + Describe(halves) + " vs " + Describe(whole));
  if (reply.size() <= 512) {
    std::vector<size_t> every;
    for (size_t i = 1; i < reply.size(); ++i) every.push_back(i);
    const Outcome bytewise = Run(reply, every, cap, head_only, close);
    FUZZ_CHECK(bytewise == whole, "byte by byte: " + Describe(bytewise) + " vs " + Describe(whole));
  }

  if (whole.state == ResponseParser::State::kComplete) {
    FUZZ_CHECK(whole.status >= 100 && whole.status <= 999, Describe(whole));
    FUZZ_CHECK(whole.status / 100 != 1 || whole.status == 101 || head_only, Describe(whole));
    if (head_only) FUZZ_CHECK(whole.body.empty(), Describe(whole));
    if (whole.expected) FUZZ_CHECK(*whole.expected <= cap, Describe(whole));
    if (close) FUZZ_CHECK(!whole.keep_alive, Describe(whole));
  }
  FUZZ_CHECK(whole.retry_after.size() <= 64, fuzz::Show(whole.retry_after));
  FUZZ_CHECK(fuzz::IsPrintableAscii(whole.retry_after), fuzz::Show(whole.retry_after));
  if (!whole.retry_after.empty()) {
    FUZZ_CHECK(whole.retry_after.front() != ' ' && whole.retry_after.back() != ' ', fuzz::Show(whole.retry_after));
  }
  return 0;
}
