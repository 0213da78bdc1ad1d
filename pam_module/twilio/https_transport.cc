#include "twilio/https_transport.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <utility>

#include "twilio/http_message.h"
#include "twilio/net_connect.h"
#include "twilio/tls_connection.h"

namespace twotp {

namespace {

using std::chrono::milliseconds;

// How much of a reply one read takes.
constexpr size_t kReadChunk = 16 * 1024;

// What one request on one connection came to.
struct Attempt {
  Status status;
  // The connection closed before any byte of the reply came back.
  bool nothing_back = false;
};

// "with 0 bytes received", "with 5 out of 120 bytes received": how far a
// reply had come (libcurl's words, which log watchers may match).
std::string Progress(const ResponseParser& parser) {
  if (parser.bytes_received() == 0) return "with 0 bytes received";
  if (parser.body_expected()) {
    return "with " + std::to_string(parser.body_received()) + " out of " + std::to_string(*parser.body_expected()) +
           " bytes received";
  }
  return "with " + std::to_string(parser.bytes_received()) + " bytes received";
}

// Reads until `parser` has a whole response, or says why it has not.
Attempt ReadReply(ByteStream& stream, ResponseParser& parser, const Deadline& deadline, milliseconds allowed) {
  char buffer[kReadChunk];
  Attempt attempt;
  for (;;) {
    const IoResult got = stream.ReadSome(buffer, sizeof(buffer), deadline);
    ResponseParser::State state;
    if (got.kind == IoResult::kOk) {
      state = parser.Feed(std::string_view(buffer, got.bytes));
    } else if (got.kind == IoResult::kClosed) {
      state = parser.Finish();
    } else if (got.kind == IoResult::kTimedOut) {
      attempt.status = Status::Unavailable("Timeout was reached: no whole reply after " +
                                           std::to_string(allowed.count()) + " ms, " + Progress(parser));
      break;
    } else {
      attempt.status = Status::Unavailable("reading the reply failed: " + got.detail + ", " + Progress(parser));
      break;
    }
    if (state == ResponseParser::State::kComplete) break;
    if (state == ResponseParser::State::kTooLarge) {
      attempt.status = Status::Unavailable("reply too large (over " + std::to_string(parser.max_body()) + " bytes)");
      break;
    }
    if (state == ResponseParser::State::kMalformed) {
      attempt.status = Status::Unavailable(std::string("garbled reply: ") + parser.error());
      break;
    }
    if (got.kind == IoResult::kClosed) {
      attempt.nothing_back = parser.bytes_received() == 0;
      attempt.status = Status::Unavailable(
          attempt.nothing_back
              ? "Empty reply from server: the connection was closed before any reply (" + got.detail + ")"
              : "Transferred a partial file: the connection was closed " + Progress(parser));
      break;
    }
  }
  // The reply may echo the message text, and with it the code.
  OPENSSL_cleanse(buffer, sizeof(buffer));
  return attempt;
}

// Writes `request` and reads the reply to it.
Attempt RoundTrip(ByteStream& stream, std::string_view request, ResponseParser& parser, const Deadline& deadline,
                  milliseconds allowed) {
  const IoResult sent = stream.WriteAll(request, deadline);
  if (sent.kind == IoResult::kOk) return ReadReply(stream, parser, deadline, allowed);
  Attempt attempt;
  if (sent.kind == IoResult::kTimedOut) {
    attempt.status = Status::Unavailable("Timeout was reached: sending the request took over " +
                                         std::to_string(allowed.count()) + " ms");
  } else if (sent.kind == IoResult::kClosed) {
    attempt.nothing_back = true;
    attempt.status = Status::Unavailable("Empty reply from server: the connection was closed while sending (" +
                                         sent.detail + ")");
  } else {
    attempt.status = Status::Unavailable("sending the request failed: " + sent.detail);
  }
  return attempt;
}

// The same failure with no claim to a witness: once a byte of the request
// has been written, whatever follows may be the caller's doing.
Status Unwitnessed(const Status& status) { return Status::Error(status.fault(), status.message()); }

}  // namespace

HttpsTransport::HttpsTransport(TransportOptions options, std::string username, Secret password, Clock& clock)
    : options_(std::move(options)),
      authorization_(BasicAuthorization(username, password)),
      clock_(clock),
      budget_(options_.total_budget) {
  if (!options_.proxy.empty()) {
    Result<HttpUrl> proxy = ParseProxyUrl(options_.proxy);
    if (proxy.ok()) {
      proxy_ = std::move(proxy.value());
    } else {
      setup_ = Status::ConfigError("twilio.proxy " + proxy.status().message());
    }
  }
}

HttpsTransport::~HttpsTransport() = default;

Result<HttpResponse> HttpsTransport::PostForm(const std::string& url, const Form& form) {
  const Secret body = EncodeForm(form);
  return Send(url, [&](const HttpUrl& target) {
    return FormatPost(target, authorization_, options_.user_agent, body);
  });
}

Result<HttpResponse> HttpsTransport::Get(const std::string& url) {
  return Send(url, [&](const HttpUrl& target) {
    return FormatBodiless("GET", target, authorization_, options_.user_agent);
  });
}

Result<HttpResponse> HttpsTransport::Delete(const std::string& url) {
  return Send(url, [&](const HttpUrl& target) {
    return FormatBodiless("DELETE", target, authorization_, options_.user_agent);
  });
}

Result<HttpResponse> HttpsTransport::Send(const std::string& url,
                                          const std::function<Secret(const HttpUrl&)>& format) {
  if (!setup_.ok()) return setup_;
  const std::string host = HostOf(url);
  Result<HttpUrl> target = ParseHttpsUrl(url);
  if (!target.ok()) return Status::ConfigError("HTTPS request to " + host + " refused: " + target.status().message());
  if (budget_left() <= milliseconds::zero()) {
    return Status::Unavailable("no time left for a request to " + host + " (login budget of " +
                               std::to_string(options_.total_budget.count()) + " ms spent)");
  }
  allowed_ = std::max(std::min(options_.request_timeout, budget_), milliseconds(1));
  const Deadline deadline = Deadline::After(allowed_);
  const auto started = clock_.Now();
  const Secret request = format(target.value());
  HttpResponse response;
  const Status status = Exchange(target.value(), request, deadline, response);
  budget_ -= std::chrono::duration_cast<milliseconds>(clock_.Now() - started);
  if (!status.ok()) {
    Wipe(response.body);
    return status.Prefixed("HTTPS request to " + host + " failed: ");
  }
  return response;
}

Status HttpsTransport::Exchange(const HttpUrl& url, const Secret& request, const Deadline& deadline,
                                HttpResponse& response) {
  const std::string peer = url.HostPort();
  if (connection_ && connected_to_ != peer) connection_.reset();
  bool reused = connection_ != nullptr;
  bool written = false;  // a byte of this request may have left: no witness from here on
  for (;;) {
    if (!connection_) {
      reused = false;
      Status connected = Connect(url, deadline);
      if (!connected.ok()) return written ? Unwitnessed(connected) : connected;
      connected_to_ = peer;
    }
    written = true;
    ResponseParser parser(options_.max_response_bytes, /*head_only=*/false);
    const Attempt attempt = RoundTrip(*connection_, request.view(), parser, deadline, allowed_);
    if (attempt.status.ok()) {
      response.status = parser.status();
      response.retry_after = parser.retry_after();
      response.body = parser.TakeBody();
      if (!parser.keep_alive()) connection_.reset();
      return Status::Ok();
    }
    connection_.reset();
    // A kept-alive connection the server closed while it sat idle: the
    // request reached nobody who answered, so it goes once more on a new one.
    if (reused && attempt.nothing_back) continue;
    return attempt.status;
  }
}

Status HttpsTransport::Connect(const HttpUrl& url, const Deadline& deadline) {
  if (!context_) {
    Result<TlsContext> context = TlsContext::Create(options_.ca_file, options_.ca_path);
    if (!context.ok()) return context.status();
    context_ = std::make_unique<TlsContext>(std::move(context.value()));
  }
  const HttpUrl& first_hop = proxy_ ? *proxy_ : url;
  Result<UniqueFd> socket = ConnectTcp(first_hop.host, first_hop.port, deadline);
  if (!socket.ok()) {
    if (!proxy_) return socket.status();
    return socket.status().Prefixed("proxy " + proxy_->HostPort() + ": ");
  }
  if (proxy_) {
    if (Status tunnel = Tunnel(socket.value().get(), url, deadline); !tunnel.ok()) return tunnel;
  }
  Result<std::unique_ptr<TlsConnection>> tls =
      TlsConnection::Open(*context_, std::move(socket.value()), url.host, deadline);
  if (!tls.ok()) return tls.status();
  connection_ = std::move(tls.value());
  return Status::Ok();
}

Status HttpsTransport::Tunnel(int fd, const HttpUrl& url, const Deadline& deadline) {
  const std::string proxy = "proxy " + proxy_->HostPort();
  PlainStream stream(fd);
  ResponseParser parser(/*max_body=*/0, /*head_only=*/true);
  const Attempt attempt = RoundTrip(stream, FormatConnect(url, options_.user_agent), parser, deadline, allowed_);
  if (!attempt.status.ok()) return Status::Unavailable(proxy + ": " + attempt.status.message());
  if (parser.status() < 200 || parser.status() > 299) {
    return Status::Unavailable(proxy + " refused a tunnel to " + url.HostPort() + " (HTTP " +
                               std::to_string(parser.status()) + ")");
  }
  return Status::Ok();
}

milliseconds HttpsTransport::budget_left() const { return std::max(budget_, milliseconds::zero()); }

void HttpsTransport::Spend(milliseconds d) { budget_ -= d; }

}  // namespace twotp
