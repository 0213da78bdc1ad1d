#include "config/config_access.h"

#include <algorithm>

#include "base/cidr.h"

namespace twotp {

namespace {

// Parsed here, once: a login only matches against the result.
void ReadNetworks(ConfigReader& r, const std::string& key, std::vector<Cidr>* out) {
  std::vector<std::string> texts;
  r.StringList(key, &texts);
  for (size_t i = 0; i < texts.size(); ++i) {
    Result<Cidr> parsed = Cidr::Parse(texts[i]);
    if (parsed.ok()) {
      out->push_back(parsed.value());
    } else {
      r.FailElement(key, i, parsed.status().message());
    }
  }
}

void ReadNames(ConfigReader& r, const std::string& key, std::vector<std::string>* out) {
  r.StringList(key, out);
  for (size_t i = 0; i < out->size(); ++i) {
    if ((*out)[i].empty()) r.FailElement(key, i, "must not be empty");
  }
}

}  // namespace

void ReadAccessRules(ConfigReader& r, PolicyConfig* p) {
  r.Int("policy.grace_period", &p->grace_period);
  ReadNetworks(r, "policy.trusted_networks", &p->trusted_networks);
  ReadNames(r, "policy.groups", &p->groups);
  ReadNames(r, "policy.skip_groups", &p->skip_groups);
  ReadNames(r, "policy.exempt_users", &p->exempt_users);
  ReadNames(r, "policy.exempt_groups", &p->exempt_groups);
  for (const std::string& service : r.MemberNames("policy.services")) {
    const std::string prefix = "policy.services." + service;
    ServiceOverride o;
    o.service = service;
    r.Int(prefix + ".grace_period", &o.grace_period);
    if (r.Has(prefix + ".trusted_networks")) {
      o.has_trusted_networks = true;
      ReadNetworks(r, prefix + ".trusted_networks", &o.trusted_networks);
    }
    p->services.push_back(std::move(o));
  }
}

int PolicyConfig::GraceFor(const std::string& service) const {
  for (const ServiceOverride& o : services) {
    if (o.service == service && o.grace_period >= 0) return o.grace_period;
  }
  return grace_period;
}

const std::vector<Cidr>& PolicyConfig::TrustedNetworksFor(const std::string& service) const {
  for (const ServiceOverride& o : services) {
    if (o.service == service && o.has_trusted_networks) return o.trusted_networks;
  }
  return trusted_networks;
}

}  // namespace twotp
