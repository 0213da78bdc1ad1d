// twilio/http_message: the HTTPS transport's messages without a network: the
// bytes of a POST and of a CONNECT, form encoding, and reading replies with
// http-parser (fed whole and byte by byte). URL syntax is test_http_url.cc.
#include <string>
#include <string_view>

#include "twilio/http_message.h"
#include "base/http_url.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

namespace {

constexpr size_t kCap = 64;

// Feeds `reply` to a fresh parser in pieces of `step` bytes (0: at once),
// then, with `close`, tells it the peer closed.
ResponseParser::State Parse(ResponseParser& parser, std::string_view reply, size_t step, bool close = false) {
  ResponseParser::State state = ResponseParser::State::kIncomplete;
  if (step == 0) step = reply.size();
  for (size_t at = 0; at < reply.size(); at += step) state = parser.Feed(reply.substr(at, step));
  if (close) state = parser.Finish();
  return state;
}

void AssertComplete(std::string_view reply, long status, const char* body, const char* retry_after, bool keep_alive) {
  for (size_t step : {size_t{0}, size_t{1}, size_t{7}}) {
    ResponseParser parser(kCap, false);
    assert_int_equal(static_cast<int>(Parse(parser, reply, step)), static_cast<int>(ResponseParser::State::kComplete));
    assert_int_equal(parser.status(), status);
    assert_string_equal(parser.retry_after().c_str(), retry_after);
    assert_int_equal(parser.keep_alive(), keep_alive);
    assert_string_equal(parser.TakeBody().c_str(), body);
  }
}

}  // namespace

static void test_form_is_percent_encoded(void**) {
  Form form;
  form.push_back({"To", Secret("+1 500")});
  form.push_back({"Body", Secret("a&b=c/é~-._")});
  form.push_back({"Empty", Secret("")});
  assert_string_equal(EncodeForm(form).c_str(), "To=%2B1%20500&Body=a%26b%3Dc%2F%C3%A9~-._&Empty=");
}

static void test_basic_authorization_is_base64_of_user_and_password(void**) {
  assert_string_equal(BasicAuthorization("AC1", Secret("s3cr3t")).c_str(), "Basic QUMxOnMzY3IzdA==");
}

static void test_post_carries_every_header_and_the_body(void**) {
  Result<HttpUrl> url = ParseHttpsUrl("https://verify.example/v2/Services/VA1/Verifications?x=1");
  assert_true(url.ok());
  Secret request = FormatPost(url.value(), Secret("Basic QUMxOnMzY3IzdA=="), "ua/1", Secret("To=%2B1&Code=123456"));
  assert_string_equal(request.c_str(),
                      "POST /v2/Services/VA1/Verifications?x=1 HTTP/1.1\r\n"
                      "Host: verify.example\r\n"
                      "Authorization: Basic QUMxOnMzY3IzdA==\r\n"
                      "User-Agent: ua/1\r\n"
                      "Accept: application/json\r\n"
                      "Connection: keep-alive\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\n"
                      "Content-Length: 19\r\n"
                      "\r\n"
                      "To=%2B1&Code=123456");
}

static void test_get_carries_the_same_headers_and_no_body(void**) {
  Result<HttpUrl> url = ParseHttpsUrl("https://api.example/2010-04-01/Accounts/AC1/OutgoingCallerIds.json?PhoneNumber=%2B1");
  assert_true(url.ok());
  Secret request = FormatBodiless("GET", url.value(), Secret("Basic QUMxOnMzY3IzdA=="), "ua/1");
  assert_string_equal(request.c_str(),
                      "GET /2010-04-01/Accounts/AC1/OutgoingCallerIds.json?PhoneNumber=%2B1 HTTP/1.1\r\n"
                      "Host: api.example\r\n"
                      "Authorization: Basic QUMxOnMzY3IzdA==\r\n"
                      "User-Agent: ua/1\r\n"
                      "Accept: application/json\r\n"
                      "Connection: keep-alive\r\n"
                      "\r\n");
}

static void test_connect_asks_for_host_and_port(void**) {
  Result<HttpUrl> url = ParseHttpsUrl("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json");
  assert_true(url.ok());
  assert_string_equal(FormatConnect(url.value(), "ua/1").c_str(),
                      "CONNECT api.twilio.com:443 HTTP/1.1\r\nHost: api.twilio.com:443\r\nUser-Agent: ua/1\r\n\r\n");
}

static void test_reply_with_content_length(void**) {
  AssertComplete("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nRETRY-after:  7 \r\n"
                 "Content-Length: 11\r\n\r\n{\"sid\":\"x\"}",
                 201, "{\"sid\":\"x\"}", "7", true);
}

static void test_chunked_reply_with_extension_and_trailer(void**) {
  AssertComplete("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nX-Trailer: t\r\nRetry-After: 9\r\n\r\n",
                 200, "{\"a\":1}", "", true);
}

static void test_connection_close_and_http10_end_the_connection(void**) {
  AssertComplete("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", 503, "{}", "",
                 false);
  AssertComplete("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}", 200, "{}", "", false);
}

static void test_interim_reply_is_skipped(void**) {
  AssertComplete("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n"
                 "Content-Length: 0\r\n\r\n",
                 429, "", "1", true);
}

