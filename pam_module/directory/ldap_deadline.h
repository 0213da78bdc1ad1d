// A deadline under every read and write of an LDAP connection.
//
// libldap's own timeouts leave one hole: during an ldaps:// TLS handshake
// (libldap 2.5, GnuTLS) it loops on a non-blocking socket without ever
// looking at the clock, so a server that accepts TCP and never answers the
// ClientHello holds the login for ever, at 100% CPU. This layer sits in the
// connection's Sockbuf stack between TCP and TLS: a read or write that
// would block waits in poll(2) until the deadline, then fails with
// ETIMEDOUT, which libldap reports as "can't contact server".
#ifndef PAM_TWILIO_OTP_LDAP_DEADLINE_H_
#define PAM_TWILIO_OTP_LDAP_DEADLINE_H_

#include <ldap.h>

#include <chrono>

namespace twotp {

class LdapDeadline {
 public:
  LdapDeadline() = default;
  LdapDeadline(const LdapDeadline&) = delete;
  LdapDeadline& operator=(const LdapDeadline&) = delete;

  // Every connection `ld` opens from now on gets the layer. This object
  // must outlive `ld` (libldap keeps a pointer to it). False if libldap
  // refused the callback.
  bool Install(LDAP* ld);
  // Allows `budget` from now for what follows (the handshake and bind, or
  // one operation).
  void Arm(std::chrono::milliseconds budget);
  // Milliseconds left, 0 once passed.
  int RemainingMs() const;

 private:
  static int OnConnect(LDAP* ld, Sockbuf* sb, LDAPURLDesc* srv, struct sockaddr* addr, ldap_conncb* ctx);
  static void OnClose(LDAP* ld, Sockbuf* sb, ldap_conncb* ctx);

  ldap_conncb callback_{};
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::now();
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LDAP_DEADLINE_H_
