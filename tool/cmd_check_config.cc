// `twilio-otp check-config [--online]`: everything a login would read,
// checked the way the module checks it: the config (and that its SIDs are
// not the example's placeholders), the Twilio secret file, the state
// directory, and every record of the directory (each line of the users
// file; for LDAP the bind and every listed entry, on the first server that
// answers). With --online, Twilio too, by reads only (online_checks.h).
// Prints "OK: PATH" or the problems.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>

#include "cli.h"
#include "fleet_state_cli.h"
#include "online_checks.h"

namespace twotp::cli {

namespace {

// state.backend = "ldap": the bind may write the fleet state (on the first
// enrolled user's entry); a login whose failure can't be written is refused.
int CheckFleetState(const Config& config, const std::vector<PhoneRecord>& records) {
  const std::unique_ptr<Directory> fleet = OpenFleetDirectory(config);
  if (!fleet) return 0;
  if (records.empty()) {
    std::fprintf(stderr, "twilio-otp: warning: nobody is enrolled: whether the bind may write the fleet state "
                 "was not checked\n");
    return 0;
  }
  if (Status wrote = ProbeFleetWrites(*fleet->Fleet(), records.front().user); !wrote.ok()) {
    Refuse(Status::Error(wrote.fault(), "state.backend = \"ldap\": " + wrote.message() +
                                            " (every login would be refused: see README, \"A fleet that shares "
                                            "one truth\", for the schema and the ACL)"));
    return 1;
  }
  return 0;
}

// Problems found in the directory (every line of the users file, every
// entry LDAP lists); each is printed as a warning. The usable records go to
// *records, for the online checks.
int CheckDirectory(const Config& config, std::vector<PhoneRecord>* records_out) {
  CountingLogger counted(CliLogger());
  std::unique_ptr<Directory> directory = OpenPhoneDirectory(config, counted);
  struct stat st;
  if (config.directory.backend == Backend::kFile && ::lstat(config.directory.file.c_str(), &st) != 0 &&
      errno == ENOENT) {
    // The module can't tell "nobody enrolled" from a lost file, so it refuses
    // every login until the file exists: say so before an administrator finds out.
    std::fprintf(stderr, "twilio-otp: error: %s does not exist: the module refuses every login until "
                 "`twilio-otp enroll` creates it (or create it empty: install -m 600 /dev/null %s)\n",
                 config.directory.file.c_str(), config.directory.file.c_str());
    return 1;
  }
  Result<std::vector<PhoneRecord>> records = directory->List();
  if (!records.ok()) return Refuse(records.status()), 1;
  WarnAboutLockouts(config, records.value());  // warnings, not problems: exit status unchanged
  *records_out = std::move(records.value());
  return counted.problems() + CheckFleetState(config, *records_out);
}

}  // namespace

int RunCheckConfig(const Args& args) {
  std::optional<Config> config = LoadConfigOrReport(args.config_path);
  if (!config) return kExitRefused;
  int problems = 0;
  Result<TwilioCredentials> credentials = LoadTwilioCredentials(config->twilio, FileTrust(0));
  if (!credentials.ok()) {
    Refuse(credentials.status());
    ++problems;
  }
  // The module prepares state_dir at every login and refuses when it can't.
  if (Status prepared = OpenStateStore(*config).Prepare(); !prepared.ok()) {
    Refuse(prepared);
    ++problems;
  }
  problems += CheckNotExampleSids(config->twilio);
  std::vector<PhoneRecord> records;
  problems += CheckDirectory(*config, &records);
  if (args.Has("online")) problems += CheckTwilioOnline(*config, records);
  if (problems > 0) {
    std::fprintf(stderr, "twilio-otp: %d problem(s) found with %s\n", problems, args.config_path.c_str());
    return kExitRefused;
  }
  std::printf("OK: %s\n", args.config_path.c_str());
  return kExitOk;
}

}  // namespace twotp::cli
