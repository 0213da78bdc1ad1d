// HttpUrl: what the HTTPS transport needs of a request URL
// ("https://verify.twilio.com/v2/...") or of a proxy URL
// ("http://proxy.example:3128"), parsed by http-parser's URL parser.
#ifndef PAM_TWILIO_OTP_HTTP_URL_H_
#define PAM_TWILIO_OTP_HTTP_URL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace twotp {

inline constexpr uint16_t kHttpsPort = 443;

struct HttpUrl {
  std::string host;    // a name, an IPv4 address, or an IPv6 address without its brackets
  uint16_t port = 0;   // never 0 once parsed
  std::string target;  // what the request line names: the path ("/" at least) and any "?query"

  // "host:port", with brackets around an IPv6 address (a CONNECT target).
  std::string HostPort() const;
  // The Host header: HostPort(), less ":port" when it is `default_port`.
  std::string Authority(uint16_t default_port) const;
};

// https://HOST[:PORT][/PATH][?QUERY]. kConfig when `url` is not https, is
// malformed, or carries a user name, a password or a #fragment. The message
// does not quote the URL (its path names account and service SIDs).
Result<HttpUrl> ParseHttpsUrl(std::string_view url);

// http://HOST:PORT, optionally with a trailing "/": a proxy that takes
// CONNECT. kConfig otherwise; the message says what the form must be.
Result<HttpUrl> ParseProxyUrl(std::string_view url);

// "https://verify.twilio.com/v2/..." -> "verify.twilio.com": error messages
// name the host (and port) only, never the path, the query or a user name.
// Works on anything, parseable or not.
std::string HostOf(std::string_view url);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_HTTP_URL_H_
