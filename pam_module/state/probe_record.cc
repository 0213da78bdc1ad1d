#include "state/probe_record.h"

#include <sys/stat.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/atomic_file.h"

namespace twotp {

namespace {
constexpr size_t kMaxProbeBytes = 4096;
}  // namespace

std::string ProbePath(const std::string& state_dir) { return state_dir + "/twilio-probe.json"; }

Status WriteProbeRecord(const std::string& state_dir, const ProbeRecord& record) {
  const std::string path = ProbePath(state_dir);
  try {
    const nlohmann::json object = {{"version", 1},
                                   {"checked_at", static_cast<long long>(record.checked_at)},
                                   {"reachable", record.reachable},
                                   {"detail", record.detail}};
    Result<FileLock> lock = FileLock::Acquire(path);
    if (!lock.ok()) return lock.status();
    return ReplaceFileAtomically(path, object.dump() + "\n", 0600);
  } catch (const std::exception& e) {
    return Status::Internal(path + ": " + e.what());
  }
}

Result<ProbeRecord> ReadProbeRecord(const std::string& state_dir, const FileTrust& trust) {
  const std::string path = ProbePath(state_dir);
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) return Status::NotFound(path + ": no probe has run");
  Result<std::string> text = trust.ReadTrusted(path, kMaxProbeBytes);
  if (!text.ok()) return Status::StateError(text.status().message());
  const nlohmann::json object = nlohmann::json::parse(text.value(), nullptr, /*allow_exceptions=*/false);
  if (!object.is_object() || object.value("version", 0) != 1 || !object.contains("checked_at") ||
      !object["checked_at"].is_number_integer() || !object.contains("reachable") ||
      !object["reachable"].is_boolean()) {
    return Status::StateError(path + ": not a probe record; run `twilio-otp probe` again");
  }
  ProbeRecord record;
  record.checked_at = static_cast<std::time_t>(object["checked_at"].get<long long>());
  record.reachable = object["reachable"].get<bool>();
  if (object.contains("detail") && object["detail"].is_string()) record.detail = object["detail"].get<std::string>();
  return record;
}

bool ProbeWitnessesOutage(const std::string& state_dir, const FileTrust& trust, std::time_t now, int max_age) {
  if (max_age <= 0) return false;
  try {
    Result<ProbeRecord> record = ReadProbeRecord(state_dir, trust);
    if (!record.ok() || record->reachable) return false;
    return record->checked_at <= now && now - record->checked_at <= max_age;
  } catch (const std::exception&) {
    return false;  // doubt is "no": failmode=safe then refuses
  }
}

}  // namespace twotp