static void test_body_until_close_completes_on_finish(void**) {
  ResponseParser parser(kCap, false);
  assert_int_equal(static_cast<int>(Parse(parser, "HTTP/1.1 200 OK\r\n\r\n{\"a\":1}", 3)),
                   static_cast<int>(ResponseParser::State::kIncomplete));
  assert_int_equal(static_cast<int>(parser.Finish()), static_cast<int>(ResponseParser::State::kComplete));
  assert_string_equal(parser.TakeBody().c_str(), "{\"a\":1}");
  assert_false(parser.keep_alive());
}

static void test_reply_cut_short_stays_incomplete(void**) {
  ResponseParser parser(kCap, false);
  assert_int_equal(static_cast<int>(Parse(parser, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345", 0, true)),
                   static_cast<int>(ResponseParser::State::kIncomplete));
  assert_int_equal(parser.body_received(), 5);
  assert_true(parser.body_expected().has_value());
  assert_int_equal(*parser.body_expected(), 10);
  ResponseParser nothing(kCap, false);
  assert_int_equal(static_cast<int>(nothing.Finish()), static_cast<int>(ResponseParser::State::kIncomplete));
  assert_int_equal(nothing.bytes_received(), 0);
}

static void test_body_over_the_cap_is_too_large(void**) {
  const std::string body(kCap, 'x');
  // Exactly the cap is fine.
  AssertComplete("HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n" + body, 200, body.c_str(), "", true);
  // A Content-Length over the cap is refused before the body comes.
  ResponseParser announced(kCap, false);
  assert_int_equal(static_cast<int>(Parse(announced, "HTTP/1.1 200 OK\r\nContent-Length: 10485760\r\n\r\n", 0)),
                   static_cast<int>(ResponseParser::State::kTooLarge));
  // A chunked body that grows past it, fed in small pieces.
  ResponseParser chunked(kCap, false);
  const std::string chunks = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" + std::string(32, 'a') +
                             "\r\n21\r\n" + std::string(33, 'b') + "\r\n0\r\n\r\n";
  assert_int_equal(static_cast<int>(Parse(chunked, chunks, 5)), static_cast<int>(ResponseParser::State::kTooLarge));
  assert_true(chunked.body_received() <= kCap);
}

static void test_garbage_is_malformed(void**) {
  for (const char* garbage : {"<html>hello</html>\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1  20 OK\r\n\r\n",
                              "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                              "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"}) {
    ResponseParser parser(kCap, false);
    assert_int_equal(static_cast<int>(Parse(parser, garbage, 0)), static_cast<int>(ResponseParser::State::kMalformed));
    assert_non_null(parser.error());
  }
}

static void test_bytes_after_the_reply_make_the_connection_unusable(void**) {
  ResponseParser parser(kCap, false);
  assert_int_equal(static_cast<int>(Parse(parser, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1", 0)),
                   static_cast<int>(ResponseParser::State::kComplete));
  assert_false(parser.keep_alive());
  ResponseParser later(kCap, false);
  (void)Parse(later, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 0);
  assert_true(later.keep_alive());
  (void)later.Feed("x");
  assert_false(later.keep_alive());
  ResponseParser closed(kCap, false);
  (void)Parse(closed, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 0, /*close=*/true);
  assert_false(closed.keep_alive());
}

static void test_long_or_unprintable_retry_after_is_ignored(void**) {
  AssertComplete("HTTP/1.1 429 Too Many Requests\r\nRetry-After: " + std::string(100, '9') +
                     "\r\nX-Retry-After-Not: 5\r\nContent-Length: 0\r\n\r\n",
                 429, "", "", true);
  AssertComplete("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\xe8" "2\r\nContent-Length: 0\r\n\r\n", 429, "", "",
                 true);
}

static void test_connect_reply_ends_with_its_header(void**) {
  ResponseParser parser(0, true);
  assert_int_equal(static_cast<int>(Parse(parser, "HTTP/1.1 200 Connection established\r\n\r\n", 1)),
                   static_cast<int>(ResponseParser::State::kComplete));
  assert_int_equal(parser.status(), 200);
  ResponseParser refused(0, true);
  assert_int_equal(
      static_cast<int>(Parse(refused, "HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\n", 0)),
      static_cast<int>(ResponseParser::State::kComplete));
  assert_int_equal(refused.status(), 403);
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_form_is_percent_encoded),
      cmocka_unit_test(test_basic_authorization_is_base64_of_user_and_password),
      cmocka_unit_test(test_post_carries_every_header_and_the_body),
      cmocka_unit_test(test_get_carries_the_same_headers_and_no_body),
      cmocka_unit_test(test_connect_asks_for_host_and_port),
      cmocka_unit_test(test_reply_with_content_length),
      cmocka_unit_test(test_chunked_reply_with_extension_and_trailer),
      cmocka_unit_test(test_connection_close_and_http10_end_the_connection),
      cmocka_unit_test(test_interim_reply_is_skipped),
      cmocka_unit_test(test_body_until_close_completes_on_finish),
      cmocka_unit_test(test_reply_cut_short_stays_incomplete),
      cmocka_unit_test(test_body_over_the_cap_is_too_large),
      cmocka_unit_test(test_garbage_is_malformed),
      cmocka_unit_test(test_bytes_after_the_reply_make_the_connection_unusable),
      cmocka_unit_test(test_long_or_unprintable_retry_after_is_ignored),
      cmocka_unit_test(test_connect_reply_ends_with_its_header),
  };
  return cmocka_run_group_tests_name("http_message", tests, nullptr, nullptr);
}
