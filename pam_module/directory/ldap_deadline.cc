#include "directory/ldap_deadline.h"

#include <lber.h>
#include <poll.h>

#include <cerrno>

namespace twotp {
namespace {

// Above TCP (LBER_SBIOD_LEVEL_PROVIDER, which libldap adds after our
// connect callback has run) and below TLS (LBER_SBIOD_LEVEL_TRANSPORT):
// Sockbuf layers are ordered by level, not by when they were added.
constexpr int kLevel = (LBER_SBIOD_LEVEL_PROVIDER + LBER_SBIOD_LEVEL_TRANSPORT) / 2;

LdapDeadline* DeadlineOf(Sockbuf_IO_Desc* sbiod) { return static_cast<LdapDeadline*>(sbiod->sbiod_pvt); }

bool WouldBlock() { return errno == EAGAIN || errno == EWOULDBLOCK; }

// Waits until the socket under `sbiod` is ready for `events` or the deadline
// passes; false (errno ETIMEDOUT) if it passed.
bool WaitReady(Sockbuf_IO_Desc* sbiod, short events) {
  ber_socket_t fd = -1;
  ber_sockbuf_ctrl(sbiod->sbiod_sb, LBER_SB_OPT_GET_FD, &fd);
  for (;;) {
    const int left = DeadlineOf(sbiod)->RemainingMs();
    pollfd p{fd, events, 0};
    const int n = left > 0 ? poll(&p, 1, left) : 0;
    if (n > 0) return true;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;  // poll's own errno
    errno = ETIMEDOUT;
    return false;
  }
}

int Setup(Sockbuf_IO_Desc* sbiod, void* arg) {
  sbiod->sbiod_pvt = arg;
  return 0;
}
int Remove(Sockbuf_IO_Desc*) { return 0; }
int Ctrl(Sockbuf_IO_Desc* sbiod, int opt, void* arg) { return LBER_SBIOD_CTRL_NEXT(sbiod, opt, arg); }
int Close(Sockbuf_IO_Desc*) { return 0; }  // the TCP layer below closes the socket

// Runs `io` (a read or write by the layer below); if it would block, waits
// for the socket, once, until the deadline, and runs it again. libldap's
// own loop calls again for the rest.
template <typename Io>
ber_slen_t WithDeadline(Sockbuf_IO_Desc* sbiod, short events, Io io) {
  ber_slen_t n = io();
  if (n < 0 && WouldBlock()) {
    if (!WaitReady(sbiod, events)) return -1;
    n = io();
  }
  return n;
}
ber_slen_t Read(Sockbuf_IO_Desc* sbiod, void* buf, ber_len_t len) {
  return WithDeadline(sbiod, POLLIN, [&] { return LBER_SBIOD_READ_NEXT(sbiod, buf, len); });
}
ber_slen_t Write(Sockbuf_IO_Desc* sbiod, void* buf, ber_len_t len) {
  return WithDeadline(sbiod, POLLOUT, [&] { return LBER_SBIOD_WRITE_NEXT(sbiod, buf, len); });
}

Sockbuf_IO kDeadlineLayer = {Setup, Remove, Ctrl, Read, Write, Close};

}  // namespace

bool LdapDeadline::Install(LDAP* ld) {
  callback_.lc_add = &LdapDeadline::OnConnect;
  callback_.lc_del = &LdapDeadline::OnClose;
  callback_.lc_arg = this;
  return ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &callback_) == LDAP_OPT_SUCCESS;
}

void LdapDeadline::Arm(std::chrono::milliseconds budget) { deadline_ = std::chrono::steady_clock::now() + budget; }

int LdapDeadline::RemainingMs() const {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

int LdapDeadline::OnConnect(LDAP*, Sockbuf* sb, LDAPURLDesc*, struct sockaddr*, ldap_conncb* ctx) {
  return ber_sockbuf_add_io(sb, &kDeadlineLayer, kLevel, ctx->lc_arg);
}

void LdapDeadline::OnClose(LDAP*, Sockbuf*, ldap_conncb*) {}

}  // namespace twotp
