#include "login/early_skip.h"

namespace twotp {

std::optional<Verdict> SkipBeforeLoading(const LoginRequest& request, const Config& config,
                                         const GroupLookup& groups_of, Logger& log, std::time_t now) {
  bool needs_state = false;
  // The grace period comes last and is the one rule that reads the state:
  // reaching it means the rules before it did not skip.
  const StateLoader defer = [&needs_state]() -> Result<UserState> {
    needs_state = true;
    return Status::Internal("the grace period is decided by the whole login");
  };
  const SkipRequest skip{request.user, request.service, request.rhost, request.session};
  const Result<SkipDecision> decision = DecideSkip(skip, config.policy, groups_of, defer, now);
  if (needs_state || !decision.ok() || !decision->skip) return std::nullopt;
  return LogSkip(request, config, decision.value(), log);
}

Verdict LogSkip(const LoginRequest& request, const Config& config, const SkipDecision& decision, Logger& log) {
  const std::string who = WhoForLog(request);
  if (decision.break_glass) log.Warning(who + " break-glass: " + decision.reason + "; no code asked");
  log.Notice(who + " mode=" + (config.twilio.mode == Mode::kVerify ? "verify" : "messaging") + " result=skipped (" +
             decision.reason + ")");
  return Verdict::kIgnore;
}

}  // namespace twotp
