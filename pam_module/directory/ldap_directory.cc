#include "directory/ldap_directory.h"

#include <ldap.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <variant>

#include "directory/ldap_deadline.h"
#include "directory/ldap_entry.h"
#include "directory/open_ldap.h"
#include "base/phone.h"
#include "base/secret.h"

namespace twotp {
namespace {

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

// A filter an administrator wrote may match many entries; we only need to
// know that it matched more than one, so don't let it pull the whole tree.
constexpr int kMaxEntries = 16;

// Result codes that are about this server now (down, overloaded, too slow,
// TLS handshake cut short), not about our request: another server, or a
// later login, may do better. They become kUnavailable so failmode applies.
bool Transient(int rc) {
  switch (rc) {
    case LDAP_SERVER_DOWN:
    case LDAP_TIMEOUT:
    case LDAP_CONNECT_ERROR:
    case LDAP_TIMELIMIT_EXCEEDED:
    case LDAP_BUSY:
    case LDAP_UNAVAILABLE:
      return true;
    default:
      return false;
  }
}

// "Can't contact LDAP server (error:0A000086:...certificate verify failed)":
// libldap's text for rc plus the server's or the TLS layer's diagnostic.
std::string Describe(LDAP* ld, int rc) {
  std::string text = ldap_err2string(rc);
  char* raw = nullptr;
  if (ld != nullptr && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &raw) == LDAP_OPT_SUCCESS) {
    LdapString diag(raw);
    if (diag && *diag) text += std::string(": ") + diag.get();
  }
  return text;
}

// kUnavailable for a transient rc, else `otherwise`. Busy and unavailable
// are the server's own answer, so they witness an outage (status.h); a
// connect that fails or times out does not: the caller of the login can
// starve its own process of descriptors or stop it past any deadline.
Status Classify(LDAP* ld, int rc, const std::string& what, Fault otherwise) {
  const std::string message = what + ": " + Describe(ld, rc);
  Status status = Status::Error(Transient(rc) ? Fault::kUnavailable : otherwise, message);
  if (rc == LDAP_BUSY || rc == LDAP_UNAVAILABLE) status.Witnessed();
  return status;
}

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

int ScopeOf(const std::string& scope) {
  if (scope == "base") return LDAP_SCOPE_BASE;
  if (scope == "one") return LDAP_SCOPE_ONELEVEL;
  return LDAP_SCOPE_SUBTREE;  // "sub", the default; config_schema.cc allows nothing else
}

// The distribution's bundle of trusted CAs (Debian's, then Red Hat's); "" if none.
std::string SystemCaBundle() {
  for (const char* path : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"}) {
    if (access(path, R_OK) == 0) return path;
  }
  return "";
}

// Sets the connection options on a fresh handle. Every option is set on the
// handle (never globally) so that two directories in one process, or the
// host's own ldap.conf, can't weaken each other's TLS settings.
Status SetOptions(LDAP* ld, const std::string& uri, const LdapConfig& c, bool tls) {
  const int v3 = LDAP_VERSION3;
  const timeval tv{c.timeout, 0};
  if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_OPT_SUCCESS ||
      // Off: a referral would send our bind to a server the config never named.
      ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||  // connect()
      ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS) {          // each reply
    return Status::Internal(uri + ": libldap refused a connection option");
  }
  if (!tls) return Status::Ok();
  const int demand = LDAP_OPT_X_TLS_DEMAND;
  // Never libldap's default CA, which comes from ldap.conf, which a user
  // can switch off for sudo's process with LDAPNOINIT: a failed handshake
  // is an outage, and under failmode=safe an outage lets the login through.
  const std::string ca = c.ca_file.empty() ? SystemCaBundle() : c.ca_file;
  if (ca.empty()) return Status::ConfigError(uri + ": no system CA bundle found; set directory.ldap.ca_file");
  if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, ca.c_str()) != LDAP_OPT_SUCCESS) {
    return Status::Internal(uri + ": libldap refused a TLS option");
  }
  // The options above only take effect in a new TLS context; this is also
  // where an unreadable or malformed ca_file shows up.
  const int is_server = 0;
  if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server) != LDAP_OPT_SUCCESS) {
    return Status::ConfigError(uri + ": can't set up TLS with CA file " + ca + ": " +
                               Describe(ld, LDAP_PARAM_ERROR));
  }
  return Status::Ok();
}

}  // namespace

