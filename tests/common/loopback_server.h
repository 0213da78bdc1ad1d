// Servers on 127.0.0.1 for tests of the HTTPS transport, in the test process
// itself: a throwaway PKI made with OpenSSL's API (a CA, a certificate for
// 127.0.0.1 and localhost, one for another name, one from another CA), and
// a server thread that accepts connections one after another and hands each
// to a handler, over TLS or plain TCP. Server sockets time out after 5 s so
// that a client that misbehaves cannot hang a test.
#ifndef PAM_TWILIO_OTP_TESTS_LOOPBACK_SERVER_H_
#define PAM_TWILIO_OTP_TESTS_LOOPBACK_SERVER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "in_child.h"

namespace twotp_test {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

// Setting up a test fixture failed: the environment is broken, not the code.
[[noreturn]] inline void Broken(const char* what) {
  std::fprintf(stderr, "test fixture: %s\n", what);
  ERR_print_errors_fp(stderr);
  std::abort();
}

struct KeyAndCert {
  PkeyPtr key;
  X509Ptr cert;
};

// A certificate for `key` named `cn`, signed by `issuer` (itself when null):
// a CA when `san` is null, else a server certificate for `san`.
inline X509Ptr MakeCertificate(EVP_PKEY* key, const char* cn, const KeyAndCert* issuer, const char* san) {
  static int serial = 1;
  X509Ptr cert(X509_new());
  X509* x = cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer->cert.get() : x;
  X509_set_issuer_name(x, X509_get_subject_name(signer));
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, signer, x, nullptr, nullptr, 0);
  std::vector<std::pair<int, std::string>> extensions;
  if (san == nullptr) {
    extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                  {NID_key_usage, "critical,keyCertSign,cRLSign"},
                  {NID_subject_key_identifier, "hash"}};
  } else {
    extensions = {{NID_basic_constraints, "CA:FALSE"},
                  {NID_key_usage, "critical,digitalSignature"},
                  {NID_ext_key_usage, "serverAuth"},
                  {NID_subject_alt_name, san},
                  {NID_authority_key_identifier, "keyid"}};
  }
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (extension == nullptr || X509_add_ext(x, extension, -1) != 1) Broken("X509 extension");
    X509_EXTENSION_free(extension);
  }
  EVP_PKEY* signing_key = issuer != nullptr ? issuer->key.get() : key;
  if (X509_sign(x, signing_key, EVP_sha256()) == 0) Broken("X509_sign");
  return cert;
}

inline KeyAndCert MakeKeyAndCert(const char* cn, const KeyAndCert* issuer, const char* san) {
  KeyAndCert made;
  made.key.reset(EVP_EC_gen("P-256"));
  if (!made.key) Broken("EVP_EC_gen");
  made.cert = MakeCertificate(made.key.get(), cn, issuer, san);
  return made;
}

// The test PKI, made once per process.
struct TestPki {
  KeyAndCert ca = MakeKeyAndCert("pam_twilio_otp unit test CA", nullptr, nullptr);
  KeyAndCert server = MakeKeyAndCert("127.0.0.1", &ca, "IP:127.0.0.1,DNS:localhost,IP:::1");
  KeyAndCert other_name = MakeKeyAndCert("another-host.invalid", &ca, "DNS:another-host.invalid");
  KeyAndCert other_ca = MakeKeyAndCert("another CA", nullptr, nullptr);
  KeyAndCert from_other_ca = MakeKeyAndCert("127.0.0.1", &other_ca, "IP:127.0.0.1,DNS:localhost");

  // Writes the CA certificate as PEM to `path` (what ca_file names).
  void WriteCa(const std::string& path) const {
    FILE* file = std::fopen(path.c_str(), "w");
    if (file == nullptr || PEM_write_X509(file, ca.cert.get()) != 1 || std::fclose(file) != 0) Broken("write CA");
  }
};

inline const TestPki& Pki() {
  static const TestPki pki;
  return pki;
}

// A TCP socket bound to 127.0.0.1 on a port of the kernel's choosing (in
// *port), listening or not.
inline int BindLoopback(bool listening, int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      (listening && listen(fd, 8) != 0) || getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    Broken("bind a loopback port");
  }
  *port = ntohs(address.sin_port);
  return fd;
}

// One accepted connection, as the handler sees it.
class ServerConn {
 public:
  ServerConn(int fd, SSL* ssl, int index, std::vector<std::string>* requests, std::mutex* mutex)
      : fd_(fd), ssl_(ssl), index_(index), requests_(requests), mutex_(mutex) {}
  int index() const { return index_; }  // 0 for the server's first connection
  int fd() const { return fd_; }

