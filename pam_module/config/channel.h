// Delivery channels, shared by the config, the directory and both Twilio modes.
#ifndef PAM_TWILIO_OTP_CHANNEL_H_
#define PAM_TWILIO_OTP_CHANNEL_H_

#include <optional>
#include <string_view>
#include <vector>

namespace twotp {

// kEmail goes to the user's address and kTotp is the user's authenticator
// app through Verify's TOTP factors (both verify mode only); the others go
// to the number.
enum class Channel { kSms, kCall, kWhatsapp, kEmail, kTotp };

// "sms", "call", "whatsapp", "email", "totp": the names in the config, the
// users file and (but "totp") Twilio Verify's `Channel` parameter.
const char* ChannelName(Channel channel);
std::optional<Channel> ParseChannel(std::string_view name);
// "SMS", "voice call", "WhatsApp", "email", "authenticator app": for prompts.
const char* ChannelDescription(Channel channel);

// Whether codes by `channel` go to the user's email address, not the number.
inline bool ToEmail(Channel channel) { return channel == Channel::kEmail; }
// Whether codes by `channel` go to the phone number (SMS, call, WhatsApp).
inline bool ToPhone(Channel channel) { return channel != Channel::kEmail && channel != Channel::kTotp; }

// The channel for codes to a number nobody has proven yet (enrolment at
// login): the first text channel ("sms" or "whatsapp") in `allowed`, never
// a voice call, which the caller's chosen premium or satellite number bills
// by the minute. nullopt when `allowed` has no text channel.
std::optional<Channel> FirstTextChannel(const std::vector<Channel>& allowed);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_CHANNEL_H_
