// The skip rules of policy = { ... } (grace_period, trusted_networks, groups,
// skip_groups, exempt_users, exempt_groups, services.NAME overrides): read
// and checked here so config_schema.cc stays one screen per group.
#ifndef PAM_TWILIO_OTP_CONFIG_ACCESS_H_
#define PAM_TWILIO_OTP_CONFIG_ACCESS_H_

#include "config/config.h"
#include "config/config_reader.h"

namespace twotp {

// Reads the keys into `policy`; a network that is not a CIDR, or an empty
// name in a list, is recorded on `reader` with its place.
void ReadAccessRules(ConfigReader& reader, PolicyConfig* policy);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_CONFIG_ACCESS_H_
