// CurlTransport: HttpTransport over one libcurl easy handle, so every request
// of one login reuses one TLS connection. Verification of the peer and host
// is always on; https only; no redirects; replies capped in size.
#ifndef PAM_TWILIO_OTP_HTTP_CLIENT_H_
#define PAM_TWILIO_OTP_HTTP_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>

#include "clock.h"
#include "http_transport.h"
#include "secret.h"

namespace twotp {

struct TransportOptions {
  std::string ca_file;  // a private CA bundle; when empty, ca_path is used
  std::string ca_path = "/etc/ssl/certs";
  std::chrono::milliseconds request_timeout{10000};  // one request, connect included
  std::chrono::milliseconds total_budget{20000};     // network time for all requests together
  size_t max_response_bytes = 64 * 1024;
  std::string user_agent = "pam_twilio_otp/0.1";
};

class CurlTransport : public HttpTransport {
 public:
  // `clock` must outlive the transport. Credentials are kept in a Secret.
  CurlTransport(TransportOptions options, std::string username, Secret password, Clock& clock);
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  // Each request gets min(request_timeout, what is left of total_budget) for
  // DNS, connect, TLS and transfer together; once the budget is spent every
  // call fails at once with kUnavailable.
  Result<HttpResponse> PostForm(const std::string& url, const Form& form) override;

  // Network time left for this login (for backoff decisions); never negative.
  std::chrono::milliseconds budget_left() const override;
  // Spends budget without a request (a backoff sleep counts against the deadline).
  void Spend(std::chrono::milliseconds d) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Form-encodes fields with libcurl's escaping ("To=%2B1555...&Channel=sms").
// The result is a Secret because bodies carry codes; libcurl's own escape
// buffers are wiped before they are freed.
Secret EncodeForm(const Form& form);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_HTTP_CLIENT_H_
