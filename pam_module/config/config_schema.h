// The keys of pam_twilio_otp.conf and the rules that tie them together.
// Internal to config*.cc; everyone else uses config.h.
#ifndef PAM_TWILIO_OTP_CONFIG_SCHEMA_H_
#define PAM_TWILIO_OTP_CONFIG_SCHEMA_H_

#include <span>

#include "config/config.h"
#include "config/config_reader.h"
#include "base/file_trust.h"

namespace twotp {

// Every key the file may hold, with its kind and range.
std::span<const KeySpec> ConfigSchema();

// Checks `reader` against ConfigSchema(), then reads every key into *config
// (missing keys keep the defaults of config.h) and checks the per-mode and
// cross-key rules. CA files the config names are opened through `trust`,
// since whoever can write them can impersonate Twilio. The first problem is
// left in reader.status(); *config is only meaningful when that is ok.
void ReadConfigKeys(ConfigReader& reader, const FileTrust& trust, Config* config);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_CONFIG_SCHEMA_H_
