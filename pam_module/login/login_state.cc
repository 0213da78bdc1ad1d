#include "login/login_state.h"

#include "state/backup_codes.h"
#include "state/send_limits.h"

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

LoginState::LoginState(const Config& config, const StateStore& store, Clock& clock, Processes& processes,
                       std::string user, std::optional<std::string> grace_key)
    : config_(config),
      store_(store),
      clock_(clock),
      processes_(processes),
      user_(std::move(user)),
      grace_key_(std::move(grace_key)) {}

Result<UserState> LoginState::Read() const { return store_.Read(user_); }

Status LoginState::CheckNotLocked() const {
  Result<UserState> state = store_.Read(user_);
  if (!state.ok()) return state.status();
  return CheckLockout(state.value(), Now());
}

Status LoginState::SendOrShare(Challenge& challenge, const std::string& number, bool fresh,
                               const std::function<Status()>& send, SendReport* report) {
  *report = SendReport{};
  Status outcome;  // the send's own result; the state is written either way
  Status stored = store_.Update(user_, [&](UserState& state) -> Status {
    const std::time_t now = Now();
    if (Status locked = CheckLockout(state, now); !locked.ok()) return locked;
    if (Status country = CheckCountry(number, config_.limits); !country.ok()) return country;
    // A code whose login ended without cleaning up (su dies on SIGINT at the
    // prompt): once a resend would be allowed anyway, it is replaced rather
    // than offered to this login as if just sent for it.
    PendingCode left_behind;
    if (!fresh && !state.pending.empty()) {
      const bool sender_ended = !processes_.Alive(state.pending.owner);
      if (sender_ended && now - state.pending.sent_at >= config_.limits.resend_cooldown) {
        left_behind = state.pending;
      } else if (Share(challenge, state, sender_ended, report)) {
        return Status::Ok();
      }
    }
    Status counted = store_.UpdateGlobal([&](GlobalState& global) -> Status {
      Status allowed = CheckSend(state, global, config_.limits, now);
      if (allowed.ok()) RecordSend(state, global, now);
      return allowed;
    });
    if (!counted.ok()) {
      // No new code may be sent, but the one left behind still works: the
      // user is better told of it than refused.
      if (!left_behind.empty() && Share(challenge, state, /*sender_ended=*/true, report)) return Status::Ok();
      return counted;
    }
    // Ended before the send: Verify would otherwise hand the same
    // verification, and the same code, back for it.
    if (!left_behind.empty()) {
      challenge.Cancel(left_behind);
      state.pending = PendingCode{};
      *report = SendReport{false, true, now - left_behind.sent_at};
    }
    // Sent while holding the user's lock: a parallel login of the same user
    // waits here and then shares this code instead of sending a second one.
    outcome = send();
    // A failed resend leaves the earlier code (still valid) to share.
    if (outcome.ok()) {
      state.pending = challenge.Export(now);
      state.pending.owner = processes_.Self();
    }
    return Status::Ok();
  });
  return stored.ok() ? outcome : stored;
}

bool LoginState::Share(Challenge& challenge, UserState& state, bool sender_ended, SendReport* report) const {
  if (!challenge.Adopt(state.pending).ok()) return false;
  *report = SendReport{true, sender_ended, Now() - state.pending.sent_at};
  // This login waits for the code now, so the next one must not take it for
  // left behind while it does.
  if (sender_ended) state.pending.owner = processes_.Self();
  return true;
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

Status LoginState::ReserveAttempt(bool* already_locked, bool* locks_now) {
  *already_locked = false;
  *locks_now = false;
  reserved_lock_until_ = 0;
  return store_.Update(user_, [&](UserState& state) -> Status {
    // Locked out meanwhile (a parallel login's failures): this login ends
    // without checking what was typed.
    *already_locked = state.locked_until > Now();
    if (*already_locked) return Status::Ok();
    *locks_now = twotp::RecordFailure(state, config_.limits, Now());
    if (*locks_now) reserved_lock_until_ = state.locked_until;
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

void LoginState::Succeed(UserState& state) {
  twotp::RecordSuccess(state);
  // The right code was the attempt that started this lockout: take it back
  // (a lockout another login started since is left alone).
  if (reserved_lock_until_ != 0 && state.locked_until == reserved_lock_until_) state.locked_until = 0;
  reserved_lock_until_ = 0;
  if (!GraceInUse(config_.policy)) return;
  const std::time_t now = Now();
  std::erase_if(state.grace, [now](const auto& entry) { return entry.second <= now - kMaxGrace; });
  // No terminal session and no remote host: nothing a grace could be bound to.
  if (grace_key_) state.grace[*grace_key_] = now;
}

}  // namespace twotp
