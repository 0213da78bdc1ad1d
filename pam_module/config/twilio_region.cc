#include "config/twilio_region.h"

namespace twotp {

namespace {

constexpr size_t kMaxEdge = 20;  // "singapore-ix" and its kind

struct RegionEdge {
  std::string_view region;
  std::string_view edge;
};
// The edge each Region is reached through by default (Twilio's Regional
// guide and its libraries' map).
constexpr RegionEdge kDefaultEdges[] = {
    {"us1", "ashburn"}, {"ie1", "dublin"}, {"au1", "sydney"}, {"jp1", "tokyo"}};

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }

}  // namespace

bool IsRegionName(std::string_view region) {
  return region.size() == 3 && IsLower(region[0]) && IsLower(region[1]) && region[2] >= '0' && region[2] <= '9';
}

bool IsEdgeName(std::string_view edge) {
  if (edge.empty() || edge.size() > kMaxEdge || edge.front() == '-' || edge.back() == '-') return false;
  for (char c : edge) {
    if (!IsLower(c) && c != '-') return false;
  }
  return true;
}

std::optional<std::string> RegionalHostSuffix(std::string_view region, std::string_view edge) {
  if (region.empty() && edge.empty()) return std::string();
  const std::string_view chosen_region = region.empty() ? std::string_view("us1") : region;
  std::string_view chosen_edge = edge;
  for (const RegionEdge& known : kDefaultEdges) {
    if (chosen_edge.empty() && known.region == chosen_region) chosen_edge = known.edge;
  }
  if (chosen_edge.empty()) return std::nullopt;
  return std::string(chosen_edge) + "." + std::string(chosen_region) + ".twilio.com";
}

std::string RegionalUrl(std::string_view product, std::string_view suffix) {
  return "https://" + std::string(product) + "." + std::string(suffix);
}

}  // namespace twotp
