// The HTTP/1.1 messages of the HTTPS transport, without any I/O: the bytes
// of a form POST and of a proxy CONNECT, and the parsing of a reply with
// Debian's http-parser (status, Retry-After, a body capped in size, framed
// by Content-Length or chunked, and whether the connection may be reused).
#ifndef PAM_TWILIO_OTP_HTTP_MESSAGE_H_
#define PAM_TWILIO_OTP_HTTP_MESSAGE_H_

#include <http_parser.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "twilio/http_transport.h"
#include "base/http_url.h"
#include "base/secret.h"

namespace twotp {

// Form-encodes fields ("To=%2B1555...&Channel=sms"): every byte but the
// unreserved ones (A-Z a-z 0-9 - . _ ~) becomes %XX. A Secret, since bodies
// carry codes.
Secret EncodeForm(const Form& form);

// The Authorization header's value for HTTP Basic (RFC 7617):
// "Basic " + base64("username:password").
Secret BasicAuthorization(std::string_view username, const Secret& password);

// "POST <target> HTTP/1.1" with Host, Authorization, User-Agent, Accept
// (JSON), Content-Type (form), Content-Length and Connection: keep-alive,
// then `body`. A Secret: it holds the credentials and the body.
Secret FormatPost(const HttpUrl& url, const Secret& authorization, std::string_view user_agent,
                  const Secret& body);

// "<method> <target> HTTP/1.1" with the same headers but no body: GET
// (check-config --online's reads, Verify's factor list) and DELETE (a TOTP
// factor).
Secret FormatBodiless(std::string_view method, const HttpUrl& url, const Secret& authorization,
                      std::string_view user_agent);

// "CONNECT host:port HTTP/1.1" with Host and User-Agent: asks an HTTP proxy
// for a tunnel to `target`. Nothing secret goes to the proxy.
std::string FormatConnect(const HttpUrl& target, std::string_view user_agent);

// Reads one HTTP response from bytes fed in any pieces. Interim 1xx replies
// are skipped. Not copyable or movable (http-parser keeps a pointer to it).
class ResponseParser {
 public:
  enum class State {
    kIncomplete,  // more bytes needed (or, after Finish, the peer closed too early)
    kComplete,    // a whole response has been read
    kTooLarge,    // the body is (or says it will be) over max_body bytes
    kMalformed,   // not HTTP/1.x: error() says why
  };

  // A response whose body may hold at most `max_body` bytes; the body's
  // buffer is reserved up front so it never reallocates (and never leaves a
  // copy of an echoed code behind). With `head_only` (the reply to a
  // CONNECT) the response ends with its header: what follows is the tunnel's.
  ResponseParser(size_t max_body, bool head_only);
  ~ResponseParser();  // wipes a body that was not taken
  ResponseParser(const ResponseParser&) = delete;
  ResponseParser& operator=(const ResponseParser&) = delete;

  // Parses more of the reply. Once the state is no longer kIncomplete it
  // stays; bytes fed after a complete response make it not reusable.
  State Feed(std::string_view bytes);
  // The peer closed the connection: completes a body that runs until the
  // close; a reply cut short stays kIncomplete.
  State Finish();

  State state() const { return state_; }
  long status() const { return status_; }
  // The Retry-After header, trimmed; "" when absent or over 64 bytes.
  const std::string& retry_after() const { return retry_after_; }
  // The body read so far; the caller wipes it once done.
  std::string TakeBody();
  // Complete, the server allows another request on this connection
  // (http_should_keep_alive), and nothing arrived after the response.
  bool keep_alive() const { return state_ == State::kComplete && keep_alive_ && !extra_bytes_; }
  size_t bytes_received() const { return bytes_received_; }  // all bytes fed
  size_t body_received() const { return body_.size(); }
  size_t max_body() const { return max_body_; }
  // Content-Length, once the header has been read and when it had one.
  std::optional<uint64_t> body_expected() const { return body_expected_; }
  // kMalformed: http-parser's description of what was wrong.
  const char* error() const;

 private:
  static const http_parser_settings& Settings();
  // Called from C (http-parser): no exception may unwind through it, so
  // these never allocate; every buffer they fill is reserved by the
  // constructor and capped below its capacity.
  static int OnMessageBegin(http_parser* parser) noexcept;
  static int OnHeaderField(http_parser* parser, const char* at, size_t length) noexcept;
  static int OnHeaderValue(http_parser* parser, const char* at, size_t length) noexcept;
  static int OnHeadersComplete(http_parser* parser) noexcept;
  static int OnBody(http_parser* parser, const char* at, size_t length) noexcept;
  static int OnMessageComplete(http_parser* parser) noexcept;
  // The state after http_parser_execute parsed `parsed` of `fed` bytes.
  State Settle(size_t parsed, size_t fed);

  http_parser parser_;
  const size_t max_body_;
  const bool head_only_;
  State state_ = State::kIncomplete;
  long status_ = 0;
  std::string body_;
  std::string retry_after_;
  std::string field_;          // the header name being read, lower-cased, capped
  bool field_overflow_ = false;
  bool in_value_ = false;      // the last callback was a header value
  bool in_retry_after_ = false;
  bool in_trailer_ = false;    // the header is done: header callbacks now are a trailer's
  bool complete_ = false;
  bool too_large_ = false;
  bool bad_status_ = false;
  bool keep_alive_ = false;
  bool extra_bytes_ = false;
  size_t bytes_received_ = 0;
  std::optional<uint64_t> body_expected_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_HTTP_MESSAGE_H_
