// LdapSession and what every LDAP operation shares (ldap_session.h).
#include "directory/ldap_session.h"

#include <sys/time.h>
#include <unistd.h>


namespace twotp {

namespace {

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

// Entries per page when searching: well under slapd's default size limit (500).
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

int ScopeOf(const std::string& scope) {
  if (scope == "base") return LDAP_SCOPE_BASE;
  if (scope == "one") return LDAP_SCOPE_ONELEVEL;
  return LDAP_SCOPE_SUBTREE;  // "sub", the default; config_schema.cc allows nothing else
}

Status LdapSession::Open(const std::string& uri, const LdapConfig& c, const Secret* password) {
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

// A NULL-terminated char* array over `names` (which must outlive it), for
// libldap's attribute lists.
std::vector<char*> AttributeList(std::vector<std::string>& names) {
  std::vector<char*> out;
  for (std::string& n : names) out.push_back(n.data());
  out.push_back(nullptr);
  return out;
}

Status LdapModify(LDAP* ld, const std::string& where, const std::string& dn, std::vector<LdapChange>& changes,
                  int* rc_out) {
  const size_t n = changes.size();
  std::vector<std::vector<berval>> values(n);
  std::vector<std::vector<berval*>> value_lists(n);
  std::vector<LDAPMod> mods(n);
  std::vector<LDAPMod*> mod_list;
  for (size_t i = 0; i < n; ++i) {
    LdapChange& c = changes[i];
    for (std::string& v : c.values) values[i].push_back(berval{v.size(), v.data()});
    for (berval& v : values[i]) value_lists[i].push_back(&v);
    value_lists[i].push_back(nullptr);
    mods[i].mod_op = c.op | LDAP_MOD_BVALUES;
    mods[i].mod_type = c.attr.data();
    mods[i].mod_bvalues = c.values.empty() ? nullptr : value_lists[i].data();
    mod_list.push_back(&mods[i]);
  }
  mod_list.push_back(nullptr);
  const int rc = ldap_modify_ext_s(ld, dn.c_str(), mod_list.data(), nullptr, nullptr);
  if (rc_out != nullptr) *rc_out = rc;
  switch (rc) {
    case LDAP_SUCCESS:
      return Status::Ok();
    case LDAP_NO_SUCH_ATTRIBUTE:
      return Status::NotFound(dn + " has no " + changes.front().attr +
                              (changes.front().values.empty() ? "" : " of that value"));
    case LDAP_TYPE_OR_VALUE_EXISTS:
      return Status::DirectoryError(where + ": " + dn + " already has that " + changes.front().attr + " value");
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


Status LdapSearchPaged(LdapSession& session, const LdapConfig& config, const std::string& filter,
                       std::vector<std::string> names, const std::function<void(LDAP*, LDAPMessage*)>& each) {
  LDAP* ld = session.ld();
  const std::string where = session.uri() + ": search " + filter + " under " + config.base;
  std::vector<char*> attrs = AttributeList(names);
  std::unique_ptr<char, BerFree> cookie_owner;
  berval cookie{0, nullptr};
  do {
    LDAPControl* raw_page = nullptr;
    int rc = ldap_create_page_control(ld, kPageSize, cookie.bv_val != nullptr ? &cookie : nullptr, 0, &raw_page);
    std::unique_ptr<LDAPControl, ControlFree> page(raw_page);
    if (rc != LDAP_SUCCESS) return Classify(ld, rc, where + ": paging control", Fault::kInternal);
    LDAPControl* server_controls[] = {page.get(), nullptr};
    timeval tv{config.timeout, 0};
    LDAPMessage* raw = nullptr;
    session.Arm();
    rc = ldap_search_ext_s(ld, config.base.c_str(), ScopeOf(config.scope), filter.c_str(), attrs.data(), 0,
                           server_controls, nullptr, &tv, 0, &raw);
    MessagePtr res(raw);
    if (rc == LDAP_SIZELIMIT_EXCEEDED || rc == LDAP_ADMINLIMIT_EXCEEDED) {
      return Status::DirectoryError(where + ": the server cut the list short (" + ldap_err2string(rc) +
                                    "); raise its size limit for this bind DN");
    }
    if (rc != LDAP_SUCCESS) return Classify(ld, rc, where, Fault::kDirectory);
    for (LDAPMessage* e = ldap_first_entry(ld, res.get()); e != nullptr; e = ldap_next_entry(ld, e)) each(ld, e);
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
  return Status::Ok();
}

}  // namespace twotp
