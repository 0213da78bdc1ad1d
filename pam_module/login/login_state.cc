#include "login/login_state.h"

#include <algorithm>
#include <chrono>

#include "base/erase_one.h"
#include "login/grace.h"
#include "base/phone.h"
#include "state/backup_codes.h"
#include "state/send_limits.h"
#include "twilio/otp_code.h"

namespace twotp {

namespace {

bool GraceInUse(const PolicyConfig& policy) {
  if (policy.grace_period > 0) return true;
  for (const ServiceOverride& o : policy.services) {
    if (o.grace_period > 0) return true;
  }
  return false;
}

}  // namespace

LoginState::LoginState(const Config& config, const StateStore& store, Clock& clock, Processes& processes,
                       std::string user, std::optional<std::string> grace_key, FleetStore* fleet, std::string host,
                       Logger* log)
    : config_(config),
      store_(store),
      clock_(clock),
      processes_(processes),
      user_(std::move(user)),
      grace_key_(std::move(grace_key)),
      began_(clock.WallNow()),
      log_(log) {
  if (config.state.backend == StateBackend::kLdap) {
    fleet_.emplace(config, fleet, clock, user_, grace_key_, std::move(host));
  }
}

bool LoginState::FallBackToLocal(const Status& failed) const {
  if (!failed.Is(Fault::kUnavailable) || !config_.state.local_fallback) return false;
  if (log_ != nullptr) {
    log_->Warning("user=" + user_ + " the fleet state can't be reached (" + failed.message() +
                  "); counting in this host's state_dir (state.fallback = \"local\")");
  }
  fleet_down_ = true;
  return true;
}

Result<UserState> LoginState::Read() const {
  if (UsesFleet()) {
    Result<UserState> shared = fleet_->Read();
    if (shared.ok() || !FallBackToLocal(shared.status())) return shared;
  }
  return store_.Read(user_);
}

Status LoginState::CheckNotLocked() const {
  Result<UserState> state = Read();
  if (!state.ok()) return state.status();
  return CheckLockout(state.value(), Now());
}

Status LoginState::SendOrShare(Challenge& challenge, const std::string& destination, bool fresh,
                               const std::function<Status()>& send, SendReport* report) {
  *report = SendReport{};
  // Held until the code is recorded: a parallel login of the same user
  // waits here and then shares this code instead of sending a second one.
  Result<FileLock> sending = store_.LockUser(user_, StateStore::UserLock::kSends, LockKind::kExclusive);
  if (!sending.ok()) return sending.status();
  PendingCode left_behind;
  std::time_t counted_at = 0;  // the time the send is counted under
  {
    Result<UserTransaction> txn = store_.Lock(user_);
    if (!txn.ok()) return txn.status();
    UserState& state = txn->state();
    const std::time_t now = Now();
    if (Status locked = CheckLockout(state, now); !locked.ok()) return locked;
    // limits.allowed_countries is about phone numbers; an email address has no country.
    if (IsE164(destination)) {
      if (Status country = CheckCountry(destination, config_.limits); !country.ok()) return country;
    }

    // A code whose logins all ended without cleaning up (su dies on SIGINT
    // at the prompt): once a resend would be allowed anyway, it is replaced
    // rather than offered to this login as if just sent for it.
    if (!fresh && !state.pending.empty()) {
      const bool sender_ended = !AnyHolderAlive(state.pending);
      if (sender_ended && now - state.pending.sent_at >= config_.limits.resend_cooldown) {
        left_behind = state.pending;
      } else if (Share(challenge, state, sender_ended, report)) {
        return txn->Commit(Durability::kAtomicOnly);
      }
    }

    counted_at = now;
    if (Status counted = CountSend(state, now); !counted.ok()) {
      // No new code may be sent, but the one left behind still works: the
      // user is better told of it than refused.
      if (!left_behind.empty() && Share(challenge, state, /*sender_ended=*/true, report)) {
        return txn->Commit(Durability::kAtomicOnly);
      }
      return counted;
    }
    if (!left_behind.empty()) {
      state.pending = PendingCode{};
      *report = SendReport{false, true, now - left_behind.sent_at};
    }
    // The count is written before the send, so parallel sends of many users
    // can't pass the host-wide cap together; a send that failed for sure is
    // taken back (UncountSend).
    if (Status stored = txn->Commit(Durability::kAtomicOnly); !stored.ok()) return stored;
  }
  // Ended before the send: Verify would otherwise hand the same
  // verification, and the same code, back for it.
  if (!left_behind.empty()) challenge.Cancel(left_behind);
  // A failed resend leaves the earlier code (still valid) to share.
  if (Status outcome = send(); !outcome.ok()) {
    if (!MayHaveBeenSent(outcome)) {
      if (Status uncounted = UncountSend(counted_at); !uncounted.ok()) return uncounted;
    }
    return outcome;
  }
  return RecordPending(challenge.Export(Now()));
}

bool LoginState::MayHaveBeenSent(const Status& failed) {
  // Twilio answered (a refusal, a 5xx) or the request never left (refused
  // before a byte was written): nothing was sent. A timeout or a connection
  // lost after the request left may have cost a message: it stays counted.
  return failed.Is(Fault::kUnavailable) && !failed.witnessed();
}

Status LoginState::UncountSend(std::time_t counted_at) {
  Result<UserTransaction> txn = store_.Lock(user_);
  if (!txn.ok()) return txn.status();
  Result<GlobalTransaction> global = store_.LockGlobal();
  if (!global.ok()) return global.status();
  ForgetSend(txn->state(), global->state(), counted_at);
  if (Status stored = global->Commit(Durability::kAtomicOnly); !stored.ok()) return stored;
  return txn->Commit(Durability::kAtomicOnly);
}

Status LoginState::RecordPending(const PendingCode& sent) {
  Result<UserTransaction> txn = store_.Lock(user_);
  if (!txn.ok()) return txn.status();
  PendingCode& pending = txn->state().pending;
  std::vector<ProcessId> holders;
  // Verify hands a resend the same verification: whoever waits for it keeps
  // waiting for the same code.
  if (!pending.empty() && pending.id() == sent.id()) holders = std::move(pending.holders);
  if (held_ != sent.id()) holders.push_back(processes_.Self());
  pending = sent;
  pending.holders = std::move(holders);
  held_ = sent.id();
  return txn->Commit(Durability::kAtomicOnly);
}

Status LoginState::CountSend(UserState& state, std::time_t now) const {
  // The host-wide lock is taken inside the user's (one order: no deadlock)
  // and given back before the send.
  Result<GlobalTransaction> global = store_.LockGlobal();
  if (!global.ok()) return global.status();
  if (Status allowed = CheckSend(state, global->state(), config_.limits, now); !allowed.ok()) return allowed;
  RecordSend(state, global->state(), now);
  return global->Commit(Durability::kAtomicOnly);
}

bool LoginState::Share(Challenge& challenge, UserState& state, bool sender_ended, SendReport* report) {
  if (!challenge.Adopt(state.pending).ok()) return false;
  *report = SendReport{true, sender_ended, Now() - state.pending.sent_at};
  // This login waits for the code now: the next one must not take it for
  // left behind while it does, and one that gives up leaves it to this one.
  state.pending.holders.push_back(processes_.Self());
  held_ = state.pending.id();
  return true;
}

bool LoginState::AnyHolderAlive(const PendingCode& pending) const {
  return std::any_of(pending.holders.begin(), pending.holders.end(),
                     [this](const ProcessId& holder) { return processes_.Alive(holder); });
}

void LoginState::LeaveHolders(PendingCode& pending) const {
  EraseOne(pending.holders, processes_.Self());
  std::erase_if(pending.holders, [this](const ProcessId& holder) { return !processes_.Alive(holder); });
}

Result<CheckOutcome> LoginState::Check(Challenge& challenge, const Secret& typed) {
  const PendingCode mine = challenge.Export(Now());
  // Nothing pending (the challenge says so), or messaging mode, which
  // checks in this process: every holder has the code's HMAC.
  if (mine.empty() || mine.verification_sid.empty()) return challenge.Check(typed);
  Result<std::optional<CheckOutcome>> approved = CheckApproval(mine.id(), typed);
  if (!approved.ok()) return approved.status();
  if (approved.value()) {
    // Approved at Twilio already: nothing left to cancel.
    if (*approved.value() == CheckOutcome::kApproved) challenge.Forget();
    return *approved.value();
  }

  Result<FileLock> checking = store_.LockUser(user_, StateStore::UserLock::kChecks, LockKind::kShared);
  if (!checking.ok()) return checking.status();
  Result<CheckOutcome> checked = challenge.Check(typed);
  if (checked.ok() && checked.value() == CheckOutcome::kApproved) {
    // Written before the check lock goes: a parallel check that got 404
    // for this verification waits for it.
    (void)LeaveApproval(mine, typed);  // without it the others are asked for a new code
    return checked;
  }
  if (checked.ok() || !checked.status().Is(Fault::kCodeDead)) return checked;
  // Twilio no longer knows the verification: perhaps a parallel login's
  // check approved it a moment ago and is writing its approval now.
  { FileLock done = std::move(checking.value()); }
  if (Status waited = WaitForChecks(); !waited.ok()) return checked;
  approved = CheckApproval(mine.id(), typed);
  if (!approved.ok() || !approved.value()) return checked;
  return *approved.value();
}

Result<std::optional<CheckOutcome>> LoginState::CheckApproval(const std::string& code_id, const Secret& typed) const {
  Result<UserState> state = store_.Read(user_);
  if (!state.ok()) return state.status();
  const ApprovedCode& approved = state->approved;
  if (approved.empty() || approved.code_id != code_id || approved.expires_at <= Now()) {
    return std::optional<CheckOutcome>();
  }
  Result<CodeDigest> digest = CodeDigest::FromHex(approved.mac_key_hex, approved.mac_hex);
  if (!digest.ok()) return std::optional<CheckOutcome>();  // unreadable: as if there were none
  return std::optional<CheckOutcome>(digest->Matches(typed) ? CheckOutcome::kApproved : CheckOutcome::kWrongCode);
}

Status LoginState::LeaveApproval(const PendingCode& used, const Secret& typed) {
  Result<UserTransaction> txn = store_.Lock(user_);
  if (!txn.ok()) return txn.status();
  UserState& state = txn->state();
  if (state.pending.empty() || state.pending.id() != used.id()) return Status::Ok();
  LeaveHolders(state.pending);
  // Nobody else waits for it: the success write ends the code (no write here).
  if (state.pending.holders.empty()) return Status::Ok();
  Result<CodeDigest> digest = CodeDigest::Of(typed);
  if (!digest.ok()) return digest.status();
  state.approved = ApprovedCode{used.id(), digest->KeyHex(), digest->MacHex(),
                                state.pending.sent_at + static_cast<std::time_t>(config_.policy.code_ttl)};
  // Used: a login that starts from now on gets a fresh code.
  state.pending = PendingCode{};
  held_.clear();
  return txn->Commit(Durability::kAtomicOnly);
}

Status LoginState::WaitForChecks() {
  constexpr std::chrono::milliseconds kPoll{10};
  const auto deadline = clock_.Now() + std::chrono::seconds(config_.twilio.timeout);
  for (;;) {
    Result<std::optional<FileLock>> idle =
        store_.TryLockUser(user_, StateStore::UserLock::kChecks, LockKind::kExclusive);
    if (!idle.ok()) return idle.status();
    if (idle.value()) return Status::Ok();
    // A check stuck longer than its own timeout (a stopped process): no
    // approval is coming from it.
    if (clock_.Now() >= deadline) return Status::Unavailable("a parallel code check did not finish");
    clock_.SleepFor(kPoll);
  }
}

Result<bool> LoginState::UseBackupCode(const Secret& typed) {
  if (UsesFleet()) {
    Result<bool> used = fleet_->UseBackupCode(typed);
    // A code used here is followed by RecordSuccess, as a right code is.
    if (used.ok() || !FallBackToLocal(used.status())) return used;
  }
  Result<UserTransaction> txn = store_.Lock(user_);
  if (!txn.ok()) return txn.status();
  Result<bool> used = ConsumeBackupCode(txn->state().backup_codes, typed);
  if (!used.ok()) return used.status();
  if (used.value()) Succeed(txn->state());
  if (Status stored = txn->Commit(); !stored.ok()) return stored;
  return used.value();
}

Status LoginState::ReserveAttempt(bool* already_locked) {
  *already_locked = false;
  if (UsesFleet()) {
    Status counted = fleet_->ReserveAttempt(already_locked);
    attempt_in_fleet_ = counted.ok() && !*already_locked;
    if (counted.ok() || !FallBackToLocal(counted)) {
      // A guess that can't be counted is never checked, whatever failmode says.
      if (counted.Is(Fault::kUnavailable)) {
        return Status::StateError("the code can't be counted in the directory: " + counted.message());
      }
      return counted;
    }
  }
  // A crowd of logins waiting for a slot looks with a shared lock, less and
  // less often, so the logins in the slots have the state to themselves.
  std::chrono::milliseconds poll{10};
  constexpr std::chrono::milliseconds kMaxPoll{160};
  const auto deadline = clock_.Now() + std::chrono::seconds(config_.twilio.total_timeout);
  for (;;) {
    Result<bool> taken = TryReserve(already_locked);
    if (!taken.ok()) return taken.status();
    if (taken.value()) return Status::Ok();
    for (;;) {
      if (clock_.Now() >= deadline) {
        Status busy = Status::Rejected("limits.max_failures codes of this user are being checked at once");
        busy.WithUserMessage("Too many codes are being checked right now; try again in a moment.");
        return busy;
      }
      clock_.SleepFor(poll);
      poll = std::min(poll * 2, kMaxPoll);
      Result<UserState> now = store_.Read(user_);
      if (!now.ok()) return now.status();
      const bool abandoned = std::any_of(now->attempts.begin(), now->attempts.end(),
                                         [this](const AttemptInFlight& a) { return !processes_.Alive(a.owner); });
      if (!SlotsFull(now.value()) || now->locked_until > Now() || abandoned) break;
    }
  }
}

bool LoginState::SlotsFull(const UserState& state) const {
  const size_t slots = static_cast<size_t>(std::max(config_.limits.max_failures, 1));
  return state.failures.size() + state.attempts.size() >= slots;
}

Result<bool> LoginState::TryReserve(bool* already_locked) {
  Result<UserTransaction> txn = store_.Lock(user_);
  if (!txn.ok()) return txn.status();
  UserState& state = txn->state();
  const bool settled = SettleAbandonedAttempts(state);
  // Locked out (a parallel login's failures): this login ends without
  // checking what was typed.
  *already_locked = state.locked_until > Now();
  if (!*already_locked && !SlotsFull(state)) {
    attempt_ = AttemptInFlight{processes_.Self(), Now()};
    state.attempts.push_back(*attempt_);
  }
  if (settled || attempt_) {
    // Lost in a crash at worst, with the guess it counted; a failure of a
    // login that is gone is kept.
    if (Status stored = txn->Commit(settled ? Durability::kDurable : Durability::kAtomicOnly); !stored.ok()) {
      attempt_.reset();
      return stored;
    }
  }
  return *already_locked || attempt_.has_value();
}

bool LoginState::SettleAbandonedAttempts(UserState& state) const {
  bool any = false;
  std::erase_if(state.attempts, [&](const AttemptInFlight& attempt) {
    if (processes_.Alive(attempt.owner)) return false;
    twotp::RecordFailure(state, config_.limits, Now());
    any = true;
    return true;
  });
  return any;
}

Status LoginState::RecordWrongCode(bool* locks_now) {
  *locks_now = false;
  if (attempt_in_fleet_) {
    attempt_in_fleet_ = false;
    fleet_->RecordWrongCode(locks_now);
    return Status::Ok();
  }
  Result<UserTransaction> txn = store_.Lock(user_);
  if (!txn.ok()) return txn.status();
  UserState& state = txn->state();
  // Gone from the state (an unlock meanwhile) is counted all the same.
  TakeBack(state);
  *locks_now = twotp::RecordFailure(state, config_.limits, Now());
  if (*locks_now) {
    failed_.clear();  // the lockout cleared them all
  } else {
    failed_.push_back(Now());
  }
  return txn->Commit(*locks_now ? Durability::kDurable : Durability::kAtomicOnly);
}

Status LoginState::TakeBackAttempt() {
  if (attempt_in_fleet_) {
    attempt_in_fleet_ = false;
    return fleet_->TakeBackAttempt();
  }
  if (!attempt_) return Status::Ok();
  Result<UserTransaction> txn = store_.Lock(user_);
  if (!txn.ok()) return txn.status();
  if (!TakeBack(txn->state())) return Status::Ok();
  return txn->Commit(Durability::kAtomicOnly);
}

bool LoginState::TakeBack(UserState& state) {
  if (!attempt_) return false;
  const AttemptInFlight mine = *attempt_;
  attempt_.reset();
  return EraseOne(state.attempts, mine);
}

LoginState::~LoginState() {
  if (!attempt_) return;
  try {
    bool locks_now = false;
    (void)RecordWrongCode(&locks_now);
  } catch (...) {
  }
}

Status LoginState::Release(Challenge& challenge) {
  const PendingCode mine = challenge.Export(Now());
  if (mine.empty()) return Status::Ok();
  bool last = true;
  {
    Result<UserTransaction> txn = store_.Lock(user_);
    if (!txn.ok()) {
      challenge.Abandon();
      return txn.status();
    }
    PendingCode& pending = txn->state().pending;
    if (!pending.empty() && pending.id() == mine.id()) {
      LeaveHolders(pending);
      last = pending.holders.empty();
      if (last) pending = PendingCode{};
      held_.clear();
      if (Status stored = txn->Commit(Durability::kAtomicOnly); !stored.ok()) {
        challenge.Abandon();
        return stored;
      }
    }
  }
  // After the state lock is given back: cancelling is a network call.
  if (last) {
    challenge.Abandon();
  } else {
    challenge.Forget();
  }
  return Status::Ok();
}

Status LoginState::RecordSuccess() {
  if (fleet_ && (attempt_in_fleet_ || UsesFleet())) {
    attempt_in_fleet_ = false;
    Status shared = fleet_->RecordSuccess(began_, GraceInUse(config_.policy));
    Status local = RecordLocalSuccess();
    return shared.ok() ? local : shared;
  }
  Result<UserTransaction> txn = store_.Lock(user_);
  if (!txn.ok()) return txn.status();
  Succeed(txn->state());
  return txn->Commit();
}

void LoginState::Succeed(UserState& state) {
  const std::time_t now = Now();
  (void)TakeBack(state);
  twotp::RecordSuccess(state, now, began_);
  for (std::time_t mine : failed_) EraseOne(state.failures, mine);
  failed_.clear();
  ForgetUsedCode(state);
  if (!GraceInUse(config_.policy)) return;
  std::erase_if(state.grace, [now](const auto& entry) { return entry.second <= now - kMaxGrace; });
  // No terminal session and no remote host: nothing a grace could be bound to.
  if (grace_key_) state.grace[*grace_key_] = now;
}

void LoginState::ForgetUsedCode(UserState& state) {
  // The code is used: a login that starts from now on gets a fresh one.
  if (!held_.empty() && !state.pending.empty() && state.pending.id() == held_) state.pending = PendingCode{};
  held_.clear();
}

Status LoginState::RecordLocalSuccess() {
  Result<UserTransaction> txn = store_.Lock(user_);
  if (!txn.ok()) return txn.status();
  twotp::RecordSuccess(txn->state(), Now(), began_);  // ends this host's resend cooldown
  ForgetUsedCode(txn->state());
  return txn->Commit(Durability::kAtomicOnly);
}

}  // namespace twotp
