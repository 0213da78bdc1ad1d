// HttpTransport: the one seam between the Twilio client and the network.
// Production uses HttpsTransport (https_transport.h: OpenSSL and
// http-parser, no libcurl); unit tests of reply handling pass a scripted
// transport.
#ifndef PAM_TWILIO_OTP_HTTP_TRANSPORT_H_
#define PAM_TWILIO_OTP_HTTP_TRANSPORT_H_

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/secret.h"
#include "base/status.h"

namespace twotp {

struct FormField {
  std::string name;
  Secret value;  // values may be codes or message bodies: wiped after use
};
using Form = std::vector<FormField>;

// Appends name=value to `form`, the value held as a Secret.
inline void AddField(Form& form, const char* name, std::string_view value) { form.push_back({name, Secret(value)}); }

struct HttpResponse {
  long status = 0;          // HTTP status code
  std::string body;         // at most the transport's cap
  std::string retry_after;  // the Retry-After header, if any
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // POSTs `form` as application/x-www-form-urlencoded to `url` with the
  // transport's credentials. Any reply with a status line is a response
  // (3xx, 4xx and 5xx included). No reply at all (DNS, connect, TLS,
  // timeout, deadline spent, reply too large or garbled) is a kUnavailable
  // Status naming why, Witnessed() only when the network itself refused
  // before any byte of the request was written (status.h); a wrong URL or a
  // certificate that does not verify is kConfig, a local resource failure
  // kInternal.
  virtual Result<HttpResponse> PostForm(const std::string& url, const Form& form) = 0;
  // GETs `url` (a query string included) the same way, for reading a
  // resource; the same replies and failures as PostForm.
  virtual Result<HttpResponse> Get(const std::string& url) = 0;
  // DELETEs `url` (a Verify TOTP factor). Transports that never delete
  // (test doubles of other calls) refuse it.
  virtual Result<HttpResponse> Delete(const std::string& /*url*/) {
    return Status::Internal("this transport does not DELETE");
  }

  // Network time left for this login, so a caller can tell whether a backoff
  // and one more request still fit the deadline. A transport without a
  // deadline of its own (a test double) has all the time in the world.
  virtual std::chrono::milliseconds budget_left() const { return std::chrono::milliseconds::max(); }
  // Counts time spent between requests (a backoff sleep) against the deadline.
  virtual void Spend(std::chrono::milliseconds /*spent*/) {}
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_HTTP_TRANSPORT_H_
