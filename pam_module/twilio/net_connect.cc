#include "twilio/net_connect.h"
#include "base/sys_text.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <memory>
#include <system_error>
#include <utility>

namespace twotp {

namespace {

using std::chrono::milliseconds;

// Descriptors that must be free before a name lookup (see CheckSpareDescriptors).
constexpr int kSparePipes = 4;

bool OutOfResources(int err) { return err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOBUFS; }

Status OutOfResourcesStatus(const std::string& what, int err) {
  return Status::Internal(what + ": " + ErrnoText(err) + " (this process is out of descriptors or memory)");
}

IoResult Stopped(int err, size_t bytes) {
  const bool closed = err == ECONNRESET || err == EPIPE || err == ECONNABORTED;
  return {closed ? IoResult::kClosed : IoResult::kFailed, bytes, ErrnoText(err)};
}

// glibc's getaddrinfo answers "Name or service not known" when it could not
// even look: /etc/hosts or a DNS socket could not be opened for want of a
// descriptor. The caller of a setuid program chooses RLIMIT_NOFILE, so
// before a lookup a few descriptors must be free (the lookup runs while this
// thread waits and opens nothing): if they are not, the log says it was our
// resource failure (kInternal), not a name that does not resolve.
Status CheckSpareDescriptors() {
  UniqueFd spare[2 * kSparePipes];
  for (int i = 0; i < kSparePipes; ++i) {
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) != 0) return OutOfResourcesStatus("before a name lookup", errno);
    spare[2 * i].Reset(ends[0]);
    spare[2 * i + 1].Reset(ends[1]);
  }
  return Status::Ok();
}

struct AddrinfoFree {
  void operator()(addrinfo* list) const { freeaddrinfo(list); }
};
using AddrinfoPtr = std::unique_ptr<addrinfo, AddrinfoFree>;

// One asynchronous lookup: everything glibc's resolver thread may still
// read or write while it works on it.
struct Lookup {
  std::string name;
  std::string service;
  addrinfo hints{};
  gaicb request{};
};

addrinfo Hints(int flags) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = AI_NUMERICSERV | flags;
  return hints;
}

Status LookupFailed(const std::string& host, int answer) {
  if (answer == EAI_MEMORY) return Status::Internal("name lookup of " + host + ": out of memory");
  // Never witnessed (net_connect.h): the same answers come from a resolver
  // that merely ran out of what the caller's limits allow.
  return Status::Unavailable("Could not resolve host: " + host + " (" + gai_strerror(answer) + ")");
}

// The addresses of `host`, looked up on glibc's resolver thread while this
// one waits no longer than `deadline`.
Result<AddrinfoPtr> Resolve(const std::string& host, uint16_t port, const Deadline& deadline) {
  const std::string service = std::to_string(port);
  // An address literal: parsed here, no resolver, no thread.
  const addrinfo numeric = Hints(AI_NUMERICHOST);
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), service.c_str(), &numeric, &found) == 0) return AddrinfoPtr(found);

  if (Status spare = CheckSpareDescriptors(); !spare.ok()) return spare;
  auto lookup = std::make_unique<Lookup>();
  lookup->name = host;
  lookup->service = service;
  lookup->hints = Hints(0);
  lookup->request.ar_name = lookup->name.c_str();
  lookup->request.ar_service = lookup->service.c_str();
  lookup->request.ar_request = &lookup->hints;
  gaicb* list[1] = {&lookup->request};
  if (int started = getaddrinfo_a(GAI_NOWAIT, list, 1, nullptr); started != 0) {
    // No thread (RLIMIT_NPROC, memory) or no memory: ours, not the network's.
    return Status::Internal("name lookup of " + host + " could not start: " + gai_strerror(started));
  }
  for (;;) {
    const int left = deadline.RemainingMs();
    const timespec wait{left / 1000, (left % 1000) * 1000000L};
    (void)gai_suspend(list, 1, &wait);  // returns early on a signal; gai_error says where it stands
    int answer = gai_error(&lookup->request);
    if (answer == EAI_INPROGRESS && left == 0) {
      // Past the deadline, and it was not done at the last look either.
      const int cancel = gai_cancel(&lookup->request);
      if (cancel == EAI_ALLDONE) {
        answer = gai_error(&lookup->request);  // it finished meanwhile: use it
      } else {
        // EAI_NOTCANCELED: the resolver thread is working on it and will
        // still write the result into the request. It can't be freed under
        // that thread, so it is left allocated: a few hundred bytes, once
        // per login that timed out in its lookup.
        if (cancel == EAI_NOTCANCELED) (void)lookup.release();
        return Status::Unavailable("Timeout was reached: resolving " + host);
      }
    }
    if (answer == EAI_INPROGRESS) continue;  // a signal, or time is left
    if (answer != 0) return LookupFailed(host, answer);
    return AddrinfoPtr(lookup->request.ar_result);
  }
}