// One bound connection to one server; unbound (and freed) when destroyed.
class LdapDirectory::Session {
 public:
  // kUnavailable: this server can't be used now (try the next); kConfig: it
  // answered and refused us (bad credentials, TLS required, bad CA file).
  Status Open(const std::string& uri, const LdapConfig& c, const Secret* password) {
    uri_ = uri;
    const bool ldaps = uri.starts_with("ldaps://");
    if (password != nullptr && !ldaps && !c.starttls) {
      // config_schema.cc refuses this already; never rely on that alone.
      return Status::ConfigError(uri + ": refusing to send the bind password without TLS");
    }
    LDAP* raw = nullptr;
    const int rc = ldap_initialize(&raw, uri.c_str());
    ld_.reset(raw);
    if (rc != LDAP_SUCCESS) return Status::ConfigError(uri + ": " + ldap_err2string(rc));
    Status st = SetOptions(ld(), uri, c, ldaps || c.starttls);
    if (!st.ok()) return st;
    if (!deadline_.Install(ld())) return Status::Internal(uri + ": libldap refused the connection callback");
    budget_ = std::chrono::seconds(c.timeout);
    // Connecting has its own timeout; the deadline covers TLS and the bind.
    Arm();
    if (!ldaps && c.starttls) {
      const int tls_rc = ldap_start_tls_s(ld(), nullptr, nullptr);
      if (tls_rc != LDAP_SUCCESS) return Classify(ld(), tls_rc, uri + ": StartTLS", Fault::kConfig);
    }
    // An explicit bind even when anonymous: it is what makes libldap
    // connect, so a dead server is found here and the next URI tried.
    berval cred{0, nullptr};
    const char* dn = "";
    if (password != nullptr) {
      cred.bv_len = password->size();
      cred.bv_val = const_cast<char*>(password->c_str());
      dn = c.bind_dn.c_str();
    }
    const int bind_rc = ldap_sasl_bind_s(ld(), dn, LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
    if (bind_rc != LDAP_SUCCESS) {
      const std::string who = *dn ? std::string("bind as ") + dn : std::string("anonymous bind");
      return Classify(ld(), bind_rc, uri + ": " + who, Fault::kConfig);
    }
    return Status::Ok();
  }
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

LdapDirectory::LdapDirectory(LdapConfig config, const FileTrust& trust, Logger& log)
    : config_(std::move(config)), trust_(trust), log_(log) {}

template <typename T, typename Op>
Result<T> LdapDirectory::OnSomeServer(const char* what, Op op) {
  std::optional<Secret> password;
  if (!config_.bind_password_file.empty()) {
    Result<Secret> read = trust_.ReadSecret(config_.bind_password_file);
    if (!read.ok()) return read.status();
    password.emplace(std::move(read.value()));
  }
  const SigpipeBlocked no_sigpipe;  // outlives every Session below (unbind writes too)
  Status unavailable = Status::Unavailable("no directory.ldap.uri configured");
  Status refused;  // the first definite refusal; it outranks "unavailable"
  bool all_witnessed = !config_.uri.empty();  // every server's own word that it is down
  for (size_t i = 0; i < config_.uri.size(); ++i) {
    Session session;
    Status st = session.Open(config_.uri[i], config_, password ? &*password : nullptr);
    if (st.ok()) {
      Result<T> done = op(session);
      // Only "this server, now" moves on: any answer about the user (found,
      // not found, malformed) is the directory's answer, from any replica.
      if (done.ok() || !done.status().Is(Fault::kUnavailable)) return done;
      st = done.status();
    }
    const bool more = i + 1 < config_.uri.size();
    log_.Warning(std::string("ldap ") + what + ": " + st.message() + (more ? "; trying the next URI" : ""));
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

// A NULL-terminated char* array over `names` (which must outlive it), for
// libldap's attribute lists.
std::vector<char*> AttributeList(std::vector<std::string>& names) {
  std::vector<char*> out;
  for (std::string& n : names) out.push_back(n.data());
  out.push_back(nullptr);
  return out;
}

Result<LdapEntry> LdapDirectory::FindEntry(Session& session, const std::string& user) {
  Result<std::string> filter = LdapFilterFor(config_.filter, user);
  if (!filter.ok()) return filter.status();
  std::vector<std::string> names = RecordAttributes(config_);
  const std::string user_attr = UserAttributeOf(config_.filter);
  if (!user_attr.empty()) names.push_back(user_attr);
  std::vector<char*> attrs = AttributeList(names);
  timeval tv{config_.timeout, 0};
  LDAPMessage* raw = nullptr;
  session.Arm();
  const int rc = ldap_search_ext_s(session.ld(), config_.base.c_str(), ScopeOf(config_.scope),
                                   filter->c_str(), attrs.data(), 0, nullptr, nullptr, &tv, kMaxEntries, &raw);
  MessagePtr res(raw);  // set (and to be freed) even on most errors
  const std::string where = session.uri() + ": search " + filter.value() + " under " + config_.base;
  if (rc == LDAP_SIZELIMIT_EXCEEDED) {
    return Status::DirectoryError(where + ": more than " + std::to_string(kMaxEntries) +
                                  " entries match; refusing rather than guessing");
  }
  if (rc != LDAP_SUCCESS) return Classify(session.ld(), rc, where, Fault::kDirectory);
  const int count = ldap_count_entries(session.ld(), res.get());
  if (count == 0) return Status::NotFound(where + ": no entry for " + user + " (not enrolled)");
  if (count != 1) {
    return Status::DirectoryError(where + ": " + std::to_string(count) +
                                  " entries match; refusing rather than guessing");
  }
  LDAPMessage* e = ldap_first_entry(session.ld(), res.get());
  LdapEntry entry = ReadEntry(session.ld(), e, config_);
  // The directory matches "Alice" or "alice " to alice's entry; the module's
  // lockouts and limits are kept per PAM user name, so a variant would get
  // a fresh allowance of guesses on alice's phone. Only the exact name counts.
  if (!user_attr.empty()) {
    const std::vector<std::string> names_on_entry = ValuesOf(session.ld(), e, user_attr);
    if (std::find(names_on_entry.begin(), names_on_entry.end(), user) == names_on_entry.end()) {
      log_.Warning("ldap: " + entry.dn + " matched the user name only loosely (its " + user_attr +
                   " differs from the PAM user by case or spaces); treated as no entry");
      return Status::NotFound(where + ": no entry whose " + user_attr + " is exactly the user name (not enrolled)");
    }
  }
  return entry;
}

Result<PhoneRecord> LdapDirectory::Lookup(const std::string& user) {
  return OnSomeServer<PhoneRecord>("lookup", [&](Session& session) -> Result<PhoneRecord> {
    Result<LdapEntry> entry = FindEntry(session, user);
    if (!entry.ok()) return entry.status();
    return RecordFromEntry(entry.value(), config_, user);
  });
}

namespace {

// One change to an entry: replace `attr` with `value`, or delete all of
// its values (value empty and op LDAP_MOD_DELETE).
struct Change {
  int op;
  std::string attr;
  std::string value;
};

// Applies `changes` to `dn` in one modify operation (all or nothing).
Status Modify(LDAP* ld, const std::string& where, const std::string& dn, std::vector<Change>& changes) {
  const size_t n = changes.size();
  std::vector<berval> values(n);
  std::vector<std::array<berval*, 2>> value_lists(n);
  std::vector<LDAPMod> mods(n);
  std::vector<LDAPMod*> mod_list;
  for (size_t i = 0; i < n; ++i) {
    Change& c = changes[i];
    values[i] = berval{c.value.size(), c.value.data()};
    value_lists[i] = {&values[i], nullptr};
    mods[i].mod_op = c.op | LDAP_MOD_BVALUES;
    mods[i].mod_type = c.attr.data();
    mods[i].mod_bvalues = c.op == LDAP_MOD_DELETE ? nullptr : value_lists[i].data();
    mod_list.push_back(&mods[i]);
  }
  mod_list.push_back(nullptr);
  const int rc = ldap_modify_ext_s(ld, dn.c_str(), mod_list.data(), nullptr, nullptr);
  switch (rc) {
    case LDAP_SUCCESS:
      return Status::Ok();
    case LDAP_NO_SUCH_ATTRIBUTE:
      return Status::NotFound(dn + " has no " + changes.front().attr);
    case LDAP_INSUFFICIENT_ACCESS:
    case LDAP_STRONG_AUTH_REQUIRED:  // slapd's answer to an anonymous write
    case LDAP_UNWILLING_TO_PERFORM:
    case LDAP_CONFIDENTIALITY_REQUIRED:
    case LDAP_REFERRAL:  // a read-only replica pointing at its provider
      return Status::DirectoryError(where + ": the configured bind may not write " + changes.front().attr +
                                    " on " + dn + ": " + Describe(ld, rc) +
                                    "; bind as a DN with write access, to a writable server");
    default:
      return Classify(ld, rc, where + ": modify " + dn, Fault::kDirectory);
  }
}

}  // namespace

Status LdapDirectory::Enroll(const PhoneRecord& record) {
  // An authenticator app alone is written as the channel "totp" (the factor lives at Twilio).
  const bool app_only = record.number.empty() && record.channel == Channel::kTotp;
  if (app_only && config_.channel_attribute.empty()) {
    return Status::BadInput("an authenticator app without a number needs directory.ldap.channel_attribute");
  }
  if (!app_only && !IsE164(record.number)) {
    return Status::BadInput("the number is not in E.164 form (+ and 8 to 15 digits)");
  }
  return OnSomeServer<std::monostate>("enroll", [&](Session& session) -> Result<std::monostate> {
    Result<LdapEntry> entry = FindEntry(session, record.user);
    if (!entry.ok()) {
      if (!entry.status().Is(Fault::kNotFound)) return entry.status();
      return Status::NotFound(entry.status().message() +
                              "; the ldap backend sets numbers on existing entries, it does not create users");
    }
    std::vector<Change> changes;
    if (!app_only) changes.push_back({LDAP_MOD_REPLACE, config_.attribute, record.number});
    if (!config_.channel_attribute.empty()) {
      changes.push_back({LDAP_MOD_REPLACE, config_.channel_attribute, ChannelName(record.channel)});
    }
    if (!config_.verified_attribute.empty()) {
      changes.push_back({LDAP_MOD_REPLACE, config_.verified_attribute, record.verified ? "TRUE" : "FALSE"});
    }
    // The address is the directory's own (often `mail`): written when given,
    // never removed by `remove`.
    if (!config_.email_attribute.empty() && !record.email.empty()) {
      changes.push_back({LDAP_MOD_REPLACE, config_.email_attribute, record.email});
    }
    session.Arm();
    Status st = Modify(session.ld(), session.uri(), entry->dn, changes);
    if (!st.ok()) return st;
    log_.Notice("ldap enroll: " + record.user + (app_only ? " authenticator app" : " number=" + MaskNumber(record.number)) +
                " on " + entry->dn);
    return std::monostate{};
  }).status();
}

Status LdapDirectory::Remove(const std::string& user) {
  return OnSomeServer<std::monostate>("remove", [&](Session& session) -> Result<std::monostate> {
    Result<LdapEntry> entry = FindEntry(session, user);
    if (!entry.ok()) return entry.status();
    if (entry->numbers.empty() && entry->channels.empty()) {
      return Status::NotFound(entry->dn + " has no " + config_.attribute);
    }
    // The number and what describes it; deleting an absent attribute fails.
    std::vector<Change> changes;
    if (!entry->numbers.empty()) changes.push_back({LDAP_MOD_DELETE, config_.attribute, ""});
    if (!entry->channels.empty()) changes.push_back({LDAP_MOD_DELETE, config_.channel_attribute, ""});
    if (!entry->verified.empty()) changes.push_back({LDAP_MOD_DELETE, config_.verified_attribute, ""});
    session.Arm();
    Status st = Modify(session.ld(), session.uri(), entry->dn, changes);
    if (!st.ok()) return st;
    log_.Notice("ldap remove: " + user + " on " + entry->dn);
    return std::monostate{};
  }).status();
}

namespace {

// Entries per page when listing: well under slapd's default size limit (500).
constexpr int kPageSize = 200;

struct BerFree {
  void operator()(char* p) const { ber_memfree(p); }
};
struct ControlFree {
  void operator()(LDAPControl* c) const { ldap_control_free(c); }
};
struct ControlsFree {
  void operator()(LDAPControl** c) const { ldap_controls_free(c); }
};

}  // namespace

std::string LdapDirectory::Where() const { return LdapWhere(config_); }

Result<std::vector<PhoneRecord>> LdapDirectory::List() {
  const std::string user_attr = UserAttributeOf(config_.filter);
  if (user_attr.empty()) {
    return Status::ConfigError("directory.ldap.filter " + config_.filter +
                               ": list needs the user compared as (ATTRIBUTE=%u)");
  }
  // %u as "*": "(uid=%u)" becomes the presence filter "(uid=*)".
  const std::string filter = "(&" + ReplaceUser(config_.filter, "*") + "(" + config_.attribute + "=*))";
  using Records = std::vector<PhoneRecord>;
  return OnSomeServer<Records>("list", [&](Session& session) -> Result<Records> {
    LDAP* ld = session.ld();
    const std::string where = session.uri() + ": search " + filter + " under " + config_.base;
    std::vector<std::string> names = RecordAttributes(config_);
    names.push_back(user_attr);
    std::vector<char*> attrs = AttributeList(names);
    std::vector<std::pair<PhoneRecord, std::string>> found;  // record, DN
    std::unique_ptr<char, BerFree> cookie_owner;
    berval cookie{0, nullptr};
    do {
      LDAPControl* raw_page = nullptr;
      int rc = ldap_create_page_control(ld, kPageSize, cookie.bv_val != nullptr ? &cookie : nullptr, 0, &raw_page);
      std::unique_ptr<LDAPControl, ControlFree> page(raw_page);
      if (rc != LDAP_SUCCESS) return Classify(ld, rc, where + ": paging control", Fault::kInternal);
      LDAPControl* server_controls[] = {page.get(), nullptr};
      timeval tv{config_.timeout, 0};
      LDAPMessage* raw = nullptr;
      session.Arm();
      rc = ldap_search_ext_s(ld, config_.base.c_str(), ScopeOf(config_.scope), filter.c_str(), attrs.data(), 0,
                             server_controls, nullptr, &tv, 0, &raw);
      MessagePtr res(raw);
      if (rc == LDAP_SIZELIMIT_EXCEEDED || rc == LDAP_ADMINLIMIT_EXCEEDED) {
        return Status::DirectoryError(where + ": the server cut the list short (" + ldap_err2string(rc) +
                                      "); raise its size limit for this bind DN");
      }
      if (rc != LDAP_SUCCESS) return Classify(ld, rc, where, Fault::kDirectory);
      for (LDAPMessage* e = ldap_first_entry(ld, res.get()); e != nullptr; e = ldap_next_entry(ld, e)) {
        const LdapEntry entry = ReadEntry(ld, e, config_);
        const std::vector<std::string> users = ValuesOf(ld, e, user_attr);
        if (users.size() != 1) {
          log_.Warning("ldap list: " + entry.dn + ": left out (" + std::to_string(users.size()) + " values of " +
                       user_attr + "; one wanted)");
          continue;
        }
        Result<PhoneRecord> record = RecordFromEntry(entry, config_, users.front());
        if (record.ok()) {
          found.emplace_back(std::move(record.value()), entry.dn);
        } else if (!record.status().Is(Fault::kNotFound)) {  // not verified: not enrolled, not a problem
          log_.Warning("ldap list: left out: " + record.status().message());
        }
      }
      // The server's page response carries the cookie for the next page;
      // no control (paging unsupported) means the result was whole.
      LDAPControl** raw_controls = nullptr;
      int result_code = LDAP_SUCCESS;
      rc = ldap_parse_result(ld, res.get(), &result_code, nullptr, nullptr, nullptr, &raw_controls, 0);
      std::unique_ptr<LDAPControl*, ControlsFree> controls(raw_controls);
      if (rc != LDAP_SUCCESS) return Classify(ld, rc, where + ": result", Fault::kDirectory);
      LDAPControl* response = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, controls.get(), nullptr);
      cookie = berval{0, nullptr};
      cookie_owner.reset();
      if (response != nullptr) {
        ber_int_t estimate = 0;
        rc = ldap_parse_pageresponse_control(ld, response, &estimate, &cookie);
        cookie_owner.reset(cookie.bv_val);
        if (rc != LDAP_SUCCESS) return Classify(ld, rc, where + ": paging response", Fault::kDirectory);
      }
    } while (cookie.bv_len > 0);

    // One user on several entries: a login refuses them, so list them as not usable.
    std::map<std::string, int> entries_per_user;
    for (const auto& [record, dn] : found) ++entries_per_user[record.user];
    Records out;
    for (auto& [record, dn] : found) {
      if (entries_per_user[record.user] > 1) {
        log_.Warning("ldap list: " + dn + ": left out (" + record.user + " has " +
                     std::to_string(entries_per_user[record.user]) + " entries)");
        continue;
      }
      out.push_back(std::move(record));
    }
    return out;
  });
}

}  // namespace twotp
