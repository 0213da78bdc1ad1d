#include "twilio/http_message.h"

#include <openssl/evp.h>

#include "base/text.h"

namespace twotp {

namespace {

// Longest header name we need to recognise, and the longest Retry-After
// worth reading (Twilio sends seconds; an HTTP-date is 29 bytes).
constexpr size_t kMaxFieldName = 32;
constexpr size_t kMaxRetryAfter = 64;

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

void AppendEscaped(Secret& out, std::string_view text) {
  constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (IsUnreserved(byte)) {
      out.Append(std::string_view(&c, 1));
    } else {
      const char escaped[3] = {'%', kHex[byte >> 4], kHex[byte & 0x0f]};
      out.Append(std::string_view(escaped, 3));
    }
  }
}

ResponseParser* Self(http_parser* parser) { return static_cast<ResponseParser*>(parser->data); }

}  // namespace

Secret EncodeForm(const Form& form) {
  Secret out;
  for (const FormField& field : form) {
    if (!out.empty()) out.Append("&");
    AppendEscaped(out, field.name);
    out.Append("=");
    AppendEscaped(out, field.value.view());
  }
  return out;
}

Secret BasicAuthorization(std::string_view username, const Secret& password) {
  Secret plain(username);
  plain.Append(":");
  plain.Append(password.view());
  // EVP_EncodeBlock writes 4 bytes for every 3 (rounded up) and a NUL.
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                     reinterpret_cast<const unsigned char*>(plain.c_str()),
                                     static_cast<int>(plain.size()));
  Secret header("Basic ");
  header.Append(std::string_view(encoded).substr(0, length > 0 ? static_cast<size_t>(length) : 0));
  Wipe(encoded);
  return header;
}

namespace {

// The request line and the headers every request carries, up to the last
// header's line end.
Secret RequestHead(std::string_view method, const HttpUrl& url, const Secret& authorization,
                   std::string_view user_agent) {
  Secret request;
  request.Append(method);
  request.Append(" ");
  request.Append(url.target);
  request.Append(" HTTP/1.1\r\nHost: ");
  request.Append(url.Authority(kHttpsPort));
  request.Append("\r\nAuthorization: ");
  request.Append(authorization.view());
  request.Append("\r\nUser-Agent: ");
  request.Append(user_agent);
  request.Append("\r\nAccept: application/json\r\nConnection: keep-alive\r\n");
  return request;
}

}  // namespace

Secret FormatPost(const HttpUrl& url, const Secret& authorization, std::string_view user_agent,
                  const Secret& body) {
  Secret request = RequestHead("POST", url, authorization, user_agent);
  request.Append("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ");
  request.Append(std::to_string(body.size()));
  request.Append("\r\n\r\n");
  request.Append(body.view());
  return request;
}

Secret FormatBodiless(std::string_view method, const HttpUrl& url, const Secret& authorization,
                      std::string_view user_agent) {
  Secret request = RequestHead(method, url, authorization, user_agent);
  request.Append("\r\n");
  return request;
}

std::string FormatConnect(const HttpUrl& target, std::string_view user_agent) {
  const std::string authority = target.HostPort();
  return "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\nUser-Agent: " + std::string(user_agent) +
         "\r\n\r\n";
}

ResponseParser::ResponseParser(size_t max_body, bool head_only) : max_body_(max_body), head_only_(head_only) {
  http_parser_init(&parser_, HTTP_RESPONSE);
  parser_.data = this;
  body_.reserve(max_body_);
  field_.reserve(kMaxFieldName);
  retry_after_.reserve(kMaxRetryAfter);
}

ResponseParser::~ResponseParser() { Wipe(body_); }

std::string ResponseParser::TakeBody() { return std::move(body_); }

const char* ResponseParser::error() const {
  if (bad_status_) return "the status code is not 3 digits";
  return http_errno_description(static_cast<http_errno>(parser_.http_errno));
}

ResponseParser::State ResponseParser::Feed(std::string_view bytes) {
  if (state_ != State::kIncomplete) {
    if (!bytes.empty()) extra_bytes_ = true;
    return state_;
  }
  bytes_received_ += bytes.size();
  // An empty piece would tell http-parser that the peer closed: only Finish does that.
  if (bytes.empty()) return state_;
  const size_t parsed = http_parser_execute(&parser_, &Settings(), bytes.data(), bytes.size());
  return Settle(parsed, bytes.size());
}

ResponseParser::State ResponseParser::Finish() {
  if (state_ == State::kIncomplete) {
    (void)http_parser_execute(&parser_, &Settings(), nullptr, 0);
    if (complete_) state_ = State::kComplete;  // otherwise it stays kIncomplete: cut short
  }
  keep_alive_ = false;  // the connection is gone
  return state_;
}

