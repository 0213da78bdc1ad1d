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
  // Held until the send is recorded: a parallel login of the same user waits
  // here and then shares this code instead of sending a second one.
  Result<UserTransaction> txn = store_.Lock(user_);
  if (!txn.ok()) return txn.status();
  UserState& state = txn->state();
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
      return txn->Commit();
    }
  }

  if (Status counted = CountSend(state, now); !counted.ok()) {
    // No new code may be sent, but the one left behind still works: the
    // user is better told of it than refused.
    if (!left_behind.empty() && Share(challenge, state, /*sender_ended=*/true, report)) return txn->Commit();
    return counted;
  }
  // Ended before the send: Verify would otherwise hand the same
  // verification, and the same code, back for it.
  if (!left_behind.empty()) {
    challenge.Cancel(left_behind);
    state.pending = PendingCode{};
    *report = SendReport{false, true, now - left_behind.sent_at};
  }
  const Status outcome = send();
  // A failed resend leaves the earlier code (still valid) to share.
  if (outcome.ok()) {
    state.pending = challenge.Export(now);
    state.pending.owner = processes_.Self();
  }
  // The state is written either way: a send that failed still counts.
  if (Status stored = txn->Commit(); !stored.ok()) return stored;
  return outcome;
}

Status LoginState::CountSend(UserState& state, std::time_t now) const {
  // The host-wide lock is taken inside the user's (one order: no deadlock)
  // and given back before the send.
  Result<GlobalTransaction> global = store_.LockGlobal();
  if (!global.ok()) return global.status();
  if (Status allowed = CheckSend(state, global->state(), config_.limits, now); !allowed.ok()) return allowed;
  RecordSend(state, global->state(), now);
  return global->Commit();
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
  Result<UserTransaction> txn = store_.Lock(user_);
  if (!txn.ok()) return txn.status();
  Result<bool> used = ConsumeBackupCode(txn->state().backup_codes, typed);
  if (!used.ok()) return used.status();
  if (used.value()) Succeed(txn->state());
  if (Status stored = txn->Commit(); !stored.ok()) return stored;
  return used.value();
}

Status LoginState::ReserveAttempt(bool* already_locked, bool* locks_now) {
  *already_locked = false;
  *locks_now = false;
  reserved_lock_until_ = 0;
  Result<UserTransaction> txn = store_.Lock(user_);
  if (!txn.ok()) return txn.status();
  UserState& state = txn->state();
  // Locked out meanwhile (a parallel login's failures): this login ends
  // without checking what was typed.
  *already_locked = state.locked_until > Now();
  if (*already_locked) return Status::Ok();
  *locks_now = twotp::RecordFailure(state, config_.limits, Now());
  if (*locks_now) reserved_lock_until_ = state.locked_until;
  return txn->Commit();
}

Status LoginState::ForgetPending() {
  Result<UserTransaction> txn = store_.Lock(user_);
  if (!txn.ok()) return txn.status();
  txn->state().pending = PendingCode{};
  return txn->Commit();
}

Status LoginState::RecordSuccess() {
  Result<UserTransaction> txn = store_.Lock(user_);
  if (!txn.ok()) return txn.status();
  Succeed(txn->state());
  return txn->Commit();
}

void LoginState::Succeed(UserState& state) {
  twotp::RecordSuccess(state, Now());
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
