#include "twilio/messaging_challenge.h"

#include "base/text.h"
#include "twilio/message_template.h"

namespace twotp {

MessagingChallenge::MessagingChallenge(const PolicyConfig& policy, TwilioClient& client, Clock& clock)
    : policy_(policy), client_(client), clock_(clock) {}

Status MessagingChallenge::Send(const std::string& to, Channel channel, const ChallengeContext& context) {
  if (channel == Channel::kWhatsapp) {
    return Status::BadInput("messaging mode sends SMS and voice calls only; WhatsApp needs verify mode");
  }
  Result<Secret> code = GenerateCode(policy_.code_length);
  if (!code.ok()) return code.status();
  Result<CodeDigest> digest = CodeDigest::Of(code.value());
  if (!digest.ok()) return digest.status();

  Status sent;
  if (channel == Channel::kCall) {
    sent = client_.PlaceCall(to, SpokenCode(code.value())).status();
  } else {
    sent = client_.SendMessage(to, RenderMessage(policy_.message, code.value(), context,
                                                 policy_.code_ttl)).status();
  }
  if (!sent.ok()) return sent;
  // A new code replaces the old one: only the latest message is valid.
  pending_ = std::move(digest.value());
  issued_ = clock_.Now();
  channel_ = channel;
  return Status::Ok();
}

Result<CheckOutcome> MessagingChallenge::Check(const Secret& typed) {
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

void MessagingChallenge::Abandon() { pending_.reset(); }

void MessagingChallenge::Forget() { pending_.reset(); }

// An SMS can't be unsent; the code ends when the state forgets its HMAC.
void MessagingChallenge::Cancel(const PendingCode&) {}

PendingCode MessagingChallenge::Export(std::time_t sent_at) const {
  PendingCode pending;
  if (!pending_) return pending;
  pending.mac_key_hex = pending_->KeyHex();
  pending.mac_hex = pending_->MacHex();
  pending.channel = ChannelName(channel_);
  pending.sent_at = sent_at;
  return pending;
}

Status MessagingChallenge::Adopt(const PendingCode& pending) {
  const std::time_t age = clock_.WallNow() - pending.sent_at;
  if (pending.mac_hex.empty() || age < 0 || age > policy_.code_ttl) {
    return Status::CodeDead("no shared code to take over");
  }
  Result<CodeDigest> digest = CodeDigest::FromHex(pending.mac_key_hex, pending.mac_hex);
  if (!digest.ok()) return digest.status();
  pending_ = std::move(digest.value());
  issued_ = clock_.Now() - std::chrono::seconds(age);
  channel_ = ParseChannel(pending.channel).value_or(Channel::kSms);
  return Status::Ok();
}

}  // namespace twotp
