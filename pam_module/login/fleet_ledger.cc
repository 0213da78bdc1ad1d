#include "login/fleet_ledger.h"

#include <algorithm>
#include <utility>

#include "login/grace.h"
#include "state/backup_codes.h"

namespace twotp {

namespace {

// A host name as a failure value can carry it (fleet_values.h): printable,
// no space; anything else becomes '_'.
std::string ValueWord(std::string host) {
  for (char& c : host) {
    if (c <= ' ' || c >= 0x7f) c = '_';
  }
  if (host.empty()) host = "localhost";
  return host.substr(0, 64);
}

}  // namespace

FleetLedger::FleetLedger(const Config& config, FleetStore* store, Clock& clock, std::string user,
                         std::optional<std::string> grace_key, std::string host)
    : config_(config),
      store_(store),
      clock_(clock),
      user_(std::move(user)),
      grace_key_(std::move(grace_key)),
      host_(ValueWord(std::move(host))) {}

Result<FleetValues> FleetLedger::Values() const {
  if (store_ == nullptr) return Status::Unavailable("the fleet state's directory backend could not be loaded");
  return store_->Read(user_);
}

Result<FleetLockout> FleetLedger::Lockout(const FleetValues& values) const {
  return AddUpFailures(values.failures, config_.limits, Now());
}

Result<UserState> FleetLedger::Read() const {
  Result<FleetValues> values = Values();
  if (!values.ok()) return values.status();
  return FleetUserState(user_, values->failures, values->backup_codes, values->grace, config_.limits, Now(),
                        grace_key_);
}

Status FleetLedger::ReserveAttempt(bool* already_locked) {
  *already_locked = false;
  if (store_ == nullptr) return Values().status();
  // No read first: a lockout in force shows in the read-back below (this
  // value lands inside it), and one round trip fewer is one less chance
  // for the directory to fail between counting and checking.
  Result<FleetFailure> mine = NewFleetFailure(Now(), host_);
  if (!mine.ok()) return mine.status();
  if (Status added = store_->Add(user_, FleetAttribute::kFailure, mine->value); !added.ok()) return added;
  attempt_ = mine->value;
  // Read back from the same directory: logins racing on this provider all
  // see the same values and agree which of them come within the limit.
  Result<FleetValues> values = Values();
  if (!values.ok()) return values.status();  // the value stays: counted, not checked
  Result<FleetLockout> lockout = Lockout(values.value());
  if (!lockout.ok()) return lockout.status();
  // Checked only when this value is part of the current run and the run,
  // counted with it, is within the limit. By count, not by place in the
  // order: values of one second (or of hosts whose clocks differ a little)
  // may sort before values already checked, and must not slip in beside them.
  const size_t max_failures = static_cast<size_t>(std::max(config_.limits.max_failures, 1));
  if (!RunPosition(lockout.value(), *attempt_) || lockout->live.size() > max_failures) {
    // Not checked, but counted all the same: a crowd of parallel guesses
    // locks the user out at once, on every host, instead of waiting in turn.
    *already_locked = true;
    failed_.push_back(*attempt_);
    attempt_.reset();
    return Status::Ok();
  }
  locks_if_wrong_ = lockout->live.size() == max_failures;
  return Status::Ok();
}

void FleetLedger::RecordWrongCode(bool* locks_now) {
  *locks_now = false;
  if (!attempt_) return;
  *locks_now = locks_if_wrong_;
  failed_.push_back(*attempt_);
  attempt_.reset();
}

Status FleetLedger::DeleteIfThere(FleetAttribute attribute, const std::string& value) {
  Status deleted = store_->Delete(user_, attribute, value);
  return deleted.Is(Fault::kNotFound) ? Status::Ok() : deleted;
}

Status FleetLedger::TakeBackAttempt() {
  if (!attempt_) return Status::Ok();
  const std::string value = *attempt_;
  attempt_.reset();
  return DeleteIfThere(FleetAttribute::kFailure, value);
}

Result<bool> FleetLedger::UseBackupCode(const Secret& typed) {
  Result<FleetValues> values = Values();
  if (!values.ok()) return values.status();
  std::vector<BackupCodeHash> hashes;
  for (const std::string& value : values->backup_codes) {
    Result<BackupCodeHash> hash = ParseFleetBackupCode(value);
    if (!hash.ok()) return hash.status();
    hashes.push_back(std::move(hash.value()));
  }
  Result<std::optional<size_t>> match = FindBackupCode(hashes, typed);
  if (!match.ok()) return match.status();
  if (!match.value()) return false;
  // Exactly the value read (hashes[i] is parsed from backup_codes[i]).
  Status deleted = store_->Delete(user_, FleetAttribute::kBackupCode, values->backup_codes[*match.value()]);
  // Gone already: another host consumed it a moment ago.
  if (deleted.Is(Fault::kNotFound)) return false;
  if (!deleted.ok()) return deleted;
  return true;
}

Status FleetLedger::RecordSuccess(std::time_t login_began, bool grace_in_use) {
  Status first;  // the first problem; every step is still tried
  auto keep = [&first](const Status& s) {
    if (first.ok() && !s.ok()) first = s;
  };
  keep(TakeBackAttempt());
  Result<FleetValues> values = Values();
  if (!values.ok()) return values.status();
  for (const std::string& value : failed_) keep(DeleteIfThere(FleetAttribute::kFailure, value));
  Result<FleetLockout> lockout = Lockout(values.value());
  if (lockout.ok()) {
    // Failures before this login began are forgiven (a parallel login's
    // stand); so are runs whose lockout is over.
    for (const FleetFailure& failure : lockout->live) {
      if (failure.at < login_began && std::find(failed_.begin(), failed_.end(), failure.value) == failed_.end()) {
        keep(DeleteIfThere(FleetAttribute::kFailure, failure.value));
      }
    }
    for (const std::string& value : lockout->stale) keep(DeleteIfThere(FleetAttribute::kFailure, value));
  }
  failed_.clear();
  if (!grace_in_use || !grace_key_) return first;
  const std::time_t now = Now();
  const std::string key = FleetGraceKey(user_, *grace_key_);
  const std::string stamp_now = FormatFleetGrace(key, now);
  // A parallel login of this second may have left the very same stamp.
  const auto& stamps = values->grace;
  if (std::find(stamps.begin(), stamps.end(), stamp_now) == stamps.end()) {
    keep(store_->Add(user_, FleetAttribute::kGrace, stamp_now));
  }
  // This key's older stamps, and anyone's too old to matter, go.
  for (const std::string& value : stamps) {
    const auto stamp = ParseFleetGrace(value);
    if (value != stamp_now && (!stamp || stamp->first == key || stamp->second <= now - kMaxGrace)) {
      keep(DeleteIfThere(FleetAttribute::kGrace, value));
    }
  }
  return first;
}

}  // namespace twotp
