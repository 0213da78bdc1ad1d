// The per-library loaders of error texts are deprecated since OpenSSL 3.0,
// which loads every text at start; they are the way to load them later.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "twilio/tls_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/asn1err.h>
#include <openssl/bioerr.h>
#include <openssl/cryptoerr_legacy.h>
#include <openssl/err.h>
#include <openssl/evperr.h>
#include <openssl/pemerr.h>
#include <openssl/x509err.h>
#include <openssl/x509v3err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <mutex>
#include <utility>

#include "base/cidr.h"

namespace twotp {

namespace {

// The last OpenSSL error as text, and the queue cleared so nothing of ours
// is left for other code in the process to trip over.
// The module doesn't load libcrypto's error texts at start (a login that
// works prints none: base/crypto_init.h); the libraries a TLS connection, a
// certificate or a CA file can fail in get theirs before one is printed.
void LoadCryptoErrorTexts() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int (*load)() : {ERR_load_ERR_strings, ERR_load_CRYPTO_strings, ERR_load_BIO_strings, ERR_load_ASN1_strings,
                          ERR_load_PEM_strings, ERR_load_X509_strings, ERR_load_X509V3_strings, ERR_load_EVP_strings}) {
      (void)load();
    }
  });
}

std::string OpenSslText() {
  LoadCryptoErrorTexts();
  char text[256] = "unknown OpenSSL error";
  if (unsigned long code = ERR_peek_last_error(); code != 0) ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return text;
}

int SocketOf(BIO* bio) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio))); }

bool WouldBlock(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

int BioWrite(BIO* bio, const char* data, int length) {
  BIO_clear_retry_flags(bio);
  const ssize_t n = send(SocketOf(bio), data, static_cast<size_t>(length), MSG_NOSIGNAL);
  if (n < 0 && WouldBlock(errno)) BIO_set_retry_write(bio);
  return static_cast<int>(n);
}

int BioRead(BIO* bio, char* data, int length) {
  BIO_clear_retry_flags(bio);
  const ssize_t n = recv(SocketOf(bio), data, static_cast<size_t>(length), 0);
  if (n < 0 && WouldBlock(errno)) BIO_set_retry_read(bio);
  return static_cast<int>(n);
}

long BioCtrl(BIO*, int command, long, void*) { return command == BIO_CTRL_FLUSH ? 1 : 0; }

int BioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

// Our socket BIO's methods; null if OpenSSL refused. Its type number is
// taken once per load of this code (OpenSSL hands out a new one each call).
BioMethodPtr MakeSocketMethod() {
  static const int kType = BIO_TYPE_SOURCE_SINK | BIO_get_new_index();
  BioMethodPtr method(BIO_meth_new(kType, "pam_twilio_otp socket"));
  if (method && (BIO_meth_set_write(method.get(), BioWrite) != 1 || BIO_meth_set_read(method.get(), BioRead) != 1 ||
                 BIO_meth_set_ctrl(method.get(), BioCtrl) != 1 || BIO_meth_set_create(method.get(), BioCreate) != 1)) {
    method.reset();
  }
  return method;
}

}  // namespace

Result<TlsContext> TlsContext::Create(const std::string& ca_file, const std::string& ca_path) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return Status::Internal("TLS: cannot make a context: " + OpenSslText());
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
    return Status::Internal("TLS: cannot require TLS 1.2: " + OpenSslText());
  }
  // Replies can echo a message body, and so the code: OpenSSL wipes the
  // plaintext of what it has read once it is done with it.
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CLEANSE_PLAINTEXT);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_file(ctx.get(), ca_file.c_str()) != 1) {
      return Status::ConfigError("TLS: CA file " + ca_file + " can't be used: " + OpenSslText());
    }
  } else if (SSL_CTX_load_verify_dir(ctx.get(), ca_path.c_str()) != 1) {
    return Status::ConfigError("TLS: CA directory " + ca_path + " can't be used: " + OpenSslText());
  }
  BioMethodPtr socket_method = MakeSocketMethod();
  if (!socket_method) return Status::Internal("TLS: cannot make the socket BIO: " + OpenSslText());
  return TlsContext(std::move(ctx), std::move(socket_method));
}

