// base/http_url: the URLs the HTTPS transport accepts (ParseHttpsUrl), the
// proxy's http://HOST:PORT (ParseProxyUrl), the authority a Host header names,
// and HostOf, which is all a log line shows of a URL.
#include <cstring>

#include "base/http_url.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

static void test_host_header_names_a_port_other_than_443(void**) {
  Result<HttpUrl> named = ParseHttpsUrl("https://127.0.0.1:8443");
  assert_true(named.ok());
  assert_string_equal(named->target.c_str(), "/");
  assert_string_equal(named->Authority(kHttpsPort).c_str(), "127.0.0.1:8443");
  Result<HttpUrl> v6 = ParseHttpsUrl("https://[::1]:8443/x");
  assert_true(v6.ok());
  assert_string_equal(v6->host.c_str(), "::1");
  assert_string_equal(v6->Authority(kHttpsPort).c_str(), "[::1]:8443");
  Result<HttpUrl> plain = ParseHttpsUrl("https://api.twilio.com:443/x");
  assert_true(plain.ok());
  assert_string_equal(plain->Authority(kHttpsPort).c_str(), "api.twilio.com");
}

static void test_only_plain_https_urls_are_accepted(void**) {
  for (const char* bad : {"http://api.twilio.com/x", "ftp://x/y", "https://", "https:///x", "api.twilio.com/x",
                          "https://user:pw@api.twilio.com/x", "https://api.twilio.com/x#frag", "https://x:0/y",
                          "https://x:99999/y", "https://x/a b", "https://x/a\r\nHost: evil", ""}) {
    Result<HttpUrl> url = ParseHttpsUrl(bad);
    assert_false(url.ok());
    assert_true(url.status().Is(Fault::kConfig));
  }
}

static void test_proxy_url_must_be_http_host_and_port(void**) {
  for (const char* good : {"http://proxy.example:3128", "http://proxy.example:3128/", "http://10.0.0.1:8080",
                           "http://[::1]:3128"}) {
    assert_true(ParseProxyUrl(good).ok());
  }
  Result<HttpUrl> proxy = ParseProxyUrl("http://[2001:db8::1]:3128");
  assert_string_equal(proxy->HostPort().c_str(), "[2001:db8::1]:3128");
  for (const char* bad : {"proxy.example:3128", "http://proxy.example", "https://proxy.example:3128",
                          "http://u:p@proxy.example:3128", "http://proxy.example:3128/path", "http://proxy:3128?x",
                          "socks5://proxy:1080", "http://proxy:0"}) {
    Result<HttpUrl> refused = ParseProxyUrl(bad);
    assert_false(refused.ok());
    assert_non_null(strstr(refused.status().message().c_str(), "http://HOST:PORT"));
  }
}

static void test_host_of_names_no_path_or_user(void**) {
  assert_string_equal(HostOf("https://verify.twilio.com/v2/Services/VA1?Code=1").c_str(), "verify.twilio.com");
  assert_string_equal(HostOf("https://u:secret@127.0.0.1:8443#x").c_str(), "127.0.0.1:8443");
  assert_string_equal(HostOf("not a url").c_str(), "not a url");
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_host_header_names_a_port_other_than_443),
      cmocka_unit_test(test_only_plain_https_urls_are_accepted),
      cmocka_unit_test(test_proxy_url_must_be_http_host_and_port),
      cmocka_unit_test(test_host_of_names_no_path_or_user),
  };
  return cmocka_run_group_tests_name("http_url", tests, nullptr, nullptr);
}
