// The network under the HTTPS transport, without TLS or HTTP: a deadline,
// waiting on a socket, a name lookup that cannot outlive its deadline, a TCP
// connect that says whether its failure is the network's own word, and a
// plain byte stream (what a proxy's CONNECT is spoken over).
//
// Nothing here reads the environment, and nothing raises SIGPIPE (every
// write is send(2) with MSG_NOSIGNAL).
#ifndef PAM_TWILIO_OTP_NET_CONNECT_H_
#define PAM_TWILIO_OTP_NET_CONNECT_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/unique_fd.h"
#include "base/sys_text.h"

namespace twotp {

// A point in (real, monotonic) time by which something must be done.
class Deadline {
 public:
  explicit Deadline(std::chrono::steady_clock::time_point at) : at_(at) {}
  static Deadline After(std::chrono::milliseconds from_now) {
    return Deadline(std::chrono::steady_clock::now() + from_now);
  }
  // Whole milliseconds left, rounded up; 0 once passed.
  int RemainingMs() const;

 private:
  std::chrono::steady_clock::time_point at_;
};

enum class Readiness { kReady, kTimedOut, kFailed };

// Waits until `fd` is ready for `events` (POLLIN, POLLOUT) or `deadline`
// passes. Once it has passed, looks once more without waiting: what has
// already arrived is used, never called a timeout (a caller who stops its
// own process past the deadline must not turn a reply into an outage).
// Ready includes an error or hang-up on `fd`: the next I/O call says which.
// kFailed: poll(2) itself failed (errno says why).
Readiness WaitReady(int fd, short events, const Deadline& deadline);

// What one read or write on a ByteStream came to.
struct IoResult {
  enum Kind {
    kOk,        // `bytes` moved (never 0)
    kClosed,    // the peer closed or reset the connection
    kTimedOut,  // the deadline passed first
    kFailed,    // anything else (a TLS error, an unexpected errno)
  };
  Kind kind = kOk;
  size_t bytes = 0;    // kOk: how many; WriteAll: how many were written before it stopped
  std::string detail;  // kClosed, kFailed: what the system or TLS said
};

// A connected byte stream whose every read and write ends by a deadline.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Writes all of `data` (kOk, bytes == data.size()) or says why not.
  virtual IoResult WriteAll(std::string_view data, const Deadline& deadline) = 0;
  // Reads what is there, at most `capacity` bytes, waiting until the
  // deadline for the first one.
  virtual IoResult ReadSome(char* buffer, size_t capacity, const Deadline& deadline) = 0;
};

// A connected non-blocking socket as a ByteStream. Does not own `fd`.
class PlainStream : public ByteStream {
 public:
  explicit PlainStream(int fd) : fd_(fd) {}
  IoResult WriteAll(std::string_view data, const Deadline& deadline) override;
  IoResult ReadSome(char* buffer, size_t capacity, const Deadline& deadline) override;

 private:
  int fd_;
};

// Finds the addresses of `host` (an IP address literal needs no lookup;
// a name is looked up with getaddrinfo_a, so the lookup ends with the
// deadline) and connects to each in turn until one accepts. Returns a
// connected, non-blocking, close-on-exec TCP socket.
//
// On failure the message names the host or address and port, in libcurl's
// words where it had some ("Could not resolve host: ...", "Couldn't connect
// to server: 127.0.0.1 port 1: Connection refused", "Timeout was reached:
// ...") so that log watchers keep matching. The Status is:
//  - kUnavailable and Witnessed() when the network itself said no: every
//    address tried refused or was unreachable (ECONNREFUSED, ENETUNREACH,
//    EHOSTUNREACH). A failed name lookup never is: glibc answers "Name or
//    service not known" when it merely ran out of descriptors or memory,
//    limits the caller of a setuid program sets;
//  - kUnavailable, not witnessed, for timeouts and every other failure;
//  - kInternal when this process ran out of descriptors or memory, or the
//    lookup could not be started: limits the caller of a setuid program sets.
Result<UniqueFd> ConnectTcp(const std::string& host, uint16_t port, const Deadline& deadline);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_NET_CONNECT_H_
