#include "config/channel.h"

namespace twotp {

const char* ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kSms: return "sms";
    case Channel::kCall: return "call";
    case Channel::kWhatsapp: return "whatsapp";
    case Channel::kEmail: return "email";
    case Channel::kTotp: return "totp";
  }
  return "sms";
}

std::optional<Channel> ParseChannel(std::string_view name) {
  if (name == "sms") return Channel::kSms;
  if (name == "call") return Channel::kCall;
  if (name == "whatsapp") return Channel::kWhatsapp;
  if (name == "email") return Channel::kEmail;
  if (name == "totp") return Channel::kTotp;
  return std::nullopt;
}

const char* ChannelDescription(Channel channel) {
  switch (channel) {
    case Channel::kSms: return "SMS";
    case Channel::kCall: return "voice call";
    case Channel::kWhatsapp: return "WhatsApp";
    case Channel::kEmail: return "email";
    case Channel::kTotp: return "authenticator app";
  }
  return "SMS";
}

std::optional<Channel> FirstTextChannel(const std::vector<Channel>& allowed) {
  for (Channel channel : allowed) {
    if (channel == Channel::kSms || channel == Channel::kWhatsapp) return channel;
  }
  return std::nullopt;
}

}  // namespace twotp
