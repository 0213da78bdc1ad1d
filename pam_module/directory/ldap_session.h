// One connection to one LDAP server, and what every LDAP operation of the
// backend shares: the deadline, the error classes, SIGPIPE, the walk over
// directory.ldap.uri, and one modify. Used for the numbers (ldap_directory)
// and for the fleet state (ldap_fleet_store).
#ifndef PAM_TWILIO_OTP_LDAP_SESSION_H_
#define PAM_TWILIO_OTP_LDAP_SESSION_H_

#include <ldap.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/file_trust.h"
#include "base/logger.h"
#include "base/secret.h"
#include "base/status.h"
#include "config/config.h"
#include "directory/ldap_deadline.h"

namespace twotp {

// RAII owners for what libldap hands out.
struct Unbind {
  void operator()(LDAP* ld) const { ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
struct MsgFree {
  void operator()(LDAPMessage* m) const { ldap_msgfree(m); }
};
struct MemFree {
  void operator()(char* p) const { ldap_memfree(p); }
};
using LdapPtr = std::unique_ptr<LDAP, Unbind>;
using MessagePtr = std::unique_ptr<LDAPMessage, MsgFree>;
using LdapString = std::unique_ptr<char, MemFree>;

// "Can't contact LDAP server (error:0A000086:...certificate verify failed)":
// libldap's text for rc plus the server's or the TLS layer's diagnostic.
std::string Describe(LDAP* ld, int rc);

// kUnavailable for a transient rc, else `otherwise`. Busy and unavailable
// are the server's own answer, so they witness an outage (status.h); a
// connect that fails or times out does not: the caller of the login can
// starve its own process of descriptors or stop it past any deadline.
Status Classify(LDAP* ld, int rc, const std::string& what, Fault otherwise);

// libldap writes with write(2), so a server that closed its end (or a
// refused asynchronous connect) raises SIGPIPE, whose default action would
// kill sshd's or sudo's process. Blocked for this thread while we talk to
// the directory; one raised meanwhile is discarded. The process's own
// signal dispositions are never touched.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    was_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &saved_);
  }
  ~SigpipeBlocked() {
    sigset_t pending;
    if (!was_pending_ && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      const timespec now{0, 0};
      sigtimedwait(&pipe_, nullptr, &now);
    }
    pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t pipe_;
  sigset_t saved_;
  bool was_pending_ = false;
};

// The libldap scope of directory.ldap.scope.
int ScopeOf(const std::string& scope);

// One bound connection to one server; unbound (and freed) when destroyed.
class LdapSession {
 public:
  // kUnavailable: this server can't be used now (try the next); kConfig: it
  // answered and refused us (bad credentials, TLS required, bad CA file).
  Status Open(const std::string& uri, const LdapConfig& c, const Secret* password);
  LDAP* ld() const { return ld_.get(); }
  const std::string& uri() const { return uri_; }
  // Gives the next operation ldap.timeout, on top of libldap's own timeouts.
  void Arm() { deadline_.Arm(budget_); }

 private:
  LdapDeadline deadline_;  // before ld_: libldap uses it until the unbind
  std::chrono::milliseconds budget_{0};
  LdapPtr ld_;
  std::string uri_;
};

// A NULL-terminated char* array over `names` (which must outlive it), for
// libldap's attribute lists.
std::vector<char*> AttributeList(std::vector<std::string>& names);

// One change to an entry: LDAP_MOD_ADD, _DELETE or _REPLACE of `values`
// of `attr`. A delete without values deletes the attribute; a replace
// without values too.
struct LdapChange {
  int op;
  std::string attr;
  std::vector<std::string> values;
};

// Applies `changes` to `dn` in one modify operation (all or nothing).
// kNotFound when a value to delete is not there; kDirectory when a value
// to add already is, or (saying so) when the bind may not write. *rc,
// when given, is libldap's result code.
Status LdapModify(LDAP* ld, const std::string& where, const std::string& dn, std::vector<LdapChange>& changes,
                  int* rc = nullptr);

// Searches base/scope for `filter` asking for `names`, a page at a time
// (RFC 2696), so a server size limit can't cut the result short unnoticed:
// calls each(ld, entry) for every entry. A server that cuts it anyway is
// kDirectory, never a silently short result.
Status LdapSearchPaged(LdapSession& session, const LdapConfig& config, const std::string& filter,
                       std::vector<std::string> names, const std::function<void(LDAP*, LDAPMessage*)>& each);

// Runs `op` on the first server of config.uri that lets it finish: a
// server that can't be reached or used now is logged and the next one
// tried; any answer about the request (found, not found, malformed) is final.
// With `kept`, the connection of an earlier call is tried first, and the
// one that answered is kept for the next call (a login's several reads and
// writes share one TLS handshake and bind); a kept connection that fails
// is dropped and the servers are tried afresh.
template <typename T, typename Op>
Result<T> OnSomeLdapServer(const LdapConfig& config, const FileTrust& trust, Logger& log, const char* what,
                           Op op, std::unique_ptr<LdapSession>* kept = nullptr) {
  const SigpipeBlocked no_sigpipe;  // outlives every use of a session below (unbind writes too)
  if (kept != nullptr && *kept) {
    Result<T> done = op(**kept);
    if (done.ok() || !done.status().Is(Fault::kUnavailable)) return done;
    log.Warning(std::string("ldap ") + what + ": " + done.status().message() + "; connecting again");
    kept->reset();
  }
  std::optional<Secret> password;
  if (!config.bind_password_file.empty()) {
    Result<Secret> read = trust.ReadSecret(config.bind_password_file);
    if (!read.ok()) return read.status();
    password.emplace(std::move(read.value()));
  }
  Status unavailable = Status::Unavailable("no directory.ldap.uri configured");
  Status refused;  // the first definite refusal; it outranks "unavailable"
  bool all_witnessed = !config.uri.empty();  // every server's own word that it is down
  for (size_t i = 0; i < config.uri.size(); ++i) {
    auto session = std::make_unique<LdapSession>();
    Status st = session->Open(config.uri[i], config, password ? &*password : nullptr);
    if (st.ok()) {
      Result<T> done = op(*session);
      // Only "this server, now" moves on: any answer about the user (found,
      // not found, malformed) is the directory's answer, from any replica.
      if (done.ok() || !done.status().Is(Fault::kUnavailable)) {
        if (kept != nullptr) *kept = std::move(session);
        return done;
      }
      st = done.status();
    }
    const bool more = i + 1 < config.uri.size();
    log.Warning(std::string("ldap ") + what + ": " + st.message() + (more ? "; trying the next URI" : ""));
    if (st.Is(Fault::kUnavailable)) {
      unavailable = st;
      all_witnessed = all_witnessed && st.witnessed();
    } else if (refused.ok()) {
      refused = st;
    }
  }
  // A server that refused our bind or our CA is an administrator's problem
  // that failmode=safe must not paper over.
  if (!refused.ok()) return refused;
  Status down = Status::Unavailable("ldap: no server could answer; last: " + unavailable.message());
  if (all_witnessed) down.Witnessed();
  return down;
}

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_LDAP_SESSION_H_
