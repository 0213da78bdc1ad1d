// HttpsTransport: HttpTransport on OpenSSL directly, with HTTP/1.1 parsed
// by Debian's http-parser. One TLS connection per transport (per login),
// kept alive so the send and the check share it. Verification of the
// peer's chain and host name is always on; https only; no redirects (a 3xx
// is a reply like any other); replies capped in size; a deadline on every
// step. Nothing reads the environment: no proxy unless the config names
// one, no key log.
#ifndef PAM_TWILIO_OTP_HTTPS_TRANSPORT_H_
#define PAM_TWILIO_OTP_HTTPS_TRANSPORT_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "twilio/http_transport.h"
#include "base/http_url.h"
#include "base/secret.h"

namespace twotp {

class Deadline;
class TlsConnection;
class TlsContext;

struct TransportOptions {
  std::string ca_file;  // a private CA bundle; when empty, ca_path is used
  std::string ca_path = "/etc/ssl/certs";
  std::chrono::milliseconds request_timeout{10000};  // one request, lookup and connect included
  std::chrono::milliseconds total_budget{20000};     // network time for all requests together
  size_t max_response_bytes = 64 * 1024;
  std::string user_agent = "pam_twilio_otp/0.1";
  // "http://HOST:PORT": reach Twilio through this proxy's CONNECT tunnel
  // (TLS and its checks still end at Twilio). "": connect directly.
  std::string proxy;
};

class HttpsTransport : public HttpTransport {
 public:
  // `clock` must outlive the transport; it measures the budget. The
  // password is kept only inside the Authorization header, a Secret.
  HttpsTransport(TransportOptions options, std::string username, Secret password, Clock& clock);
  ~HttpsTransport() override;
  HttpsTransport(const HttpsTransport&) = delete;
  HttpsTransport& operator=(const HttpsTransport&) = delete;

  // Each request gets min(request_timeout, what is left of total_budget)
  // for lookup, connect, TLS, sending and reading together; once the budget
  // is spent every call fails at once with kUnavailable. The connection of
  // the last request is reused when it was to the same host; if the server
  // had closed it before any byte of the reply came back, the request is
  // sent once more on a new connection. Failures (see http_transport.h):
  //  - kConfig: a URL that is not https:// or does not parse, a CA file
  //    that can't be used, a certificate that does not verify;
  //  - kUnavailable, Witnessed(): every address refused or was
  //    unreachable, before any byte of the request was written
  //    (net_connect.h);
  //  - kUnavailable otherwise: timeouts, closes, resets, truncated, garbled
  //    or oversized replies, a proxy that refuses the tunnel;
  //  - kInternal: this process ran out of descriptors or memory.
  // Messages start "HTTPS request to HOST[:PORT] failed: " and never hold
  // the path, the query, the credentials or the form.
  Result<HttpResponse> PostForm(const std::string& url, const Form& form) override;
  Result<HttpResponse> Get(const std::string& url) override;
  Result<HttpResponse> Delete(const std::string& url) override;

  // Network time left for this login (for backoff decisions); never negative.
  std::chrono::milliseconds budget_left() const override;
  // Spends budget without a request (a backoff sleep counts against the deadline).
  void Spend(std::chrono::milliseconds d) override;

 private:
  // One request to `url` within the login's budget: `format` makes its
  // bytes from the parsed URL. PostForm and Get differ only in those.
  Result<HttpResponse> Send(const std::string& url, const std::function<Secret(const HttpUrl&)>& format);
  // Sends `request` to `url`'s host, on the open connection if it leads
  // there, and reads the reply into `response`.
  Status Exchange(const HttpUrl& url, const Secret& request, const Deadline& deadline, HttpResponse& response);
  // Opens connection_ to `url`'s host: TCP (through the proxy's tunnel when
  // there is one), then TLS.
  Status Connect(const HttpUrl& url, const Deadline& deadline);
  // Asks the proxy, over `fd`, for a tunnel to `url`'s host and port.
  Status Tunnel(int fd, const HttpUrl& url, const Deadline& deadline);

  TransportOptions options_;
  Secret authorization_;  // "Basic ...": the credentials, encoded once
  Clock& clock_;
  std::chrono::milliseconds budget_;
  std::chrono::milliseconds allowed_{0};  // the current request's time, for messages
  Status setup_;                          // why no request can be made, if none can
  std::optional<HttpUrl> proxy_;
  std::unique_ptr<TlsContext> context_;   // made at the first connection; outlives connection_
  std::unique_ptr<TlsConnection> connection_;
  std::string connected_to_;              // "host:port" of connection_
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_HTTPS_TRANSPORT_H_
