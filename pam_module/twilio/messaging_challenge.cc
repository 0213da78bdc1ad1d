#include "twilio/messaging_challenge.h"

#include "twilio/message_template.h"

namespace twotp {

MessagingChallenge::MessagingChallenge(const PolicyConfig& policy, TwilioClient& client, Clock& clock)
    : policy_(policy), client_(client), code_(policy, clock) {}

Status MessagingChallenge::Send(const std::string& to, Channel channel, const ChallengeContext& context) {
  if (channel != Channel::kSms && channel != Channel::kCall) {
    return Status::BadInput("messaging mode sends SMS and voice calls only; " + std::string(ChannelDescription(channel)) +
                            " needs verify mode");
  }
  Result<LocalCode::Fresh> fresh = code_.Make();
  if (!fresh.ok()) return fresh.status();
  const Secret& code = fresh->code;
  Status sent;
  if (channel == Channel::kCall) {
    sent = client_.PlaceCall(to, SpokenCode(code)).status();
  } else {
    sent = client_.SendMessage(to, RenderMessage(policy_.message, code, context, policy_.code_ttl)).status();
  }
  if (!sent.ok()) return sent;
  code_.Keep(std::move(fresh->digest));
  channel_ = channel;
  return Status::Ok();
}

Result<CheckOutcome> MessagingChallenge::Check(const Secret& typed) { return code_.Check(typed); }

void MessagingChallenge::Abandon() { code_.Clear(); }

void MessagingChallenge::Forget() { code_.Clear(); }

// An SMS can't be unsent; the code ends when the state forgets its HMAC.
void MessagingChallenge::Cancel(const PendingCode&) {}

PendingCode MessagingChallenge::Export(std::time_t sent_at) const {
  PendingCode pending;
  if (!code_.pending()) return pending;
  code_.ExportTo(pending);
  pending.channel = ChannelName(channel_);
  pending.sent_at = sent_at;
  return pending;
}

Status MessagingChallenge::Adopt(const PendingCode& pending) {
  if (Status adopted = code_.AdoptFrom(pending); !adopted.ok()) return adopted;
  channel_ = ParseChannel(pending.channel).value_or(Channel::kSms);
  return Status::Ok();
}

}  // namespace twotp
