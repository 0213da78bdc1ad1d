// twilio/rate_limits: the keys a verification names, the limits and buckets
// limits = { ... } asks for, and setup against a scripted Verify service:
// what it creates, updates, deletes and leaves alone.
#include <string>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "twilio/rate_limits.h"
#include "scripted_transport.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;
using nlohmann::json;

namespace {

const std::string kLimits = "https://verify.example/v2/Services/VA0123456789abcdef0123456789abcdef/RateLimits";
constexpr char kUserSid[] = "RK00000000000000000000000000000001";
constexpr char kHostSid[] = "RK00000000000000000000000000000002";
constexpr char kFleetSid[] = "RK00000000000000000000000000000003";

struct Rig {
  Rig() {
    twilio.verify_url = "https://verify.example";
    twilio.verify_service_sid = "VA0123456789abcdef0123456789abcdef";
    limits.sends_per_window = 5;
    limits.send_window = 900;
    limits.global_sends_per_hour = 200;
  }
  TwilioConfig twilio;
  LimitsConfig limits;
  ScriptedTransport transport;
  SystemClock clock;
  TwilioClient client{twilio, transport, clock};
};

std::string LimitList(std::initializer_list<std::pair<const char*, const char*>> limits) {
  json list = json::array();
  for (const auto& [name, sid] : limits) list.push_back({{"sid", sid}, {"unique_name", name}});
  return json{{"rate_limits", list}}.dump();
}

std::string BucketList(std::initializer_list<std::tuple<const char*, int, int>> buckets) {
  json list = json::array();
  for (const auto& [sid, max, interval] : buckets) list.push_back({{"sid", sid}, {"max", max}, {"interval", interval}});
  return json{{"buckets", list}}.dump();
}

void test_the_keys_name_user_host_and_fleet_without_giving_them_away(void**) {
  const json keys = json::parse(RateLimitKeys("alice", "web1"));
  assert_int_equal(keys.size(), 3);
  const std::string user = keys.at(kUserRateLimit), host = keys.at(kHostRateLimit);
  assert_int_equal(user.size(), 32);
  assert_true(user.find("alice") == std::string::npos);
  assert_true(host != user && host.size() == 32);
  assert_string_equal(keys.at(kFleetRateLimit).get<std::string>().c_str(), "all");
  // The same user has the same key on every host: that is what makes the cap fleet-wide.
  assert_true(json::parse(RateLimitKeys("alice", "web2")).at(kUserRateLimit) == user);
  assert_true(json::parse(RateLimitKeys("bob", "web1")).at(kUserRateLimit) != user);
}

void test_the_plan_follows_the_limits(void**) {
  Rig rig;
  std::vector<PlannedRateLimit> plan = PlannedRateLimits(rig.limits);
  assert_int_equal(plan.size(), 3);
  assert_string_equal(plan[0].unique_name, kUserRateLimit);
  assert_true(plan[0].buckets.size() == 1 && plan[0].buckets[0].max == 5 && plan[0].buckets[0].interval == 900);
  assert_true(plan[1].buckets.size() == 1 && plan[1].buckets[0].max == 200 && plan[1].buckets[0].interval == 3600);
  assert_true(plan[2].buckets.empty());  // fleet_sends_per_hour = 0: no fleet-wide cap
  rig.limits.fleet_sends_per_hour = 1000;
  plan = PlannedRateLimits(rig.limits);
  assert_true(plan[2].buckets.size() == 1 && plan[2].buckets[0].max == 1000);
}

void test_setup_on_an_empty_service_creates_everything(void**) {
  Rig rig;
  rig.transport.Reply(200, LimitList({}));
  rig.transport.Reply(201, json{{"sid", kUserSid}}.dump());
  rig.transport.Reply(200, BucketList({}));
  rig.transport.Reply(201, json{{"sid", "BL00000000000000000000000000000001"}}.dump());
  rig.transport.Reply(201, json{{"sid", kHostSid}}.dump());
  rig.transport.Reply(200, BucketList({}));
  rig.transport.Reply(201, json{{"sid", "BL00000000000000000000000000000002"}}.dump());
  rig.transport.Reply(201, json{{"sid", kFleetSid}}.dump());
  rig.transport.Reply(200, BucketList({}));
  Result<std::vector<RateLimitChange>> changes = SetUpRateLimits(rig.client, rig.limits);
  assert_true(changes.ok());
  const auto& r = rig.transport.requests;
  assert_int_equal(r.size(), 9);
  assert_string_equal(r[1].url.c_str(), kLimits.c_str());
  assert_string_equal(r[1]["UniqueName"].c_str(), kUserRateLimit);
  assert_string_equal(r[3].url.c_str(), (kLimits + "/" + kUserSid + "/Buckets").c_str());
  assert_string_equal(r[3]["Max"].c_str(), "5");
  assert_string_equal(r[3]["Interval"].c_str(), "900");
  assert_string_equal(r[7]["UniqueName"].c_str(), kFleetRateLimit);
  int changed = 0;
  for (const RateLimitChange& c : changes.value()) changed += c.changed ? 1 : 0;
  assert_int_equal(changed, 5);  // three limits, two buckets
}

void test_setup_again_updates_what_differs_and_deletes_what_the_plan_dropped(void**) {
  Rig rig;
  rig.limits.sends_per_window = 3;
  rig.transport.Reply(200, LimitList({{kUserRateLimit, kUserSid}, {kHostRateLimit, kHostSid}, {kFleetRateLimit, kFleetSid}}));
  rig.transport.Reply(200, BucketList({{"BL00000000000000000000000000000001", 5, 900}}));
  rig.transport.Reply(200, "{}");  // the update
  rig.transport.Reply(200, BucketList({{"BL00000000000000000000000000000002", 200, 3600}}));
  rig.transport.Reply(200, BucketList({{"BL00000000000000000000000000000003", 50, 3600}}));
  rig.transport.Reply(204, "");  // the fleet bucket goes: fleet_sends_per_hour is 0 now
  Result<std::vector<RateLimitChange>> changes = SetUpRateLimits(rig.client, rig.limits);
  assert_true(changes.ok());
  const auto& r = rig.transport.requests;
  assert_int_equal(r.size(), 6);
  assert_string_equal(r[2].url.c_str(), (kLimits + "/" + kUserSid + "/Buckets/BL00000000000000000000000000000001").c_str());
  assert_string_equal(r[2]["Max"].c_str(), "3");
  assert_string_equal(r[5].method.c_str(), "DELETE");
  int changed = 0;
  for (const RateLimitChange& c : changes.value()) changed += c.changed ? 1 : 0;
  assert_int_equal(changed, 2);
}

void test_setup_stops_at_a_refusal(void**) {
  Rig rig;
  rig.transport.Reply(200, LimitList({}));
  rig.transport.Reply(403, R"({"code":20003,"message":"no"})");
  Result<std::vector<RateLimitChange>> changes = SetUpRateLimits(rig.client, rig.limits);
  assert_false(changes.ok());
  assert_int_equal(rig.transport.requests.size(), 2);
}

void test_missing_limits_are_named(void**) {
  Rig rig;
  rig.transport.Reply(200, LimitList({{kHostRateLimit, kHostSid}}));
  Result<std::vector<std::string>> missing = MissingRateLimits(rig.client, rig.limits);
  assert_true(missing.ok());
  assert_true(missing.value() == (std::vector<std::string>{kUserRateLimit, kFleetRateLimit}));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_the_keys_name_user_host_and_fleet_without_giving_them_away),
      cmocka_unit_test(test_the_plan_follows_the_limits),
      cmocka_unit_test(test_setup_on_an_empty_service_creates_everything),
      cmocka_unit_test(test_setup_again_updates_what_differs_and_deletes_what_the_plan_dropped),
      cmocka_unit_test(test_setup_stops_at_a_refusal),
      cmocka_unit_test(test_missing_limits_are_named),
  };
  return cmocka_run_group_tests_name("rate_limits", tests, nullptr, nullptr);
}
