#include "twilio/rate_limits.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "base/hex.h"
#include "base/text.h"
#include "twilio/twilio_reply.h"

namespace twotp {

namespace {

using nlohmann::json;

constexpr size_t kKeyHexDigits = 32;
// Our three limits, and at most a few buckets each: one page holds them.
constexpr char kPage[] = "?PageSize=50";

std::string RateLimitsUrl(const TwilioClient& client) {
  return TwilioVerifyServiceUrl(client.config()) + "/RateLimits";
}

// unique_name -> sid of the service's rate limits.
Result<std::map<std::string, std::string>> ListRateLimits(TwilioClient& client) {
  constexpr TwilioCall kCall = TwilioCall::kListRateLimits;
  Result<json> list = GetJsonList(client.transport(), kCall, RateLimitsUrl(client) + kPage, "rate_limits");
  if (!list.ok()) return list.status();
  std::map<std::string, std::string> out;
  for (const json& limit : list.value()) {
    if (!limit.is_object()) continue;
    const std::string sid = JsonString(limit, "sid");
    if (IsSid(sid, "RK")) out[JsonString(limit, "unique_name")] = sid;
  }
  return out;
}

struct Bucket {
  std::string sid;
  int max = 0;
  int interval = 0;
};

Result<std::vector<Bucket>> ListBuckets(TwilioClient& client, const std::string& limit_sid) {
  constexpr TwilioCall kCall = TwilioCall::kListBuckets;
  Result<json> list =
      GetJsonList(client.transport(), kCall, RateLimitsUrl(client) + "/" + limit_sid + "/Buckets" + kPage, "buckets");
  if (!list.ok()) return list.status();
  std::vector<Bucket> out;
  for (const json& bucket : list.value()) {
    if (!bucket.is_object()) continue;
    Bucket b{JsonString(bucket, "sid")};
    if (!IsSid(b.sid, "BL")) continue;
    const auto max = bucket.find("max");
    const auto interval = bucket.find("interval");
    if (max != bucket.end() && max->is_number_integer()) b.max = max->get<int>();
    if (interval != bucket.end() && interval->is_number_integer()) b.interval = interval->get<int>();
    out.push_back(b);
  }
  return out;
}

// POSTs a create call; *sid is the new resource's, with `prefix`.
Status Created(TwilioClient& client, TwilioCall call, const std::string& url, const Form& form, std::string* sid,
               std::string_view prefix) {
  Result<json> object = CreatedObject(call, client.Post(call, url, form), {prefix});
  if (!object.ok()) return object.status();
  *sid = JsonString(object.value(), "sid");
  return Status::Ok();
}

Form BucketForm(const PlannedBucket& bucket) {
  Form form;
  AddField(form, "Max", std::to_string(bucket.max));
  AddField(form, "Interval", std::to_string(bucket.interval));
  return form;
}

std::string BucketText(const char* limit, int max, int interval) {
  return std::string(limit) + ": " + std::to_string(max) + " per " + std::to_string(interval) + " s";
}

// Makes one rate limit's buckets those of `planned` (Twilio allows one
// bucket per interval in a rate limit).
Status SyncBuckets(TwilioClient& client, const PlannedRateLimit& planned, const std::string& limit_sid,
                   std::vector<RateLimitChange>* changes) {
  Result<std::vector<Bucket>> existing = ListBuckets(client, limit_sid);
  if (!existing.ok()) return existing.status();
  const std::string buckets_url = RateLimitsUrl(client) + "/" + limit_sid + "/Buckets";
  for (const PlannedBucket& want : planned.buckets) {
    auto same_interval = std::find_if(existing->begin(), existing->end(),
                                      [&](const Bucket& b) { return b.interval == want.interval; });
    const std::string text = BucketText(planned.unique_name, want.max, want.interval);
    if (same_interval == existing->end()) {
      std::string sid;
      if (Status made = Created(client, TwilioCall::kCreateBucket, buckets_url, BucketForm(want), &sid, "BL");
          !made.ok()) {
        return made;
      }
      changes->push_back({"created bucket " + text, true});
    } else if (same_interval->max != want.max) {
      Form form;
      AddField(form, "Max", std::to_string(want.max));
      Result<HttpResponse> reply = client.Post(TwilioCall::kUpdateBucket, buckets_url + "/" + same_interval->sid, form);
      if (!reply.ok()) return reply.status();
      changes->push_back({"updated bucket " + text + " (was " + std::to_string(same_interval->max) + ")", true});
    } else {
      changes->push_back({"bucket " + text + ": up to date", false});
    }
  }
  for (const Bucket& old : existing.value()) {
    const bool planned_interval = std::any_of(planned.buckets.begin(), planned.buckets.end(),
                                              [&](const PlannedBucket& b) { return b.interval == old.interval; });
    if (planned_interval) continue;
    Result<HttpResponse> reply = client.transport().Delete(buckets_url + "/" + old.sid);
    if (!reply.ok()) return reply.status();
    if (Status refused = RefusalOf(TwilioCall::kDeleteBucket, reply.value()); !refused.ok()) return refused;
    changes->push_back({"deleted bucket " + BucketText(planned.unique_name, old.max, old.interval), true});
  }
  return Status::Ok();
}

}  // namespace

std::string RateLimitKeys(const std::string& user, const std::string& host) {
  const json keys = {{kUserRateLimit, Sha256Hex(user, kKeyHexDigits)},
                     {kHostRateLimit, Sha256Hex(host, kKeyHexDigits)},
                     {kFleetRateLimit, "all"}};
  return keys.dump();
}

std::vector<PlannedRateLimit> PlannedRateLimits(const LimitsConfig& limits) {
  std::vector<PlannedRateLimit> plan = {
      {kUserRateLimit, "pam_twilio_otp: codes per user, all hosts together",
       {{limits.sends_per_window, limits.send_window}}},
      {kHostRateLimit, "pam_twilio_otp: codes per host", {{limits.global_sends_per_hour, 3600}}},
      {kFleetRateLimit, "pam_twilio_otp: codes from every host together", {}},
  };
  if (limits.fleet_sends_per_hour > 0) plan.back().buckets.push_back({limits.fleet_sends_per_hour, 3600});
  return plan;
}

Result<std::vector<RateLimitChange>> SetUpRateLimits(TwilioClient& client, const LimitsConfig& limits) {
  Result<std::map<std::string, std::string>> existing = ListRateLimits(client);
  if (!existing.ok()) return existing.status();
  std::vector<RateLimitChange> changes;
  for (const PlannedRateLimit& planned : PlannedRateLimits(limits)) {
    std::string sid;
    if (auto found = existing->find(planned.unique_name); found != existing->end()) {
      sid = found->second;
      changes.push_back({std::string("rate limit ") + planned.unique_name + ": exists (" + sid + ")", false});
    } else {
      Form form;
      AddField(form, "UniqueName", planned.unique_name);
      AddField(form, "Description", planned.description);
      if (Status made = Created(client, TwilioCall::kCreateRateLimit, RateLimitsUrl(client), form, &sid, "RK");
          !made.ok()) {
        return made;
      }
      changes.push_back({std::string("created rate limit ") + planned.unique_name + " (" + sid + ")", true});
    }
    if (Status synced = SyncBuckets(client, planned, sid, &changes); !synced.ok()) return synced;
  }
  return changes;
}

Result<std::vector<std::string>> MissingRateLimits(TwilioClient& client, const LimitsConfig& limits) {
  Result<std::map<std::string, std::string>> existing = ListRateLimits(client);
  if (!existing.ok()) return existing.status();
  std::vector<std::string> missing;
  for (const PlannedRateLimit& planned : PlannedRateLimits(limits)) {
    if (existing->count(planned.unique_name) == 0) missing.push_back(planned.unique_name);
  }
  return missing;
}

}  // namespace twotp
