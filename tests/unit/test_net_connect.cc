// twilio/net_connect: the network layer under the HTTPS transport
// (net_connect.h): what a deadline that has passed still lets through, and what
// counts as a witness.
#include <netdb.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "loopback_server.h"
#include "twilio/net_connect.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;
using twotp_test::InChild;
using twotp_test::QuietPort;

// A caller who stops its own process past the deadline must not turn what
// has already arrived into a timeout: after the deadline, one more look.
static void test_data_already_there_after_the_deadline_is_read(void**) {
  int ends[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends), 0);
  UniqueFd mine(ends[0]);
  UniqueFd theirs(ends[1]);
  const Deadline passed(std::chrono::steady_clock::now() - std::chrono::seconds(5));
  PlainStream stream(mine.get());
  char buffer[16];
  assert_int_equal(stream.ReadSome(buffer, sizeof(buffer), passed).kind, IoResult::kTimedOut);
  assert_int_equal(static_cast<int>(WaitReady(mine.get(), POLLIN, passed)), static_cast<int>(Readiness::kTimedOut));
  assert_int_equal(send(theirs.get(), "reply", 5, 0), 5);
  assert_int_equal(static_cast<int>(WaitReady(mine.get(), POLLIN, passed)), static_cast<int>(Readiness::kReady));
  const IoResult got = stream.ReadSome(buffer, sizeof(buffer), passed);
  assert_int_equal(got.kind, IoResult::kOk);
  assert_int_equal(got.bytes, 5);
  assert_memory_equal(buffer, "reply", 5);
}

static void test_connect_completed_by_the_deadline_is_used(void**) {
  QuietPort listening(true);
  const Deadline passed(std::chrono::steady_clock::now() - std::chrono::seconds(5));
  Result<UniqueFd> connected = ConnectTcp("127.0.0.1", static_cast<uint16_t>(listening.port()), passed);
  if (!connected.ok()) print_error("%s\n", connected.status().ToString().c_str());
  assert_true(connected.ok());
}

static void test_refused_connect_is_witnessed(void**) {
  QuietPort closed(/*listening=*/false);
  Result<UniqueFd> connected =
      ConnectTcp("127.0.0.1", static_cast<uint16_t>(closed.port()), Deadline::After(std::chrono::seconds(5)));
  assert_false(connected.ok());
  assert_true(connected.status().Is(Fault::kUnavailable));
  assert_true(connected.status().witnessed());
  assert_non_null(strstr(connected.status().message().c_str(), "Connection refused"));
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_data_already_there_after_the_deadline_is_read),
      cmocka_unit_test(test_connect_completed_by_the_deadline_is_used),
      cmocka_unit_test(test_refused_connect_is_witnessed),
  };
  return cmocka_run_group_tests_name("net_connect", tests, nullptr, nullptr);
}