  // Reads up to `n` bytes; 0 when the peer closed, failed or timed out.
  size_t Read(char* buffer, size_t n) {
    if (ssl_ == nullptr) {
      const ssize_t got = recv(fd_, buffer, n, 0);
      return got > 0 ? static_cast<size_t>(got) : 0;
    }
    size_t got = 0;
    return SSL_read_ex(ssl_, buffer, n, &got) == 1 ? got : 0;
  }
  void Send(std::string_view bytes) {
    size_t sent = 0;
    if (ssl_ != nullptr) {
      (void)SSL_write_ex(ssl_, bytes.data(), bytes.size(), &sent);
    } else {
      (void)send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    }
  }
  // The next request, head and body (by Content-Length), recorded for the
  // test; "" when the client closed or sent nothing within 5 s.
  std::string ReadRequest() {
    std::string request;
    char buffer[4096];
    size_t head_end = std::string::npos;
    size_t want = 0;
    while (head_end == std::string::npos || request.size() < want) {
      const size_t got = Read(buffer, sizeof(buffer));
      if (got == 0) return "";
      request.append(buffer, got);
      if (head_end == std::string::npos && (head_end = request.find("\r\n\r\n")) != std::string::npos) {
        want = head_end + 4;
        std::string lower = request.substr(0, head_end);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (size_t at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
          want += std::strtoul(lower.c_str() + at + 17, nullptr, 10);
        }
      }
    }
    std::lock_guard<std::mutex> lock(*mutex_);
    requests_->push_back(request);
    return request;
  }
  // Makes the close that follows a reset (RST) instead of a FIN.
  void ResetOnClose() {
    const linger abortive{1, 0};
    (void)setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive));
  }

 private:
  int fd_;
  SSL* ssl_;
  int index_;
  std::vector<std::string>* requests_;
  std::mutex* mutex_;
};

// Listens on 127.0.0.1 (a port of the kernel's choosing) and serves each
// connection, one after another, with `handler`; the connection is closed
// when the handler returns. With `identity`, connections are TLS with that
// key and certificate; without, plain TCP.
class LoopbackServer {
 public:
  using Handler = std::function<void(ServerConn&)>;

  LoopbackServer(Handler handler, const KeyAndCert* identity) : handler_(std::move(handler)) {
    if (identity != nullptr) {
      ctx_ = SSL_CTX_new(TLS_server_method());
      if (ctx_ == nullptr || SSL_CTX_use_certificate(ctx_, identity->cert.get()) != 1 ||
          SSL_CTX_use_PrivateKey(ctx_, identity->key.get()) != 1) {
        Broken("server SSL_CTX");
      }
    }
    listen_fd_ = BindLoopback(/*listening=*/true, &port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
    SSL_CTX_free(ctx_);
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "/v2/x") const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }
  int connections() const { return connections_; }
  // Connections the server has closed so far.
  int closed() const { return closed_; }
  // Waits (5 s at most, a bound against a hang) until `n` are closed.
  bool WaitClosed(int n) const {
    for (int waited = 0; closed_ < n && waited < 5000; ++waited) usleep(1000);
    return closed_ >= n;
  }
  std::vector<std::string> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      const timeval limit{5, 0};
      (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
      (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
      SSL* ssl = nullptr;
      if (ctx_ != nullptr) {
        ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) != 1) {  // the client gave up, or refused our certificate
          SSL_free(ssl);
          close(fd);
          ERR_clear_error();
          continue;
        }
      }
      ServerConn conn(fd, ssl, connections_++, &requests_, &mutex_);
      handler_(conn);
      SSL_free(ssl);  // no close_notify: a plain close, as a server that drops the connection
      close(fd);
      ERR_clear_error();
      ++closed_;
    }
  }

  Handler handler_;
  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> closed_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

// A loopback port that is bound but not listening: a connect to it is
// refused, and no other process can take the port while this lives.
// With `listening`, it listens but never accepts: a connect succeeds and
// then nothing is ever said.
class QuietPort {
 public:
  explicit QuietPort(bool listening) {
    fd_ = BindLoopback(listening, &port_);
  }
  ~QuietPort() { close(fd_); }
  QuietPort(const QuietPort&) = delete;
  QuietPort& operator=(const QuietPort&) = delete;
  int port() const { return port_; }
  std::string url(const std::string& path = "/v2/x") const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace twotp_test

#endif  // PAM_TWILIO_OTP_TESTS_LOOPBACK_SERVER_H_
