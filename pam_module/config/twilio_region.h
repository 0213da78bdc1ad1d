// Twilio Regions: twilio.region and twilio.edge name where Twilio processes
// and stores the requests (Regions: us1, ie1, au1, jp1) and where they enter
// its network (Edge Locations), and give the base URLs of a regional
// account: https://{product}.{edge}.{region}.twilio.com. Credentials belong
// to one Region, so the auth token or API key must be that Region's.
#ifndef PAM_TWILIO_OTP_TWILIO_REGION_H_
#define PAM_TWILIO_OTP_TWILIO_REGION_H_

#include <optional>
#include <string>
#include <string_view>

namespace twotp {

// A Region in form: two lower-case letters and a digit ("ie1").
bool IsRegionName(std::string_view region);
// An Edge Location in form: lower-case letters and inner '-' ("sao-paulo").
bool IsEdgeName(std::string_view edge);

// The host suffix "{edge}.{region}.twilio.com" for a region and an edge
// (each well formed, or "" when not set):
//   region and edge  -> as given;
//   region alone     -> the region's own edge (ie1 dublin, au1 sydney, jp1
//                       tokyo, us1 ashburn): the short
//                       {product}.{region}.twilio.com names stopped working
//                       on 28 April 2026; nullopt for a region with no known
//                       edge;
//   edge alone       -> region us1, as Twilio's libraries do;
//   neither          -> "" (the default hosts, api.twilio.com).
std::optional<std::string> RegionalHostSuffix(std::string_view region, std::string_view edge);

// "https://{product}.{suffix}".
std::string RegionalUrl(std::string_view product, std::string_view suffix);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_TWILIO_REGION_H_
