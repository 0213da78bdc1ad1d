#include "http_client.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <strings.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>
#include <string_view>
#include <utility>

namespace twotp {

namespace {

using std::chrono::milliseconds;

struct CurlFree {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlPtr = std::unique_ptr<CURL, CurlFree>;

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistFree>;

// curl_global_init is not safe to race with other threads' curl calls, and a
// PAM module can be loaded into a threaded host (sshd with GSSAPI, polkit).
// We never call curl_global_cleanup: other code in the process may use curl,
// and the module may be unloaded and loaded again.
CURLcode GlobalInit() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

// "https://verify.twilio.com/v2/..." -> "verify.twilio.com": error messages
// name the host only, never the path (it carries SIDs) or the query.
std::string HostOf(const std::string& url) {
  std::string_view rest = url;
  if (size_t scheme = rest.find("://"); scheme != std::string_view::npos) rest.remove_prefix(scheme + 3);
  if (size_t at = rest.find_first_of("/?#"); at != std::string_view::npos) rest = rest.substr(0, at);
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  return std::string(rest);
}

// Where the write callback puts the reply; it refuses to grow past `cap`.
struct ReplySink {
  std::string* body;
  size_t cap;
  bool too_large = false;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<ReplySink*>(user);
  size_t n = size * count;
  if (sink->body->size() + n > sink->cap) {
    sink->too_large = true;
    return 0;  // anything short of n makes libcurl abort with CURLE_WRITE_ERROR
  }
  sink->body->append(data, n);
  return n;
}

size_t ReadHeader(char* data, size_t size, size_t count, void* user) {
  auto* retry_after = static_cast<std::string*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  constexpr std::string_view kName = "retry-after:";
  if (line.starts_with("HTTP/")) {
    retry_after->clear();  // a new response (after a 100 Continue) starts afresh
  } else if (line.size() > kName.size() && strncasecmp(line.data(), kName.data(), kName.size()) == 0) {
    line.remove_prefix(kName.size());
    size_t first = line.find_first_not_of(" \t");
    size_t last = line.find_last_not_of(" \t\r\n");
    retry_after->assign(first == std::string_view::npos ? std::string_view() : line.substr(first, last - first + 1));
  }
  return n;
}

}  // namespace

struct CurlTransport::Impl {
  Impl(TransportOptions opts, std::string user, Secret pass, Clock& c)
      : options(std::move(opts)), username(std::move(user)), password(std::move(pass)), clock(c),
        budget(options.total_budget) {}

  // Options that hold for every request of the handle's life. Each setopt is
  // checked: a security option that silently failed to apply must not go on.
  Status Setup();
  Status Fail(const std::string& url, const char* what, CURLcode code) const;
  Status Perform(const std::string& url, const Secret& body, HttpResponse& response);

  TransportOptions options;
  std::string username;
  Secret password;
  Clock& clock;
  milliseconds budget;
  CurlPtr curl;
  SlistPtr headers;
  Status setup;  // why the handle can't be used, if it can't
  char errbuf[CURL_ERROR_SIZE] = {};
  std::string retry_after;
};

namespace {

// Errors that say the configuration is wrong, not that Twilio is down: a
// certificate that doesn't verify (wrong ca_file, a wrong host in the URL,
// an intercepting proxy), a malformed or non-https URL. failmode = "safe"
// must not turn these into a quiet pass for every login.
bool ConfigurationError(CURLcode code) {
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return true;
    default:
      return false;
  }
}

}  // namespace

Status CurlTransport::Impl::Fail(const std::string& url, const char* what, CURLcode code) const {
  std::string message = "HTTPS request to " + HostOf(url) + " failed: " + what + ": " + curl_easy_strerror(code);
  if (errbuf[0] != '\0') message += std::string(" (") + errbuf + ")";
  if (ConfigurationError(code)) return Status::ConfigError(std::move(message));
  return Status::Unavailable(std::move(message));
}

Status CurlTransport::Impl::Setup() {
  if (GlobalInit() != CURLE_OK) return Status::Internal("curl_global_init failed");
  curl.reset(curl_easy_init());
  if (!curl) return Status::Internal("curl_easy_init failed");
  for (const char* header : {"Accept: application/json", "Content-Type: application/x-www-form-urlencoded",
                             "Expect:"}) {  // "Expect:" stops a 100-continue round trip
    curl_slist* grown = curl_slist_append(headers.get(), header);
    if (grown == nullptr) return Status::Internal("out of memory building HTTP headers");
    (void)headers.release();  // `grown` now owns the old list
    headers.reset(grown);
  }
  const bool own_ca = !options.ca_file.empty();
  CURL* h = curl.get();
  CURLcode rc = CURLE_OK;
  auto set = [&rc](CURLcode step) {
    if (rc == CURLE_OK) rc = step;
  };
  set(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf));
  // sshd and other threaded hosts: no SIGALRM-based DNS timeouts.
  set(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https"));
  set(curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L));
  set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L));
  set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L));
  // The hashed directory lets OpenSSL load only the issuer it needs (~32 M
  // instructions a request); libcurl's default bundle file costs ~270 M, so
  // CAINFO is cleared unless a private CA file is configured (DESIGN.md).
  set(curl_easy_setopt(h, CURLOPT_CAINFO, own_ca ? options.ca_file.c_str() : nullptr));
  set(curl_easy_setopt(h, CURLOPT_CAPATH, own_ca ? nullptr : options.ca_path.c_str()));
  set(curl_easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC)));
  set(curl_easy_setopt(h, CURLOPT_USERNAME, username.c_str()));
  set(curl_easy_setopt(h, CURLOPT_PASSWORD, password.c_str()));
  set(curl_easy_setopt(h, CURLOPT_USERAGENT, options.user_agent.c_str()));
  set(curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get()));
  set(curl_easy_setopt(h, CURLOPT_POST, 1L));
  set(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody));
  set(curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, ReadHeader));
  set(curl_easy_setopt(h, CURLOPT_HEADERDATA, &retry_after));
  // libcurl keeps its own copy of the password; ours has served its purpose.
  password.Clear();
  if (rc != CURLE_OK) return Status::Internal(std::string("libcurl refused an option: ") + curl_easy_strerror(rc));
  return Status::Ok();
}