std::string AddressText(const addrinfo& address) {
  char text[NI_MAXHOST] = "?";
  (void)getnameinfo(address.ai_addr, address.ai_addrlen, text, sizeof(text), nullptr, 0, NI_NUMERICHOST);
  return text;
}

// Connects `fd` to `address` by `deadline`.
Status ConnectOne(int fd, const addrinfo& address, uint16_t port, const Deadline& deadline) {
  const std::string where = AddressText(address) + " port " + std::to_string(port);
  int err = 0;
  if (connect(fd, address.ai_addr, address.ai_addrlen) != 0) {
    err = errno;
    if (err == EINPROGRESS || err == EINTR) {  // a non-blocking connect goes on in the background
      const Readiness ready = WaitReady(fd, POLLOUT, deadline);
      if (ready == Readiness::kTimedOut) return Status::Unavailable("Timeout was reached: connecting to " + where);
      if (ready == Readiness::kFailed) return Status::Unavailable("poll: " + ErrnoText(errno));
      socklen_t length = sizeof(err);
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &length) != 0) err = errno;
    }
  }
  if (err == 0) return Status::Ok();
  if (OutOfResources(err)) return OutOfResourcesStatus("connect to " + where, err);
  Status failed = Status::Unavailable("Couldn't connect to server: " + where + ": " + ErrnoText(err));
  if (err == ECONNREFUSED || err == ENETUNREACH || err == EHOSTUNREACH) failed.Witnessed();
  return failed;
}

}  // namespace

int Deadline::RemainingMs() const {
  const auto left = at_ - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<milliseconds>(left).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

Readiness WaitReady(int fd, short events, const Deadline& deadline) {
  for (;;) {
    const int left = deadline.RemainingMs();
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, left);
    if (n > 0) return Readiness::kReady;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Readiness::kFailed;
    if (left == 0) return Readiness::kTimedOut;  // that was the last look, after the deadline
  }
}

IoResult PlainStream::WriteAll(std::string_view data, const Deadline& deadline) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const Readiness ready = WaitReady(fd_, POLLOUT, deadline);
      if (ready == Readiness::kTimedOut) return {IoResult::kTimedOut, done, ""};
      if (ready == Readiness::kFailed) return Stopped(errno, done);
      continue;
    }
    return Stopped(errno, done);
  }
  return {IoResult::kOk, done, ""};
}

IoResult PlainStream::ReadSome(char* buffer, size_t capacity, const Deadline& deadline) {
  for (;;) {
    const ssize_t n = recv(fd_, buffer, capacity, 0);
    if (n > 0) return {IoResult::kOk, static_cast<size_t>(n), ""};
    if (n == 0) return {IoResult::kClosed, 0, "the connection was closed"};
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Stopped(errno, 0);
    const Readiness ready = WaitReady(fd_, POLLIN, deadline);
    if (ready == Readiness::kTimedOut) return {IoResult::kTimedOut, 0, ""};
    if (ready == Readiness::kFailed) return Stopped(errno, 0);
  }
}

Result<UniqueFd> ConnectTcp(const std::string& host, uint16_t port, const Deadline& deadline) {
  Result<AddrinfoPtr> addresses = Resolve(host, port, deadline);
  if (!addresses.ok()) return addresses.status();
  int count = 0;
  for (const addrinfo* a = addresses.value().get(); a != nullptr; a = a->ai_next) ++count;

  Status last = Status::Unavailable("Couldn't connect to server: " + host + " has no usable address");
  bool all_witnessed = true;  // every address tried said no in a way the caller can't fake
  int tried = 0;
  int index = 0;
  for (const addrinfo* a = addresses.value().get(); a != nullptr; a = a->ai_next, ++index) {
    // Each address may take its share of what is left, so that one that
    // never answers leaves time for the next.
    const int shares = count - index;
    const Deadline share = shares > 1 ? Deadline::After(milliseconds(deadline.RemainingMs() / shares)) : deadline;
    UniqueFd fd(socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (!fd.valid()) {
      if (OutOfResources(errno)) return OutOfResourcesStatus("socket", errno);
      last = Status::Unavailable("socket for " + AddressText(*a) + ": " + ErrnoText(errno));
      continue;  // this address family is not available here: try the next
    }
    ++tried;
    Status connected = ConnectOne(fd.get(), *a, port, share);
    if (connected.ok()) {
      const int on = 1;
      (void)setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));  // requests are one write
      return fd;
    }
    if (connected.Is(Fault::kInternal)) return connected;
    all_witnessed = all_witnessed && connected.witnessed();
    last = std::move(connected);
  }
  if (tried == 0 || !all_witnessed) return Status::Unavailable(last.message());  // never a witness
  return last;
}

}  // namespace twotp
