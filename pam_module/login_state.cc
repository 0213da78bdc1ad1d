#include "login_state.h"

#include "backup_codes.h"
#include "send_limits.h"

namespace twotp {

namespace {

// The longest grace period the config can set: older entries can never match.
constexpr std::time_t kMaxGrace = 86400;

bool GraceInUse(const PolicyConfig& policy) {
  if (policy.grace_period > 0) return true;
  for (const ServiceOverride& o : policy.services) {
    if (o.grace_period > 0) return true;
  }
  return false;
}

}  // namespace

LoginState::LoginState(const Config& config, const StateStore& store, Clock& clock, std::string user,
                       std::string grace_key)
    : config_(config), store_(store), clock_(clock), user_(std::move(user)), grace_key_(std::move(grace_key)) {}

Result<UserState> LoginState::Read() const { return store_.Read(user_); }

Status LoginState::CheckNotLocked() const {
  Result<UserState> state = store_.Read(user_);
  if (!state.ok()) return state.status();
  return CheckLockout(state.value(), Now());
}

Status LoginState::SendOrShare(Challenge& challenge, const std::string& number, bool fresh,
                               const std::function<Status()>& send, bool* shared) {
  *shared = false;
  Status outcome;  // the send's own result; the state is written either way
  Status stored = store_.Update(user_, [&](UserState& state) -> Status {
    const std::time_t now = Now();
    if (Status locked = CheckLockout(state, now); !locked.ok()) return locked;
    if (Status country = CheckCountry(number, config_.limits); !country.ok()) return country;
    if (!fresh && !state.pending.empty() && challenge.Adopt(state.pending).ok()) {
      *shared = true;
      return Status::Ok();
    }
    Status counted = store_.UpdateGlobal([&](GlobalState& global) -> Status {
      Status allowed = CheckSend(state, global, config_.limits, now);
      if (allowed.ok()) RecordSend(state, global, now);
      return allowed;
    });
    if (!counted.ok()) return counted;
    // Sent while holding the user's lock: a parallel login of the same user
    // waits here and then shares this code instead of sending a second one.
    outcome = send();
    // A failed resend leaves the earlier code (still valid) to share.
    if (outcome.ok()) state.pending = challenge.Export(now);
    return Status::Ok();
  });
  return stored.ok() ? outcome : stored;
}

Result<bool> LoginState::UseBackupCode(const Secret& typed) {
  bool used = false;
  Status stored = store_.Update(user_, [&](UserState& state) -> Status {
    Result<bool> consumed = ConsumeBackupCode(state.backup_codes, typed);
    if (!consumed.ok()) return consumed.status();
    used = consumed.value();
    if (used) Succeed(state);
    return Status::Ok();
  });
  if (!stored.ok()) return stored;
  return used;
}

Status LoginState::RecordFailure(bool* locked_now) {
  *locked_now = false;
  return store_.Update(user_, [&](UserState& state) -> Status {
    // A failure while already locked out (a parallel login still at its
    // prompt) ends that login too.
    const bool already_locked = state.locked_until > Now();
    *locked_now = twotp::RecordFailure(state, config_.limits, Now()) || already_locked;
    return Status::Ok();
  });
}

Status LoginState::ForgetPending() {
  return store_.Update(user_, [](UserState& state) -> Status {
    state.pending = PendingCode{};
    return Status::Ok();
  });
}

Status LoginState::RecordSuccess() {
  return store_.Update(user_, [&](UserState& state) -> Status {
    Succeed(state);
    return Status::Ok();
  });
}

void LoginState::Succeed(UserState& state) const {
  twotp::RecordSuccess(state);
  if (!GraceInUse(config_.policy)) return;
  const std::time_t now = Now();
  std::erase_if(state.grace, [now](const auto& entry) { return entry.second <= now - kMaxGrace; });
  state.grace[grace_key_] = now;
}

}  // namespace twotp