Status CurlTransport::Impl::Perform(const std::string& url, const Secret& body, HttpResponse& response) {
  CURL* h = curl.get();
  // At least 1 ms: a timeout of 0 would mean "wait forever" to libcurl.
  const milliseconds allowed = std::max(std::min(options.request_timeout, budget), milliseconds(1));
  ReplySink sink{&response.body, options.max_response_bytes};
  // Reserved up front so the body never reallocates: a reply can echo the
  // message text (and so the code), and the caller wipes this one buffer.
  response.body.reserve(options.max_response_bytes);
  errbuf[0] = '\0';
  retry_after.clear();
  CURLcode rc = CURLE_OK;
  auto set = [&rc](CURLcode step) {
    if (rc == CURLE_OK) rc = step;
  };
  set(curl_easy_setopt(h, CURLOPT_URL, url.c_str()));
  set(curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size())));
  set(curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str()));
  set(curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink));
  set(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(allowed.count())));
  set(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(allowed.count())));
  if (rc != CURLE_OK) return Fail(url, "setting up the request", rc);

  const auto started = clock.Now();
  rc = curl_easy_perform(h);
  budget -= std::chrono::duration_cast<milliseconds>(clock.Now() - started);
  // POSTFIELDS is not copied by libcurl: don't leave it pointing at the
  // caller's Secret once that is wiped.
  (void)curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
  (void)curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
  if (sink.too_large) {
    return Status::Unavailable("reply from " + HostOf(url) + " too large (over " +
                               std::to_string(options.max_response_bytes) + " bytes)");
  }
  if (rc != CURLE_OK) return Fail(url, "no reply", rc);
  (void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  response.retry_after = retry_after;
  return Status::Ok();
}

CurlTransport::CurlTransport(TransportOptions options, std::string username, Secret password, Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(username), std::move(password), clock)) {
  impl_->setup = impl_->Setup();
}

CurlTransport::~CurlTransport() = default;

Result<HttpResponse> CurlTransport::PostForm(const std::string& url, const Form& form) {
  if (!impl_->setup.ok()) return impl_->setup;
  if (budget_left() <= milliseconds::zero()) {
    return Status::Unavailable("no time left for a request to " + HostOf(url) + " (login budget of " +
                               std::to_string(impl_->options.total_budget.count()) + " ms spent)");
  }
  Secret body = EncodeForm(form);
  HttpResponse response;
  Status status = impl_->Perform(url, body, response);
  if (!status.ok()) {
    Wipe(response.body);
    return status;
  }
  return response;
}

milliseconds CurlTransport::budget_left() const { return std::max(impl_->budget, milliseconds::zero()); }

void CurlTransport::Spend(milliseconds d) { impl_->budget -= d; }

Secret EncodeForm(const Form& form) {
  Secret out;
  // Escapes one piece into `out`, wiping libcurl's copy before freeing it.
  auto append = [&out](std::string_view text) {
    if (text.empty()) return;  // a length of 0 would make libcurl call strlen
    char* escaped = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
    if (escaped == nullptr) throw std::bad_alloc();  // curl's only failure is memory
    size_t length = std::strlen(escaped);
    out.Append(std::string_view(escaped, length));
    OPENSSL_cleanse(escaped, length);
    curl_free(escaped);
  };
  for (const FormField& field : form) {
    if (!out.empty()) out.Append("&");
    append(field.name);
    out.Append("=");
    append(field.value.view());
  }
  return out;
}

}  // namespace twotp
