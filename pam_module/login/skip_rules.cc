#include "login/skip_rules.h"

#include <algorithm>

#include "base/cidr.h"
#include "base/unix_groups.h"
#include "login/grace.h"

namespace twotp {

namespace {

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

SkipDecision Skip(std::string reason, bool break_glass = false) {
  return SkipDecision{true, break_glass, std::move(reason)};
}

bool FromTrustedNetwork(const SkipRequest& request, const PolicyConfig& policy) {
  const std::vector<Cidr>& networks = policy.TrustedNetworksFor(request.service);
  return !request.rhost.empty() && InAnyNetwork(request.rhost, networks);
}

}  // namespace

Result<SkipDecision> DecideSkip(const SkipRequest& request, const PolicyConfig& policy,
                                const GroupLookup& groups_of, const StateLoader& load_state, std::time_t now) {
  if (Contains(policy.exempt_users, request.user)) return Skip("exempt user (break-glass)", true);

  const bool group_rules = !policy.exempt_groups.empty() || !policy.groups.empty() || !policy.skip_groups.empty();
  if (group_rules) {
    Result<std::vector<std::string>> groups = groups_of(request.user);
    if (!groups.ok()) return groups.status();
    if (AnyGroupIn(groups.value(), policy.exempt_groups)) return Skip("member of an exempt group (break-glass)", true);
    if (!policy.groups.empty() && !AnyGroupIn(groups.value(), policy.groups)) {
      return Skip("not a member of policy.groups");
    }
    if (AnyGroupIn(groups.value(), policy.skip_groups)) return Skip("member of policy.skip_groups");
  }

  if (FromTrustedNetwork(request, policy)) return Skip("from a trusted network");

  const int grace = policy.GraceFor(request.service);
  if (grace <= 0) return SkipDecision{};
  const std::optional<std::string> key = GraceKey(request.service, request.rhost, request.session);
  if (!key) return SkipDecision{};  // no terminal and no remote host: nothing to bind a grace to
  Result<UserState> state = load_state();
  if (!state.ok()) return state.status();
  if (InGrace(state.value(), *key, grace, now)) {
    return Skip("within the grace period");
  }
  return SkipDecision{};
}

}  // namespace twotp
