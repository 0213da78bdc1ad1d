// CurlTransport without a server: the deadline, https-only, and what a
// failure message may say. (The TLS path against a server is proved by
// tests/contract/contract_client.)
#include <chrono>
#include <cstring>
#include <string>

#include "fake_clock.h"
#include "http_client.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;
using std::chrono::milliseconds;

namespace {

constexpr char kPassword[] = "s3cr3t-auth-token";
constexpr char kCode[] = "918273";

// Every reading of the clock is 3 s later than the last, so a request
// measured with it takes 3 s.
class SteppingClock : public FakeClock {
 public:
  std::chrono::steady_clock::time_point Now() override {
    Advance(milliseconds(3000));
    return FakeClock::Now();
  }
};

TransportOptions Options(milliseconds budget) {
  TransportOptions options;
  options.total_budget = budget;
  options.request_timeout = milliseconds(2000);
  return options;
}

Form CodeForm() {
  Form form;
  form.push_back({"Code", Secret(kCode)});
  return form;
}

void AssertNoSecrets(const Status& status) {
  assert_null(strstr(status.message().c_str(), kPassword));
  assert_null(strstr(status.message().c_str(), kCode));
}

// One request through a fresh transport that is expected to fail.
Status PostOnce(milliseconds budget, const char* url) {
  FakeClock clock;
  CurlTransport transport(Options(budget), "AC1", Secret(kPassword), clock);
  Result<HttpResponse> reply = transport.PostForm(url, CodeForm());
  assert_false(reply.ok());
  return reply.status();
}

}  // namespace

static void test_spent_budget_fails_at_once(void**) {
  Status status = PostOnce(milliseconds(0), "https://127.0.0.1:1/x");
  assert_true(status.Is(Fault::kUnavailable));
  assert_non_null(strstr(status.message().c_str(), "budget"));
}

static void test_plain_http_is_refused(void**) {
  Status status = PostOnce(milliseconds(5000), "http://127.0.0.1:1/x");
  assert_true(status.Is(Fault::kConfig));  // a wrong URL, never an outage that failmode=safe could pass
  assert_non_null(strstr(status.message().c_str(), "127.0.0.1:1"));
  AssertNoSecrets(status);
}

static void test_no_reply_names_host_and_curl_error_but_no_secret(void**) {
  // Port 1 on loopback: nothing listens, so the connect is refused at once.
  Status status = PostOnce(milliseconds(5000), "https://127.0.0.1:1/v2/Services/VAx?Code=1");
  assert_true(status.Is(Fault::kUnavailable));
  assert_non_null(strstr(status.message().c_str(), "127.0.0.1:1 failed"));
  assert_non_null(strstr(status.message().c_str(), "connect"));
  assert_null(strstr(status.message().c_str(), "/v2/Services"));
  AssertNoSecrets(status);
}

static void test_each_request_spends_its_elapsed_time(void**) {
  SteppingClock clock;
  CurlTransport transport(Options(milliseconds(7000)), "AC1", Secret(kPassword), clock);
  (void)transport.PostForm("https://127.0.0.1:1/x", CodeForm());
  assert_int_equal(transport.budget_left().count(), 4000);
  (void)transport.PostForm("https://127.0.0.1:1/x", CodeForm());
  assert_int_equal(transport.budget_left().count(), 1000);
  (void)transport.PostForm("https://127.0.0.1:1/x", CodeForm());
  assert_int_equal(transport.budget_left().count(), 0);  // never negative
  Result<HttpResponse> reply = transport.PostForm("https://127.0.0.1:1/x", CodeForm());
  assert_non_null(strstr(reply.status().message().c_str(), "budget"));
}

static void test_spend_counts_against_budget(void**) {
  FakeClock clock;
  CurlTransport transport(Options(milliseconds(3000)), "AC1", Secret(kPassword), clock);
  transport.Spend(milliseconds(1000));
  assert_int_equal(transport.budget_left().count(), 2000);
  transport.Spend(milliseconds(5000));
  assert_int_equal(transport.budget_left().count(), 0);
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spent_budget_fails_at_once),
      cmocka_unit_test(test_plain_http_is_refused),
      cmocka_unit_test(test_no_reply_names_host_and_curl_error_but_no_secret),
      cmocka_unit_test(test_each_request_spends_its_elapsed_time),
      cmocka_unit_test(test_spend_counts_against_budget),
  };
  return cmocka_run_group_tests_name("http_client", tests, nullptr, nullptr);
}
