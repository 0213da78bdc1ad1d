#include "base/http_url.h"

#include <http_parser.h>

#include <optional>

namespace twotp {

namespace {

std::string_view Field(std::string_view url, const http_parser_url& parsed, http_parser_url_fields field) {
  if ((parsed.field_set & (1u << field)) == 0) return {};
  return url.substr(parsed.field_data[field].off, parsed.field_data[field].len);
}

bool Has(const http_parser_url& parsed, http_parser_url_fields field) {
  return (parsed.field_set & (1u << field)) != 0;
}

// The URL split by http-parser, or nothing when it does not parse. Its
// parser refuses control characters and spaces, so nothing that could end
// the request line or start a header gets through.
std::optional<http_parser_url> Split(std::string_view url) {
  http_parser_url parsed;
  http_parser_url_init(&parsed);
  if (url.empty() || http_parser_parse_url(url.data(), url.size(), /*is_connect=*/0, &parsed) != 0) {
    return std::nullopt;
  }
  if (!Has(parsed, UF_SCHEMA) || !Has(parsed, UF_HOST) || Field(url, parsed, UF_HOST).empty()) return std::nullopt;
  return parsed;
}

}  // namespace

std::string HttpUrl::HostPort() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string HttpUrl::Authority(uint16_t default_port) const {
  std::string authority = HostPort();
  if (port == default_port) authority.resize(authority.rfind(':'));
  return authority;
}

Result<HttpUrl> ParseHttpsUrl(std::string_view url) {
  std::optional<http_parser_url> parsed = Split(url);
  if (!parsed) return Status::ConfigError("malformed URL");
  if (Field(url, *parsed, UF_SCHEMA) != "https") {
    return Status::ConfigError("not an https:// URL; TLS is never optional");
  }
  if (Has(*parsed, UF_USERINFO)) return Status::ConfigError("a user name or password in the URL is not allowed");
  if (Has(*parsed, UF_FRAGMENT)) return Status::ConfigError("a #fragment in the URL is not allowed");
  if (Has(*parsed, UF_PORT) && parsed->port == 0) return Status::ConfigError("port 0 in the URL");
  HttpUrl out;
  out.host = std::string(Field(url, *parsed, UF_HOST));
  out.port = Has(*parsed, UF_PORT) ? parsed->port : kHttpsPort;
  out.target = Has(*parsed, UF_PATH) ? std::string(Field(url, *parsed, UF_PATH)) : "/";
  if (Has(*parsed, UF_QUERY)) out.target += "?" + std::string(Field(url, *parsed, UF_QUERY));
  return out;
}

Result<HttpUrl> ParseProxyUrl(std::string_view url) {
  constexpr char kForm[] = "must be http://HOST:PORT (a proxy that takes CONNECT), with nothing after the port";
  std::optional<http_parser_url> parsed = Split(url);
  if (!parsed || Field(url, *parsed, UF_SCHEMA) != "http" || !Has(*parsed, UF_PORT) || parsed->port == 0 ||
      Has(*parsed, UF_USERINFO) || Has(*parsed, UF_QUERY) || Has(*parsed, UF_FRAGMENT) ||
      (Has(*parsed, UF_PATH) && Field(url, *parsed, UF_PATH) != "/")) {
    return Status::ConfigError(kForm);
  }
  HttpUrl out;
  out.host = std::string(Field(url, *parsed, UF_HOST));
  out.port = parsed->port;
  return out;
}

std::string HostOf(std::string_view url) {
  std::string_view rest = url;
  if (size_t scheme = rest.find("://"); scheme != std::string_view::npos) rest.remove_prefix(scheme + 3);
  if (size_t at = rest.find_first_of("/?#"); at != std::string_view::npos) rest = rest.substr(0, at);
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  return std::string(rest);
}

}  // namespace twotp
