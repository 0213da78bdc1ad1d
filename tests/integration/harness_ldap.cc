#include "harness_ldap.h"

#include <ldap.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cctype>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace itest {
namespace {

struct Unbind {
  void operator()(LDAP* ld) const { ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
using Connection = std::unique_ptr<LDAP, Unbind>;

void Check(int rc, const std::string& what) {
  if (rc != LDAP_SUCCESS) throw std::runtime_error("ldap " + what + ": " + ldap_err2string(rc));
}

// Bound as the root DN over ldaps with the test CA.
Connection Connect(const LdapEnv& env) {
  LDAP* raw = nullptr;
  Check(ldap_initialize(&raw, env.uri.c_str()), "initialize " + env.uri);
  Connection ld(raw);
  const int v3 = LDAP_VERSION3;
  const int demand = LDAP_OPT_X_TLS_DEMAND;
  const int client = 0;
  ldap_set_option(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &v3);
  ldap_set_option(ld.get(), LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
  ldap_set_option(ld.get(), LDAP_OPT_X_TLS_CACERTFILE, env.ca.c_str());
  ldap_set_option(ld.get(), LDAP_OPT_X_TLS_NEWCTX, &client);
  std::ifstream in(env.pw_file);
  std::string password((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  berval cred{password.size(), password.data()};
  Check(ldap_sasl_bind_s(ld.get(), env.root_dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr),
        "bind");
  return ld;
}

bool IsPlain(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// Test names only: nothing here needs DN escaping.
std::string Plain(const std::string& name) {
  if (!IsPlain(name)) throw std::runtime_error("ldap test names must be plain: " + name);
  return name;
}

std::string OuDn(const LdapEnv& env, const std::string& ou) { return "ou=" + Plain(ou) + "," + env.base; }

// Adds `dn` with `attrs` (name -> values); false if it already exists.
bool Add(LDAP* ld, const std::string& dn, std::vector<std::pair<std::string, std::vector<std::string>>> attrs) {
  std::vector<std::vector<char*>> values(attrs.size());
  std::vector<LDAPMod> mods(attrs.size());
  std::vector<LDAPMod*> list;
  for (size_t i = 0; i < attrs.size(); ++i) {
    for (std::string& v : attrs[i].second) values[i].push_back(v.data());
    values[i].push_back(nullptr);
    mods[i].mod_op = LDAP_MOD_ADD;
    mods[i].mod_type = attrs[i].first.data();
    mods[i].mod_values = values[i].data();
    list.push_back(&mods[i]);
  }
  list.push_back(nullptr);
  const int rc = ldap_add_ext_s(ld, dn.c_str(), list.data(), nullptr, nullptr);
  if (rc == LDAP_ALREADY_EXISTS) return false;
  Check(rc, "add " + dn);
  return true;
}

bool AddUser(LDAP* ld, const LdapEnv& env, const std::string& ou, const std::string& user,
             const std::string& number, const std::string& channel, bool state_class = false) {
  std::vector<std::string> classes = {"inetOrgPerson", "twotpTestPhone"};
  if (state_class) classes.push_back("twilioOtpState");
  std::vector<std::pair<std::string, std::vector<std::string>>> attrs = {
      {"objectClass", classes}, {"cn", {user}}, {"sn", {user}}, {"uid", {user}}};
  if (!number.empty()) attrs.push_back({"mobile", {number}});
  if (!channel.empty()) attrs.push_back({"otpChannel", {channel}});
  return Add(ld, "uid=" + Plain(user) + "," + OuDn(env, ou), attrs);
}

void EnsureOu(LDAP* ld, const LdapEnv& env, const std::string& ou) {
  Add(ld, OuDn(env, ou), {{"objectClass", {"organizationalUnit"}}, {"ou", {ou}}});
}

// The values of `attribute` on `dn`, sorted (several for contextCSN: one per provider).
std::vector<std::string> Values(LDAP* ld, const std::string& dn, const std::string& attribute) {
  std::string name = attribute;
  char* attrs[] = {name.data(), nullptr};
  LDAPMessage* raw = nullptr;
  const int rc = ldap_search_ext_s(ld, dn.c_str(), LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, nullptr, nullptr,
                                   nullptr, 0, &raw);
  std::unique_ptr<LDAPMessage, int (*)(LDAPMessage*)> res(raw, ldap_msgfree);
  if (rc == LDAP_NO_SUCH_OBJECT) return {};
  Check(rc, "search " + dn);
  std::vector<std::string> out;
  LDAPMessage* e = ldap_first_entry(ld, res.get());
  if (e == nullptr) return out;
  berval** values = ldap_get_values_len(ld, e, name.c_str());
  for (int i = 0; values != nullptr && values[i] != nullptr; ++i) out.emplace_back(values[i]->bv_val, values[i]->bv_len);
  ldap_value_free_len(values);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::string> LdapValuesOf(const LdapEnv& env, const std::string& dn, const std::string& attribute) {
  Connection ld = Connect(env);
  return Values(ld.get(), dn, attribute);
}

void LdapWaitReplicated(const LdapEnv& a, const LdapEnv& b, const std::string& suffix) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    const std::vector<std::string> csn_a = LdapValuesOf(a, suffix, "contextCSN");
    if (!csn_a.empty() && csn_a == LdapValuesOf(b, suffix, "contextCSN")) return;
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("the providers did not converge in 60 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void LdapLoadUsers(const LdapEnv& env, const std::string& ou, const std::string& users_text, bool state_class) {
  Connection ld = Connect(env);
  EnsureOu(ld.get(), env, ou);
  // Empty the unit first: what the text doesn't name must not be enrolled.
  char* no_attrs[] = {const_cast<char*>(LDAP_NO_ATTRS), nullptr};
  LDAPMessage* raw = nullptr;
  Check(ldap_search_ext_s(ld.get(), OuDn(env, ou).c_str(), LDAP_SCOPE_ONELEVEL, "(objectClass=*)", no_attrs, 0,
                          nullptr, nullptr, nullptr, 0, &raw),
        "search " + ou);
  std::vector<std::string> old;
  for (LDAPMessage* e = ldap_first_entry(ld.get(), raw); e != nullptr; e = ldap_next_entry(ld.get(), e)) {
    char* dn = ldap_get_dn(ld.get(), e);
    old.emplace_back(dn);
    ldap_memfree(dn);
  }
  ldap_msgfree(raw);
  for (const std::string& dn : old) Check(ldap_delete_ext_s(ld.get(), dn.c_str(), nullptr, nullptr), "delete " + dn);
  std::istringstream lines(users_text);
  std::string line;
  while (std::getline(lines, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream fields(line);
    std::string user, number, channel;
    if (!(fields >> user >> number >> channel)) continue;
    AddUser(ld.get(), env, ou, user, number, channel, state_class);
  }
}

void LdapEnsureUser(const LdapEnv& env, const std::string& ou, const std::string& user) {
  if (!IsPlain(user)) return;  // odd test names stand for users with no entry
  Connection ld = Connect(env);
  EnsureOu(ld.get(), env, ou);
  AddUser(ld.get(), env, ou, user, "", "");
}

}  // namespace itest
