// twilio/https_transport: HttpsTransport against real sockets on loopback, in
// this process: TLS servers on a thread (tests/common/loopback_server.h), a
// port that refuses, a port that listens and never answers. What is proved: the
// budget (on a fake clock), https only, the request's bytes, Content-Length and
// chunked replies, Retry-After, the reply cap, keep-alive and the one
// reconnect, certificate checks, the proxy tunnel, which failures are
// witnessed, and that running out of descriptors is our fault. The layer below
// (deadlines, lookups) is tests/unit/test_net_connect.cc. No timed assertions:
// short timeouts only bound what would otherwise hang.
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fake_clock.h"
#include "twilio/https_transport.h"
#include "loopback_server.h"
#include "twilio/net_connect.h"
#include "temp_files.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;
using std::chrono::milliseconds;
using twotp_test::InChild;
using twotp_test::LoopbackServer;
using twotp_test::Pki;
using twotp_test::QuietPort;
using twotp_test::ServerConn;

namespace {

constexpr char kUser[] = "AC1";
constexpr char kPassword[] = "s3cr3t-auth-token";
constexpr char kBasic[] = "Authorization: Basic QUMxOnMzY3IzdC1hdXRoLXRva2Vu\r\n";  // base64("AC1:s3cr3t-auth-token")
constexpr char kCode[] = "918273";
constexpr char kOk[] =
    "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"sid\":\"x\"}";

twotp_test::TempDir& Dir() {
  static twotp_test::TempDir dir;
  return dir;
}
std::string CaFile() { return Dir().File("ca.pem"); }

// Every reading of the clock is 3 s later than the last, so a request
// measured with it takes 3 s.
class SteppingClock : public FakeClock {
 public:
  std::chrono::steady_clock::time_point Now() override {
    Advance(milliseconds(3000));
    return FakeClock::Now();
  }
};

TransportOptions Options(milliseconds budget = milliseconds(20000), milliseconds timeout = milliseconds(2000)) {
  TransportOptions options;
  options.ca_file = CaFile();
  options.total_budget = budget;
  options.request_timeout = timeout;
  options.max_response_bytes = 1024;
  return options;
}

Form CodeForm() {
  Form form;
  form.push_back({"Code", Secret(kCode)});
  form.push_back({"To", Secret("+1 555")});
  return form;
}

bool Contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

void AssertNoSecrets(const Status& status) {
  assert_false(Contains(status.message(), kPassword));
  assert_false(Contains(status.message(), kCode));
  assert_false(Contains(status.message(), "QUMxOnMzY3IzdC1hdXRoLXRva2Vu"));
}

// A transport with the test's credentials and a fake clock.
struct Client {
  explicit Client(TransportOptions options = Options())
      : transport(std::move(options), kUser, Secret(kPassword), clock) {}
  // One request that must get a reply; says why when it does not.
  HttpResponse Post(const std::string& url) {
    Result<HttpResponse> reply = transport.PostForm(url, CodeForm());
    if (!reply.ok()) print_error("%s: %s\n", url.c_str(), reply.status().ToString().c_str());
    assert_true(reply.ok());
    return std::move(reply.value());
  }
  FakeClock clock;  // before the transport, which keeps a reference to it
  HttpsTransport transport;
};

// One request through a fresh transport that is expected to fail.
Status PostOnce(const TransportOptions& options, const std::string& url) {
  Client client(options);
  Result<HttpResponse> reply = client.transport.PostForm(url, CodeForm());
  assert_false(reply.ok());
  AssertNoSecrets(reply.status());
  return reply.status();
}

// Asserts `reply` is an outage the caller could have caused: never witnessed.
void AssertUnwitnessedOutage(const Status& status, const char* cause) {
  if (!status.Is(Fault::kUnavailable) || status.witnessed() || !Contains(status.message(), cause)) {
    print_error("expected an unwitnessed outage naming \"%s\", got %s%s\n", cause, status.ToString().c_str(),
                status.witnessed() ? " (witnessed)" : "");
    fail();
  }
}

// Handlers for the loopback server.
void AnswerEach(ServerConn& conn, const std::string& reply) {
  while (!conn.ReadRequest().empty()) conn.Send(reply);
}
// Holds the connection without a word until the client goes away.
void WaitForClientToLeave(ServerConn& conn) {
  char byte;
  while (conn.Read(&byte, 1) > 0) {
  }
}

// A proxy that takes CONNECT to 127.0.0.1:PORT, answers `status`, and on
// 200 relays bytes both ways until either side closes.
void Proxy(ServerConn& conn, int status) {
  const std::string head = conn.ReadRequest();
  const size_t colon = head.find(':', head.find(' '));
  if (head.rfind("CONNECT 127.0.0.1:", 0) != 0 || colon == std::string::npos) return;
  if (status != 200) {
    conn.Send("HTTP/1.1 " + std::to_string(status) + " Forbidden\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  const int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(std::atoi(head.c_str() + colon + 1)));
  if (connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) return (void)close(upstream);
  conn.Send("HTTP/1.1 200 Connection established\r\n\r\n");
  pollfd ends[2] = {{conn.fd(), POLLIN, 0}, {upstream, POLLIN, 0}};
  char buffer[4096];
  for (bool open = true; open && poll(ends, 2, 5000) > 0;) {
    for (int i = 0; i < 2 && open; ++i) {
      if (ends[i].revents == 0) continue;
      const ssize_t n = recv(ends[i].fd, buffer, sizeof(buffer), 0);
      open = n > 0 && send(ends[1 - i].fd, buffer, static_cast<size_t>(n), MSG_NOSIGNAL) == n;
    }
  }
  close(upstream);
}

}  // namespace

static void test_spent_budget_fails_at_once(void**) {
  Status status = PostOnce(Options(milliseconds(0)), "https://127.0.0.1:1/x");
  assert_true(status.Is(Fault::kUnavailable));
  assert_false(status.witnessed());
  assert_true(Contains(status.message(), "budget"));
}

static void test_plain_http_and_malformed_urls_are_config_errors(void**) {
  for (const char* url : {"http://127.0.0.1:1/x", "https://user:pw@127.0.0.1:1/x", "https://127.0.0.1:1/a b"}) {
    Status status = PostOnce(Options(), url);
    assert_true(status.Is(Fault::kConfig));  // a wrong URL, never an outage that failmode=safe could pass
    assert_true(Contains(status.message(), "127.0.0.1:1"));
  }
}

static void test_refused_connect_is_witnessed_and_named_without_secrets(void**) {
  QuietPort closed(/*listening=*/false);
  Status status = PostOnce(Options(), closed.url("/v2/Services/VAx?Code=1"));
  assert_true(status.Is(Fault::kUnavailable));
  assert_true(status.witnessed());  // the network's own word, before any byte of the request
  assert_true(Contains(status.message(), ("127.0.0.1:" + std::to_string(closed.port()) + " failed").c_str()));
  assert_true(Contains(status.message(), "Couldn't connect to server"));
  assert_true(Contains(status.message(), "Connection refused"));
  assert_false(Contains(status.message(), "/v2/Services"));
}

static void test_each_request_spends_its_elapsed_time(void**) {
  QuietPort closed(false);
  SteppingClock clock;
  HttpsTransport transport(Options(milliseconds(7000)), kUser, Secret(kPassword), clock);
  (void)transport.PostForm(closed.url(), CodeForm());
  assert_int_equal(transport.budget_left().count(), 4000);
  (void)transport.PostForm(closed.url(), CodeForm());
  assert_int_equal(transport.budget_left().count(), 1000);
  (void)transport.PostForm(closed.url(), CodeForm());
  assert_int_equal(transport.budget_left().count(), 0);  // never negative
  Result<HttpResponse> reply = transport.PostForm(closed.url(), CodeForm());
  assert_true(Contains(reply.status().message(), "budget"));
}

static void test_spend_counts_against_budget(void**) {
  Client client(Options(milliseconds(3000)));
  client.transport.Spend(milliseconds(1000));
  assert_int_equal(client.transport.budget_left().count(), 2000);
  client.transport.Spend(milliseconds(5000));
  assert_int_equal(client.transport.budget_left().count(), 0);
}

static void test_server_that_never_speaks_is_an_unwitnessed_timeout(void**) {
  QuietPort silent(/*listening=*/true);  // TCP is accepted by the kernel; TLS never answered
  Status status = PostOnce(Options(milliseconds(20000), milliseconds(300)), silent.url());
  AssertUnwitnessedOutage(status, "Timeout was reached");
}

static void test_request_bytes_and_reply_with_content_length(void**) {
  LoopbackServer server([](ServerConn& c) {
    AnswerEach(c, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Length: 14\r\n\r\n{\"code\":20429}");
  }, &Pki().server);
  const HttpResponse reply = Client().Post(server.url("/v2/Services/VA1/Verifications"));
  assert_int_equal(reply.status, 429);
  assert_string_equal(reply.retry_after.c_str(), "2");
  assert_string_equal(reply.body.c_str(), "{\"code\":20429}");
  const std::string request = server.requests().at(0);
  assert_true(request.rfind("POST /v2/Services/VA1/Verifications HTTP/1.1\r\n", 0) == 0);
  assert_true(Contains(request, ("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n").c_str()));
  assert_true(Contains(request, kBasic));
  assert_true(Contains(request, "\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
  assert_true(Contains(request, "\r\nAccept: application/json\r\n"));
  assert_true(Contains(request, "\r\n\r\nCode=918273&To=%2B1%20555"));
}

static void test_chunked_reply(void**) {
  LoopbackServer server([](ServerConn& c) {
    AnswerEach(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n");
  }, &Pki().server);
  const HttpResponse reply = Client().Post(server.url());
  assert_int_equal(reply.status, 200);
  assert_string_equal(reply.body.c_str(), "{\"a\":1}");
  assert_string_equal(reply.retry_after.c_str(), "");
}

static void test_reply_over_the_cap_names_the_cap(void**) {
  const std::string big(2000, 'x');
  for (const std::string& reply :
       {"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" + big,
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" + big + "\r\n0\r\n\r\n"}) {
    LoopbackServer server([&reply](ServerConn& c) { AnswerEach(c, reply); }, &Pki().server);
    AssertUnwitnessedOutage(PostOnce(Options(), server.url()), "too large (over 1024 bytes)");
  }
}

static void test_a_redirect_is_a_reply_not_followed(void**) {
  LoopbackServer server([](ServerConn& c) {
    AnswerEach(c, "HTTP/1.1 302 Found\r\nLocation: https://another-host.invalid/x\r\nContent-Length: 0\r\n\r\n");
  }, &Pki().server);
  assert_int_equal(Client().Post(server.url()).status, 302);
  assert_int_equal(server.requests().size(), 1);
}

static void test_keep_alive_sends_every_request_on_one_connection(void**) {
  LoopbackServer server([](ServerConn& c) { AnswerEach(c, kOk); }, &Pki().server);
  Client client;
  for (int i = 0; i < 3; ++i) (void)client.Post(server.url());
  assert_int_equal(server.requests().size(), 3);
  assert_int_equal(server.connections(), 1);
}

static void test_connection_close_is_honoured(void**) {
  LoopbackServer server([](ServerConn& c) {
    if (!c.ReadRequest().empty()) c.Send("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
  }, &Pki().server);
  Client client;
  (void)client.Post(server.url());
  (void)client.Post(server.url());
  assert_int_equal(server.connections(), 2);
}

// The server drops a kept connection while it sits idle, with a FIN or with
// a reset: the next request finds it dead before any reply and goes again
// on a new connection. Writing to the reset socket must not raise SIGPIPE
// (its default action would end this test binary, as it would sshd).
static void test_kept_connection_dropped_while_idle_is_reopened(void**) {
  for (bool reset : {false, true}) {
    std::atomic<bool> read{false};  // the client has read the reply: the server may drop the connection
    LoopbackServer server([reset, &read](ServerConn& c) {
      if (c.ReadRequest().empty()) return;
      c.Send(kOk);
      for (int waited = 0; !read && waited < 5000; ++waited) usleep(1000);
      if (reset) c.ResetOnClose();
    }, &Pki().server);
    Client client;
    for (int i = 0; i < 3; ++i) {
      (void)client.Post(server.url());
      read = true;
      assert_true(server.WaitClosed(i + 1));  // gone before the next request is written
      read = false;
    }
    assert_int_equal(server.connections(), 3);
    assert_int_equal(server.requests().size(), 3);
  }
}

// The server closes the kept connection as the next request arrives, without
// a reply: that request goes again, once, on a new connection.
static void test_kept_connection_closed_at_the_next_request_is_reopened_once(void**) {
  for (bool reset : {false, true}) {
    LoopbackServer server([reset](ServerConn& c) {
      if (c.ReadRequest().empty()) return;
      c.Send(kOk);
      if (c.ReadRequest().empty()) return;
      if (reset) c.ResetOnClose();
    }, &Pki().server);
    Client client;
    for (int i = 0; i < 3; ++i) (void)client.Post(server.url());
    assert_int_equal(server.connections(), 3);
    assert_int_equal(server.requests().size(), 5);  // requests 2 and 3 went twice
  }
}

static void test_close_without_reply_on_a_new_connection_is_not_retried(void**) {
  LoopbackServer server([](ServerConn& c) { (void)c.ReadRequest(); }, &Pki().server);
  AssertUnwitnessedOutage(PostOnce(Options(), server.url()), "Empty reply from server");
  assert_int_equal(server.connections(), 1);
}

static void test_reply_cut_short_is_an_unwitnessed_partial_file(void**) {
  LoopbackServer server([](ServerConn& c) {
    if (!c.ReadRequest().empty()) c.Send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"sid\":");
  }, &Pki().server);
  Status status = PostOnce(Options(), server.url());
  AssertUnwitnessedOutage(status, "Transferred a partial file");
  assert_true(Contains(status.message(), "7 out of 100 bytes"));
}

static void test_silence_after_the_request_is_an_unwitnessed_timeout(void**) {
  LoopbackServer server([](ServerConn& c) {
    if (!c.ReadRequest().empty()) WaitForClientToLeave(c);
  }, &Pki().server);
  Status status = PostOnce(Options(milliseconds(20000), milliseconds(300)), server.url());
  AssertUnwitnessedOutage(status, "Timeout was reached");
  assert_true(Contains(status.message(), "with 0 bytes received"));
}

static void test_garbled_reply_is_an_unwitnessed_outage(void**) {
  LoopbackServer server([](ServerConn& c) { AnswerEach(c, "<html>not http</html>\r\n"); }, &Pki().server);
  AssertUnwitnessedOutage(PostOnce(Options(), server.url()), "garbled reply");
}

// A certificate that does not verify means a wrong CA, a wrong URL or
// someone in the path: a config error, never an outage failmode=safe passes.
static void test_certificate_that_does_not_verify_is_a_config_error(void**) {
  const struct {
    const twotp_test::KeyAndCert* identity;
    const char* message;
  } cases[] = {
      {&Pki().from_other_ca, "SSL certificate problem: unable to get local issuer certificate"},
      {&Pki().other_name, "SSL: no alternative certificate subject name matches target host name '127.0.0.1'"},
  };
  for (const auto& c : cases) {
    LoopbackServer server([](ServerConn& conn) { AnswerEach(conn, kOk); }, c.identity);
    Status status = PostOnce(Options(), server.url());
    assert_true(status.Is(Fault::kConfig));
    assert_true(Contains(status.message(), c.message));
    assert_true(server.requests().empty());
  }
}

static void test_ca_path_without_our_ca_does_not_verify(void**) {
  LoopbackServer server([](ServerConn& c) { AnswerEach(c, kOk); }, &Pki().server);
  TransportOptions options = Options();
  options.ca_file.clear();
  options.ca_path = Dir().path();  // a directory with no hashed CA in it
  assert_true(PostOnce(options, server.url()).Is(Fault::kConfig));
}

static void test_host_name_is_looked_up_and_checked(void**) {
  LoopbackServer server([](ServerConn& c) { AnswerEach(c, kOk); }, &Pki().server);
  // localhost may be ::1 first, where nothing listens: the next address is tried.
  (void)Client().Post("https://localhost:" + std::to_string(server.port()) + "/v2/x");
  assert_true(Contains(server.requests().at(0), ("\r\nHost: localhost:" + std::to_string(server.port())).c_str()));
}

static void test_proxy_tunnel_carries_tls_to_the_server(void**) {
  LoopbackServer server([](ServerConn& c) { AnswerEach(c, kOk); }, &Pki().server);
  LoopbackServer proxy([](ServerConn& c) { Proxy(c, 200); }, nullptr);
  TransportOptions options = Options();
  options.proxy = "http://127.0.0.1:" + std::to_string(proxy.port());
  Client client(options);
  (void)client.Post(server.url());
  (void)client.Post(server.url());
  const std::string connect = proxy.requests().at(0);
  const std::string target = "127.0.0.1:" + std::to_string(server.port());
  assert_true(connect.rfind("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n", 0) == 0);
  assert_false(Contains(connect, "Authorization"));  // the credentials go inside the tunnel only
  assert_int_equal(proxy.connections(), 1);
  assert_int_equal(server.requests().size(), 2);
}

static void test_proxy_refusing_the_tunnel_is_an_unwitnessed_outage(void**) {
  LoopbackServer proxy([](ServerConn& c) { Proxy(c, 403); }, nullptr);
  TransportOptions options = Options();
  options.proxy = "http://127.0.0.1:" + std::to_string(proxy.port()) + "/";
  AssertUnwitnessedOutage(PostOnce(options, "https://127.0.0.1:9/x"), "refused a tunnel to 127.0.0.1:9 (HTTP 403)");
}

static void test_malformed_proxy_is_a_config_error(void**) {
  TransportOptions options = Options();
  options.proxy = "socks5://127.0.0.1:1080";
  Status status = PostOnce(options, "https://127.0.0.1:9/x");
  assert_true(status.Is(Fault::kConfig));
  assert_true(Contains(status.message(), "twilio.proxy"));
}

// The caller of sudo owns the environment: a proxy or a key log named there
// must change nothing (libcurl read both).
static void test_environment_proxy_and_key_log_are_ignored(void**) {
  LoopbackServer server([](ServerConn& c) { AnswerEach(c, kOk); }, &Pki().server);
  QuietPort dead_proxy(false);
  const std::string proxy = "http://127.0.0.1:" + std::to_string(dead_proxy.port());
  const std::string keylog = Dir().File("keys.log");
  for (const char* name : {"https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"}) setenv(name, proxy.c_str(), 1);
  setenv("SSLKEYLOGFILE", keylog.c_str(), 1);
  setenv("SSL_CERT_FILE", "/nonexistent", 1);
  Client client;
  const bool ok = client.transport.PostForm(server.url(), CodeForm()).ok();
  for (const char* name : {"https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy", "SSLKEYLOGFILE", "SSL_CERT_FILE"}) {
    unsetenv(name);
  }
  assert_true(ok);
  assert_true(server.requests().at(0).rfind("POST ", 0) == 0);
  assert_int_equal(access(keylog.c_str(), F_OK), -1);
}

// The caller chooses RLIMIT_NOFILE: with no descriptor left, the request
// fails as ours (kInternal), never as an outage. For a name, glibc would
// answer "Name or service not known" for a lookup it could not even make.
static void test_out_of_descriptors_is_internal_not_an_outage(void**) {
  SSL_CTX_free(SSL_CTX_new(TLS_client_method()));  // OpenSSL reads its config before the limit
  for (const char* host : {"127.0.0.1", "localhost"}) {
    const int rc = InChild([host] {
      const int lowest = open("/dev/null", O_RDONLY);
      close(lowest);
      const rlimit none{static_cast<rlim_t>(lowest), static_cast<rlim_t>(lowest)};
      if (setrlimit(RLIMIT_NOFILE, &none) != 0) return 2;
      TransportOptions options = Options();
      options.ca_file.clear();  // nothing to open before the socket
      Client client(options);
      Result<HttpResponse> reply = client.transport.PostForm(std::string("https://") + host + ":1/x", CodeForm());
      if (reply.ok()) return 3;
      if (!reply.status().Is(Fault::kInternal)) {
        std::fprintf(stderr, "%s: %s\n", host, reply.status().ToString().c_str());
        return 4;
      }
      return reply.status().witnessed() ? 5 : 0;
    });
    assert_int_equal(rc, 0);
  }
}

static int Setup(void**) {
  if (!Dir().Create("twotp-http-client")) return -1;
  Pki().WriteCa(CaFile());
  return 0;
}

static int Teardown(void**) {
  Dir().Remove();
  return 0;
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spent_budget_fails_at_once),
      cmocka_unit_test(test_plain_http_and_malformed_urls_are_config_errors),
      cmocka_unit_test(test_refused_connect_is_witnessed_and_named_without_secrets),
      cmocka_unit_test(test_each_request_spends_its_elapsed_time),
      cmocka_unit_test(test_spend_counts_against_budget),
      cmocka_unit_test(test_server_that_never_speaks_is_an_unwitnessed_timeout),
      cmocka_unit_test(test_request_bytes_and_reply_with_content_length),
      cmocka_unit_test(test_chunked_reply),
      cmocka_unit_test(test_reply_over_the_cap_names_the_cap),
      cmocka_unit_test(test_a_redirect_is_a_reply_not_followed),
      cmocka_unit_test(test_keep_alive_sends_every_request_on_one_connection),
      cmocka_unit_test(test_connection_close_is_honoured),
      cmocka_unit_test(test_kept_connection_dropped_while_idle_is_reopened),
      cmocka_unit_test(test_kept_connection_closed_at_the_next_request_is_reopened_once),
      cmocka_unit_test(test_close_without_reply_on_a_new_connection_is_not_retried),
      cmocka_unit_test(test_reply_cut_short_is_an_unwitnessed_partial_file),
      cmocka_unit_test(test_silence_after_the_request_is_an_unwitnessed_timeout),
      cmocka_unit_test(test_garbled_reply_is_an_unwitnessed_outage),
      cmocka_unit_test(test_certificate_that_does_not_verify_is_a_config_error),
      cmocka_unit_test(test_ca_path_without_our_ca_does_not_verify),
      cmocka_unit_test(test_host_name_is_looked_up_and_checked),
      cmocka_unit_test(test_proxy_tunnel_carries_tls_to_the_server),
      cmocka_unit_test(test_proxy_refusing_the_tunnel_is_an_unwitnessed_outage),
      cmocka_unit_test(test_malformed_proxy_is_a_config_error),
      cmocka_unit_test(test_environment_proxy_and_key_log_are_ignored),
      cmocka_unit_test(test_out_of_descriptors_is_internal_not_an_outage),
  };
  return cmocka_run_group_tests_name("https_transport", tests, Setup, Teardown);
}
