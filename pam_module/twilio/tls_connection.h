// TLS on OpenSSL directly, for the HTTPS transport: a client context that
// always verifies the peer, and one connection over a connected socket with
// a deadline on the handshake and on every read and write.
//
// The socket is driven through a BIO of our own that writes with
// send(MSG_NOSIGNAL): OpenSSL's socket BIO writes with write(2), and a
// server that has closed its end would raise SIGPIPE, whose default action
// kills sshd's or sudo's process.
#ifndef PAM_TWILIO_OTP_TLS_CONNECTION_H_
#define PAM_TWILIO_OTP_TLS_CONNECTION_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "twilio/net_connect.h"
#include "base/status.h"
#include "base/unique_fd.h"

namespace twotp {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslPtr = std::unique_ptr<SSL, SslFree>;

struct BioMethodFree {
  void operator()(BIO_METHOD* method) const { BIO_meth_free(method); }
};
using BioMethodPtr = std::unique_ptr<BIO_METHOD, BioMethodFree>;

class TlsContext {
 public:
  // TLS 1.2 or later; the peer's chain always verified (SSL_VERIFY_PEER),
  // against `ca_file` when it is set, else against the hashed directory
  // `ca_path`, from which OpenSSL loads only the issuer it needs. Never
  // OpenSSL's default paths: those come from SSL_CERT_FILE / SSL_CERT_DIR.
  // kConfig when `ca_file` can't be loaded; kInternal when OpenSSL fails.
  static Result<TlsContext> Create(const std::string& ca_file, const std::string& ca_path);
  SSL_CTX* get() const { return ctx_.get(); }
  // Our socket BIO's methods (send with MSG_NOSIGNAL), for connections.
  const BIO_METHOD* socket_method() const { return socket_method_.get(); }

 private:
  TlsContext(SslCtxPtr ctx, BioMethodPtr socket_method)
      : ctx_(std::move(ctx)), socket_method_(std::move(socket_method)) {}
  SslCtxPtr ctx_;
  // Owned here, not made once per process: a PAM module is unloaded after
  // each login, and a process-wide one would be lost each time.
  BioMethodPtr socket_method_;
};

class TlsConnection : public ByteStream {
 public:
  // Takes `fd` (a connected, non-blocking socket) and completes the
  // handshake by `deadline`, sending `host` as SNI (unless it is an IP
  // address) and checking the certificate is for `host` (a name or an IP
  // address). `context` must outlive the connection (its BIO methods).
  // Failures, never witnessed (the handshake is not the network refusing):
  //  - kConfig when the certificate does not verify, in libcurl's words
  //    ("SSL certificate problem: unable to get local issuer certificate",
  //    "SSL: no alternative certificate subject name matches target host
  //    name 'HOST'"): a wrong CA, a wrong URL or someone in the path, which
  //    failmode = "safe" must never take for an outage;
  //  - kUnavailable for a timeout, a closed connection, a failed handshake;
  //  - kInternal when OpenSSL can't allocate.
  static Result<std::unique_ptr<TlsConnection>> Open(const TlsContext& context, UniqueFd fd, const std::string& host,
                                                     const Deadline& deadline);
  // Sends close_notify if it can without waiting, then closes the socket.
  ~TlsConnection() override;
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  IoResult WriteAll(std::string_view data, const Deadline& deadline) override;
  IoResult ReadSome(char* buffer, size_t capacity, const Deadline& deadline) override;

 private:
  TlsConnection(UniqueFd fd, SslPtr ssl) : fd_(std::move(fd)), ssl_(std::move(ssl)) {}
  // Runs `op` (an SSL call that returns 1 on success) until it succeeds,
  // waiting on the socket whenever OpenSSL wants to read or write.
  template <typename Op>
  IoResult Drive(Op op, const Deadline& deadline);

  UniqueFd fd_;  // declared first: closed after ssl_ is freed
  SslPtr ssl_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_TLS_CONNECTION_H_
