#include "twilio/local_code.h"

#include <utility>

#include "base/text.h"

namespace twotp {

LocalCode::LocalCode(const PolicyConfig& policy, Clock& clock) : policy_(policy), clock_(clock) {}

Result<LocalCode::Fresh> LocalCode::Make() const {
  Result<Secret> code = GenerateCode(policy_.code_length);
  if (!code.ok()) return code.status();
  Result<CodeDigest> digest = CodeDigest::Of(code.value());
  if (!digest.ok()) return digest.status();
  return Fresh{std::move(code.value()), std::move(digest.value())};
}

void LocalCode::Keep(CodeDigest digest) {
  pending_ = std::move(digest);
  issued_ = clock_.Now();
}

Result<CheckOutcome> LocalCode::Check(const Secret& typed) {
  if (!pending_) return Status::CodeDead("no code is pending");
  if (clock_.Now() - issued_ > std::chrono::seconds(policy_.code_ttl)) {
    pending_.reset();
    return Status::CodeDead("the code is older than policy.code_ttl");
  }
  const size_t length = static_cast<size_t>(policy_.code_length);
  if (!IsDigits(typed.view(), length, length)) return CheckOutcome::kWrongCode;
  if (!pending_->Matches(typed)) return CheckOutcome::kWrongCode;
  pending_.reset();  // single use
  return CheckOutcome::kApproved;
}

void LocalCode::ExportTo(PendingCode& out) const {
  if (!pending_) return;
  out.mac_key_hex = pending_->KeyHex();
  out.mac_hex = pending_->MacHex();
}

Status LocalCode::AdoptFrom(const PendingCode& pending) {
  const std::time_t age = clock_.WallNow() - pending.sent_at;
  if (pending.mac_hex.empty() || age < 0 || age > policy_.code_ttl) {
    return Status::CodeDead("no shared code to take over");
  }
  Result<CodeDigest> digest = CodeDigest::FromHex(pending.mac_key_hex, pending.mac_hex);
  if (!digest.ok()) return digest.status();
  pending_ = std::move(digest.value());
  issued_ = clock_.Now() - std::chrono::seconds(age);
  return Status::Ok();
}

}  // namespace twotp