const http_parser_settings& ResponseParser::Settings() {
  static const http_parser_settings settings = [] {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_message_begin = &ResponseParser::OnMessageBegin;
    s.on_header_field = &ResponseParser::OnHeaderField;
    s.on_header_value = &ResponseParser::OnHeaderValue;
    s.on_headers_complete = &ResponseParser::OnHeadersComplete;
    s.on_body = &ResponseParser::OnBody;
    s.on_message_complete = &ResponseParser::OnMessageComplete;
    return s;
  }();
  return settings;
}

ResponseParser::State ResponseParser::Settle(size_t parsed, size_t fed) {
  if (complete_) {
    extra_bytes_ = parsed < fed;
    state_ = State::kComplete;
  } else if (too_large_) {
    state_ = State::kTooLarge;
  } else if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK) {
    state_ = State::kMalformed;
  }
  return state_;
}

int ResponseParser::OnMessageBegin(http_parser* parser) noexcept {
  ResponseParser* self = Self(parser);
  Wipe(self->body_);
  self->retry_after_.clear();
  self->field_.clear();
  self->field_overflow_ = false;
  self->in_value_ = false;
  self->in_retry_after_ = false;
  self->in_trailer_ = false;
  self->body_expected_.reset();
  return 0;
}

int ResponseParser::OnHeaderField(http_parser* parser, const char* at, size_t length) noexcept {
  ResponseParser* self = Self(parser);
  if (self->in_trailer_) return 0;  // a chunked body's trailer: not the reply's header
  if (self->in_value_) {  // a new header starts
    self->field_.clear();
    self->field_overflow_ = false;
    self->in_value_ = false;
  }
  if (self->field_.size() + length > kMaxFieldName) {
    self->field_overflow_ = true;
  } else {
    self->field_.append(at, length);
  }
  return 0;
}

int ResponseParser::OnHeaderValue(http_parser* parser, const char* at, size_t length) noexcept {
  ResponseParser* self = Self(parser);
  if (self->in_trailer_) return 0;
  if (!self->in_value_) {
    self->in_value_ = true;
    self->in_retry_after_ = !self->field_overflow_ && EqualsIgnoringCase(self->field_, "retry-after");
    if (self->in_retry_after_) self->retry_after_.clear();
  }
  if (!self->in_retry_after_) return 0;
  if (self->retry_after_.size() + length > kMaxRetryAfter) {
    self->retry_after_.clear();  // not a value we would act on: as if absent
    self->in_retry_after_ = false;
  } else {
    self->retry_after_.append(at, length);
  }
  return 0;
}

int ResponseParser::OnHeadersComplete(http_parser* parser) noexcept {
  ResponseParser* self = Self(parser);
  self->in_trailer_ = true;
  const std::string_view trimmed = Trim(self->retry_after_);
  self->retry_after_.erase(0, static_cast<size_t>(trimmed.data() - self->retry_after_.data()));
  self->retry_after_.resize(trimmed.size());  // shrinking: in place
  // Debian builds http-parser without HTTP_PARSER_STRICT, so a value may
  // hold any byte: one that is not printable ASCII is no Retry-After at all.
  for (char c : self->retry_after_) {
    if (c < 0x20 || c > 0x7e) self->retry_after_.clear();
  }
  self->status_ = parser->status_code;
  // http-parser takes 1 to 3 digits; HTTP's status code is always 3.
  if (self->status_ < 100) {
    self->bad_status_ = true;
    return -1;
  }
  if (self->head_only_) return 2;  // no body; the rest of the stream is not HTTP
  if ((parser->flags & F_CONTENTLENGTH) != 0) {
    self->body_expected_ = parser->content_length;
    // Known too large before a byte of it is read: no need to wait for it.
    if (parser->content_length > self->max_body_) {
      self->too_large_ = true;
      return -1;
    }
  }
  return 0;
}

int ResponseParser::OnBody(http_parser* parser, const char* at, size_t length) noexcept {
  ResponseParser* self = Self(parser);
  if (self->body_.size() + length > self->max_body_) {
    self->too_large_ = true;
    return -1;
  }
  self->body_.append(at, length);
  return 0;
}

int ResponseParser::OnMessageComplete(http_parser* parser) noexcept {
  ResponseParser* self = Self(parser);
  // An interim reply (100 Continue, 103 Early Hints): the real one follows.
  if (parser->status_code / 100 == 1 && parser->status_code != 101 && !self->head_only_) return 0;
  self->complete_ = true;
  // After a 101 the connection speaks another protocol.
  self->keep_alive_ = http_should_keep_alive(parser) != 0 && parser->status_code != 101;
  // Stop right after this response, so that anything after it is noticed.
  http_parser_pause(parser, 1);
  return 0;
}

}  // namespace twotp
