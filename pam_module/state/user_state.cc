// The JSON form of UserState and GlobalState. Writing is plain; reading is
// strict, because a state file that parses "mostly" could silently drop a
// lockout or a send count: every field must be present with its type (but
// pending.owner and succeeded_at, which files written before them lack), no unknown field is
// accepted, and the version must be one this build knows.
#include "state/user_state.h"

#include <cstdint>
#include <limits>
#include <new>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

namespace twotp {

namespace {

using nlohmann::json;
// Ordered on output so that a person reading the file sees "version" first
// and the fields in the order of the struct.
using nlohmann::ordered_json;

constexpr int kVersion = 1;
constexpr char kTimeProblem[] = "must be a non-negative integer (epoch seconds)";

// Invalid UTF-8 (a grace key built from a user or host name in another
// encoding) would make dump() throw; replacing it instead can only make a
// grace key miss after the round trip, which asks for a code: the safe side.
// The final newline is for people who cat the file.
std::string Dump(const ordered_json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

Status Problem(const std::string& field, const std::string& what) {
  return Status::StateError(field + ": " + what);
}

// A JSON integer that is not negative and fits T (epoch seconds, a pid).
template <typename T>
bool ToWhole(const json& value, T* out) {
  constexpr std::uint64_t kMax = static_cast<std::uint64_t>(std::numeric_limits<T>::max());
  if (value.is_number_unsigned()) {
    const std::uint64_t v = value.get<std::uint64_t>();
    if (v > kMax) return false;
    *out = static_cast<T>(v);
    return true;
  }
  if (value.is_number_integer()) {
    const std::int64_t v = value.get<std::int64_t>();
    if (v < 0 || static_cast<std::uint64_t>(v) > kMax) return false;
    *out = static_cast<T>(v);
    return true;
  }
  return false;
}

// Reads one JSON object field by field. Each call takes one field and checks
// its type; Finish() refuses any field nobody took. The first problem is kept
// in the shared Status and later calls do nothing, so a parser reads as a
// plain list of fields with one check at the end.
class StrictObject {
 public:
  // `where` is the dotted name of this object in messages ("" at the top).
  StrictObject(const json& object, std::string where, Status* status)
      : object_(object), where_(std::move(where)), status_(status) {
    if (status_->ok() && !object_.is_object()) Fail(where_.empty() ? "(top level)" : where_, "must be an object");
  }

  void Time(const char* key, std::time_t* out) { Whole(key, out, kTimeProblem); }

  template <typename T>
  void Whole(const char* key, T* out, const char* problem = "must be a non-negative integer") {
    const json* v = Take(key);
    if (v != nullptr && !ToWhole(*v, out)) Fail(Name(key), problem);
  }

  // For a field that files written before it existed lack: such a file
  // reads as it did, with the field's default.
  bool Has(const char* key) const { return status_->ok() && object_.is_object() && object_.contains(key); }

  void Text(const char* key, std::string* out) {
    const json* v = Take(key);
    if (v == nullptr) return;
    if (!v->is_string()) return Fail(Name(key), "must be a string");
    *out = v->get<std::string>();
  }

  void Times(const char* key, std::vector<std::time_t>* out) {
    ForEachElement(key, [&](const json& element, const std::string& name) {
      std::time_t t = 0;
      if (!ToWhole(element, &t)) return Fail(name, kTimeProblem);
      out->push_back(t);
    });
  }

  // Calls visit(element, "key[i]") for each element of the array `key`.
  template <typename Visit>
  void ForEachElement(const char* key, Visit visit) {
    const json* v = Take(key);
    if (v == nullptr) return;
    if (!v->is_array()) return Fail(Name(key), "must be an array");
    for (size_t i = 0; i < v->size() && status_->ok(); ++i) {
      visit((*v)[i], Name(key) + "[" + std::to_string(i) + "]");
    }
  }

  // The object `key` as a StrictObject of its own (call Finish on it too).
  StrictObject Object(const char* key) {
    const json* v = Take(key);
    return Child(v != nullptr ? *v : kEmptyObject, Name(key));
  }

  // `value` (an array element of this object) read strictly, named `name`.
  StrictObject Child(const json& value, std::string name) { return StrictObject(value, std::move(name), status_); }

  // The object `key` viewed as a map: any member names, each value a time.
  void TimeMap(const char* key, std::map<std::string, std::time_t>* out) {
    const json* v = Take(key);
    if (v == nullptr) return;
    if (!v->is_object()) return Fail(Name(key), "must be an object");
    for (const auto& [name, value] : v->items()) {
      std::time_t t = 0;
      if (!ToWhole(value, &t)) return Fail(Name(key) + "[\"" + name + "\"]", kTimeProblem);
      (*out)[name] = t;
    }
  }

  // Unknown fields are refused: they are either a typo in a hand edit or a
  // newer format that this build would silently throw away on the next write.
  void Finish() {
    if (!status_->ok()) return;
    for (const auto& [name, value] : object_.items()) {
      if (taken_.count(name) == 0) return Fail(Name(name.c_str()), "unknown field");
    }
  }

  void Fail(const std::string& field, const std::string& what) {
    if (status_->ok()) *status_ = Problem(field, what);
  }

 private:
  static inline const json kEmptyObject = json::object();

  std::string Name(const char* key) const { return where_.empty() ? key : where_ + "." + key; }

  const json* Take(const char* key) {
    if (!status_->ok() || !object_.is_object()) return nullptr;
    taken_.insert(key);
    auto it = object_.find(key);
    if (it == object_.end()) {
      Fail(Name(key), "missing");
      return nullptr;
    }
    return &*it;
  }

  const json& object_;
  std::string where_;
  Status* status_;
  std::set<std::string> taken_;
};

// Parses `text` and checks "version"; hands the top-level object to
// `fields`. Every nlohmann exception (and bad_alloc on a huge file) becomes
// a kState Status here, so none leaves this file.
template <typename T, typename Fields>
Result<T> ParseVersioned(const std::string& text, Fields fields) {
  try {
    const json doc = json::parse(text);
    Status status;
    StrictObject top(doc, "", &status);
    std::time_t version = 0;
    top.Time("version", &version);
    if (status.ok() && version != kVersion) {
      return Problem("version", "unsupported value " + std::to_string(version) + " (this build reads " +
                                    std::to_string(kVersion) + ")");
    }
    T state;
    fields(top, state);
    top.Finish();
    if (!status.ok()) return status;
    return state;
  } catch (const json::parse_error& e) {
    return Status::StateError(std::string("not valid JSON: ") + e.what());
  } catch (const json::exception& e) {
    return Status::StateError(std::string("unreadable: ") + e.what());
  } catch (const std::bad_alloc&) {
    return Status::StateError("out of memory while parsing");
  }
}

// A login (process) as the state records it: {"pid", "start_time"}, for the
// holders of a pending code and the owners of attempts in flight.
ordered_json ProcessJson(const ProcessId& process) {
  return {{"pid", process.pid}, {"start_time", process.start_time}};
}

ProcessId ReadProcess(StrictObject& object) {
  ProcessId process;
  object.Whole("pid", &process.pid);
  object.Whole("start_time", &process.start_time);
  return process;
}

}  // namespace

std::string SerializeUserState(const UserState& state) {
  ordered_json codes = ordered_json::array();
  for (const BackupCodeHash& code : state.backup_codes) {
    codes.push_back({{"salt_hex", code.salt_hex}, {"hash_hex", code.hash_hex}});
  }
  const PendingCode& p = state.pending;
  ordered_json holders = ordered_json::array();
  for (const ProcessId& h : p.holders) holders.push_back(ProcessJson(h));
  const ApprovedCode& a = state.approved;
  ordered_json attempts = ordered_json::array();
  for (const AttemptInFlight& t : state.attempts) {
    ordered_json attempt = ProcessJson(t.owner);
    attempt["at"] = t.at;
    attempts.push_back(std::move(attempt));
  }
  ordered_json doc = {
      {"version", kVersion},
      {"sends", state.sends},
      {"failures", state.failures},
      {"attempts", std::move(attempts)},
      {"locked_until", state.locked_until},
      {"succeeded_at", state.succeeded_at},
      {"grace", state.grace},
      {"backup_codes", std::move(codes)},
      {"pending",
       {{"verification_sid", p.verification_sid},
        {"mac_key_hex", p.mac_key_hex},
        {"mac_hex", p.mac_hex},
        {"channel", p.channel},
        {"sent_at", p.sent_at},
        {"holders", std::move(holders)}}},
      {"approved",
       {{"code_id", a.code_id}, {"mac_key_hex", a.mac_key_hex}, {"mac_hex", a.mac_hex}, {"expires_at", a.expires_at}}},
  };
  return Dump(doc);
}

Result<UserState> ParseUserState(const std::string& json_text) {
  return ParseVersioned<UserState>(json_text, [](StrictObject& top, UserState& state) {
    top.Times("sends", &state.sends);
    top.Times("failures", &state.failures);
    if (top.Has("attempts")) {  // absent in older files
      top.ForEachElement("attempts", [&](const json& element, const std::string& name) {
        AttemptInFlight attempt;
        StrictObject object = top.Child(element, name);
        attempt.owner = ReadProcess(object);
        object.Time("at", &attempt.at);
        object.Finish();
        state.attempts.push_back(attempt);
      });
    }
    top.Time("locked_until", &state.locked_until);
    if (top.Has("succeeded_at")) top.Time("succeeded_at", &state.succeeded_at);  // absent in older files
    top.TimeMap("grace", &state.grace);
    top.ForEachElement("backup_codes", [&](const json& element, const std::string& name) {
      BackupCodeHash code;
      StrictObject object = top.Child(element, name);
      object.Text("salt_hex", &code.salt_hex);
      object.Text("hash_hex", &code.hash_hex);
      object.Finish();
      state.backup_codes.push_back(std::move(code));
    });
    StrictObject pending = top.Object("pending");
    pending.Text("verification_sid", &state.pending.verification_sid);
    pending.Text("mac_key_hex", &state.pending.mac_key_hex);
    pending.Text("mac_hex", &state.pending.mac_hex);
    pending.Text("channel", &state.pending.channel);
    pending.Time("sent_at", &state.pending.sent_at);
    auto holder = [&](StrictObject& object) {
      state.pending.holders.push_back(ReadProcess(object));
      object.Finish();
    };
    if (pending.Has("holders")) {
      pending.ForEachElement("holders", [&](const json& element, const std::string& name) {
        StrictObject object = pending.Child(element, name);
        holder(object);
      });
    } else if (pending.Has("owner")) {  // files written before every holder was kept
      StrictObject owner = pending.Object("owner");
      holder(owner);
    }
    pending.Finish();
    if (top.Has("approved")) {  // absent in older files
      StrictObject approved = top.Object("approved");
      approved.Text("code_id", &state.approved.code_id);
      approved.Text("mac_key_hex", &state.approved.mac_key_hex);
      approved.Text("mac_hex", &state.approved.mac_hex);
      approved.Time("expires_at", &state.approved.expires_at);
      approved.Finish();
    }
  });
}

std::string SerializeGlobalState(const GlobalState& state) {
  return Dump(ordered_json{{"version", kVersion}, {"sends", state.sends}});
}

Result<GlobalState> ParseGlobalState(const std::string& json_text) {
  return ParseVersioned<GlobalState>(json_text,
                                     [](StrictObject& top, GlobalState& state) { top.Times("sends", &state.sends); });
}

}  // namespace twotp
