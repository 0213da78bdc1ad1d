// `twilio-otp list [--json]` and `twilio-otp show USER [--json]` (list
// --locked is cmd_list_locked.cc). Numbers are shown in full: this output is
// for the administrator, never for a log.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli.h"

namespace twotp::cli {

namespace {

using nlohmann::json;

json RecordJson(const PhoneRecord& r) {
  return json{
      {"user", r.user},
      {"number", r.number},
      {"channel", ChannelName(r.channel)},
      {"verified", r.verified},
      {"verified_at", r.verified_at.empty() ? json(nullptr) : json(r.verified_at)},
      {"email", r.email.empty() ? json(nullptr) : json(r.email)},
  };
}

// User names may hold bytes that are not UTF-8; replace them rather than
// let dump() throw.
void PrintJson(const json& value) {
  std::printf("%s\n", value.dump(2, ' ', false, json::error_handler_t::replace).c_str());
}

std::string VerifiedText(const PhoneRecord& r) {
  if (!r.verified_at.empty()) return r.verified_at;
  return r.verified ? "yes (the directory's word)" : "no (enrolled with --no-verify)";
}

// Opens the directory the config at args.config_path names, or prints why not.
std::unique_ptr<Directory> OpenFromArgs(const Args& args) {
  std::optional<Config> config = LoadConfigOrReport(args.config_path);
  if (!config) return nullptr;
  return OpenPhoneDirectory(*config, CliLogger());
}

}  // namespace

int RunList(const Args& args) {
  if (args.Has("locked")) return RunListLocked(args);
  std::unique_ptr<Directory> users = OpenFromArgs(args);
  if (!users) return kExitRefused;
  Result<std::vector<PhoneRecord>> records = users->List();
  if (!records.ok()) return Refuse(records.status());
  if (args.Has("json")) {
    json all = json::array();
    for (const PhoneRecord& r : records.value()) all.push_back(RecordJson(r));
    PrintJson(all);
    return kExitOk;
  }
  if (records->empty()) {
    std::fprintf(stderr, "twilio-otp: nobody is enrolled yet\n");
    return kExitOk;
  }
  int width = 4;
  for (const PhoneRecord& r : records.value()) width = std::max(width, static_cast<int>(r.user.size()));
  std::printf("%-*s  %-16s  %-8s  %-20s  %s\n", width, "USER", "NUMBER", "CHANNEL", "VERIFIED", "EMAIL");
  for (const PhoneRecord& r : records.value()) {
    const char* number = r.number.empty() ? "-" : r.number.c_str();  // an authenticator app alone
    std::printf("%-*s  %-16s  %-8s  %-20s  %s\n", width, r.user.c_str(), number, ChannelName(r.channel),
                VerifiedText(r).c_str(), r.email.empty() ? "-" : r.email.c_str());
  }
  return kExitOk;
}

int RunShow(const Args& args) {
  std::unique_ptr<Directory> users = OpenFromArgs(args);
  if (!users) return kExitRefused;
  const std::string& user = args.positional[0];
  Result<PhoneRecord> record = users->Lookup(user);
  // A record is shown whatever NSS says (it may be another host's account);
  // with none, a name NSS doesn't know either is most likely a typo.
  const bool unknown = UnknownToNss(user);
  if (!record.ok()) {
    Refuse(record.status());
    if (unknown && record.status().Is(Fault::kNotFound)) {
      std::fprintf(stderr, "twilio-otp: %s is not an account this host knows (NSS) either: check the spelling\n",
                   Printable(user).c_str());
    }
    return kExitRefused;
  }
  if (unknown) {
    std::fprintf(stderr, "twilio-otp: note: %s is not an account this host knows (NSS): its logins here are "
                 "refused\n", Printable(user).c_str());
  }
  if (args.Has("json")) {
    PrintJson(RecordJson(record.value()));
    return kExitOk;
  }
  std::printf("user:      %s\nnumber:    %s\nchannel:   %s\nverified:  %s\n", Printable(record->user).c_str(),
              record->number.empty() ? "- (authenticator app only)" : record->number.c_str(), ChannelName(record->channel),
              VerifiedText(record.value()).c_str());
  if (!record->email.empty()) std::printf("email:     %s\n", record->email.c_str());
  return kExitOk;
}

}  // namespace twotp::cli