Result<std::unique_ptr<TlsConnection>> TlsConnection::Open(const TlsContext& context, UniqueFd fd,
                                                           const std::string& host, const Deadline& deadline) {
  ERR_clear_error();
  SslPtr ssl(SSL_new(context.get()));
  BIO* bio = BIO_new(context.socket_method());
  if (!ssl || bio == nullptr) {
    BIO_free(bio);
    return Status::Internal("TLS: cannot make a connection: " + OpenSslText());
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd.get())));
  SSL_set_bio(ssl.get(), bio, bio);  // ssl owns the BIO now; the BIO does not own the socket
  // SNI carries names only (RFC 6066); SSL_set1_host takes either and
  // checks an IP address against the certificate's IP addresses.
  if ((!IsIpAddress(host) && SSL_set_tlsext_host_name(ssl.get(), host.c_str()) != 1) ||
      SSL_set1_host(ssl.get(), host.c_str()) != 1) {
    return Status::Internal("TLS: cannot set the host name to check: " + OpenSslText());
  }
  SSL_set_hostflags(ssl.get(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);

  std::unique_ptr<TlsConnection> connection(new TlsConnection(std::move(fd), std::move(ssl)));
  SSL* s = connection->ssl_.get();
  const IoResult shaken = connection->Drive([s] { return SSL_connect(s); }, deadline);
  if (shaken.kind == IoResult::kOk) return connection;

  const long verified = SSL_get_verify_result(s);
  if (verified == X509_V_ERR_HOSTNAME_MISMATCH || verified == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    return Status::ConfigError("SSL: no alternative certificate subject name matches target host name '" + host +
                               "'");
  }
  if (verified != X509_V_OK) {
    return Status::ConfigError(std::string("SSL certificate problem: ") + X509_verify_cert_error_string(verified));
  }
  if (shaken.kind == IoResult::kTimedOut) return Status::Unavailable("Timeout was reached: TLS handshake with " + host);
  return Status::Unavailable("TLS handshake with " + host + " failed: " + shaken.detail);
}

TlsConnection::~TlsConnection() {
  if (SSL_is_init_finished(ssl_.get())) {
    ERR_clear_error();
    (void)SSL_shutdown(ssl_.get());  // one non-blocking try; the peer's answer is not awaited
    ERR_clear_error();
  }
}

template <typename Op>
IoResult TlsConnection::Drive(Op op, const Deadline& deadline) {
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int rc = op();
    if (rc == 1) return {IoResult::kOk, 0, ""};
    const int saved_errno = errno;
    short wanted = 0;
    switch (SSL_get_error(ssl_.get(), rc)) {
      case SSL_ERROR_WANT_READ:
        wanted = POLLIN;
        break;
      case SSL_ERROR_WANT_WRITE:
        wanted = POLLOUT;
        break;
      case SSL_ERROR_ZERO_RETURN:
        ERR_clear_error();
        return {IoResult::kClosed, 0, "the server closed the TLS session"};
      case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (saved_errno == 0 || saved_errno == ECONNRESET || saved_errno == EPIPE || saved_errno == ECONNABORTED) {
          return {IoResult::kClosed, 0, saved_errno == 0 ? "the connection was closed" : ErrnoText(saved_errno)};
        }
        return {IoResult::kFailed, 0, ErrnoText(saved_errno)};
      default:  // SSL_ERROR_SSL: a protocol error, or EOF in the middle of a record
        if (ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
          ERR_clear_error();
          return {IoResult::kClosed, 0, "the connection was closed"};
        }
        return {IoResult::kFailed, 0, OpenSslText()};
    }
    const Readiness ready = WaitReady(fd_.get(), wanted, deadline);
    if (ready == Readiness::kTimedOut) return {IoResult::kTimedOut, 0, ""};
    if (ready == Readiness::kFailed) return {IoResult::kFailed, 0, "poll: " + ErrnoText(errno)};
  }
}

IoResult TlsConnection::WriteAll(std::string_view data, const Deadline& deadline) {
  if (data.empty()) return {IoResult::kOk, 0, ""};
  size_t written = 0;
  SSL* s = ssl_.get();
  // Without SSL_MODE_ENABLE_PARTIAL_WRITE, SSL_write_ex succeeds only once
  // all of `data` is written; a retry passes the same arguments, as it must.
  IoResult result = Drive([&] { return SSL_write_ex(s, data.data(), data.size(), &written); }, deadline);
  result.bytes = written;
  return result;
}

IoResult TlsConnection::ReadSome(char* buffer, size_t capacity, const Deadline& deadline) {
  size_t got = 0;
  SSL* s = ssl_.get();
  IoResult result = Drive([&] { return SSL_read_ex(s, buffer, capacity, &got); }, deadline);
  result.bytes = got;
  return result;
}

}  // namespace twotp
