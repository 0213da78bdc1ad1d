// twilio-otp: what the subcommands share. main (twilio_otp.cc) parses the
// global options, picks the Command, parses its arguments (cli_args.cc),
// refuses writers that are not root, and calls Command::run.
#ifndef PAM_TWILIO_OTP_TOOL_CLI_H_
#define PAM_TWILIO_OTP_TOOL_CLI_H_

#include <getopt.h>

#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "base/logger.h"
#include "state/state_store.h"
#include "base/status.h"
#include "directory/directory.h"

namespace twotp::cli {

// The exit codes every subcommand keeps.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;  // wrong code, unknown user, bad config or file ...
inline constexpr int kExitUsage = 2;    // the command line itself is wrong

// One subcommand option, beyond the --config and --help that all have.
// --help lists each with its help text (tests/cli/run.sh checks there is one).
struct OptionSpec {
  const char* name;  // long name without "--"
  bool takes_value;
  const char* help = nullptr;        // what it does, one short line (or a few, split by '\n')
  const char* value_name = nullptr;  // shown after --name when it takes a value ("N")
};

// A subcommand's arguments after getopt_long.
struct Args {
  std::string config_path = kDefaultConfigPath;
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // name -> value ("" for flags)

  bool Has(const std::string& name) const { return options.count(name) != 0; }
  std::optional<std::string> Value(const std::string& name) const;
};

struct Command {
  const char* name;
  const char* synopsis;  // after "twilio-otp ", as in DESIGN.md
  const char* help;      // what it does, shown by --help
  std::vector<OptionSpec> options;
  size_t min_args;
  size_t max_args;
  bool writes;  // changes the users file or the state files: root only
  int (*run)(const Args& args);
};

// --- cli_args.cc ---
// Parses argv (argv[0] is the command's display name, "twilio-otp enroll")
// with getopt_long. On bad usage prints why and a hint to stderr and returns
// nullopt. `config_path` is the value of a global --config, if any.
std::optional<Args> ParseArgs(const Command& command, int argc, char** argv, const std::string& config_path);
// What was wrong when getopt_long returned '?' or ':' (id) for `longopts`.
std::string GetoptProblem(int id, char** argv, const struct option* longopts);
// True when argv holds -h or --help before a "--".
bool WantsHelp(int argc, char** argv);
void PrintCommandHelp(const Command& command);
// Prints "twilio-otp CMD: problem" and the --help hint; returns kExitUsage.
int UsageError(const char* command, const std::string& problem);

// --- cli_common.cc ---
// Prints a refusal ("twilio-otp: ..." and, when there is one, the sentence
// meant for a person) to stderr, escaped (Printable), and returns kExitRefused.
int Refuse(const Status& status);
// LoadConfig with root as the trusted owner; errors are printed.
std::optional<Config> LoadConfigOrReport(const std::string& path);
// The phone directory the config names: its users file, or LDAP with the
// configured bind.
std::unique_ptr<Directory> OpenPhoneDirectory(const Config& config, Logger& log);
// The config's state store (state_dir), trusting root-owned files only.
StateStore OpenStateStore(const Config& config);
// Now as UTC "2026-11-23T19:00:00Z" (IsoUtc in clock.h for any time).
std::string NowIso8601();
// Where warnings go (stderr, "twilio-otp: warning: ...").
Logger& CliLogger();
// The USER argument of enroll, backup-codes, status and unlock as the module
// keys it: the account's canonical name from NSS (nss_account.h), with a note
// on stderr when that is not what was typed. A name NSS doesn't know (an
// account gone or not made yet) is kept as typed, and so is a name when NSS
// fails (with a warning unless !warn). remove and show take the name
// exactly, so a record filed under another spelling can still go.
struct UserArgument {
  std::string name;
  bool unknown = false;  // NSS answered that no account has the name (not: NSS failed)
  Status nss;            // ok, kNotFound (unknown) or the NSS failure
};
UserArgument ReadUserArgument(const std::string& typed, bool warn = true);
inline std::string AccountArgument(const std::string& typed) { return ReadUserArgument(typed).name; }
// True when NSS answers that no account has `name` exactly as typed (show).
bool UnknownToNss(const std::string& name);
// `text` (a user name, a file's line) made safe for a terminal: control
// bytes and bytes that are not UTF-8 escaped as in the logs (EscapeLogLine).
std::string Printable(std::string_view text);
// "14 min" / "40 s", rounded up: how long a lockout still runs.
std::string TimeLeft(std::time_t seconds);

// Forwards to another Logger and counts warnings and worse (check-config).
class CountingLogger : public Logger {
 public:
  explicit CountingLogger(Logger& next) : next_(next) {}
  int problems() const { return problems_; }

 protected:
  void Write(LogLevel level, const std::string& escaped_line) override;

 private:
  Logger& next_;
  int problems_ = 0;
};

// --- one file each ---
int RunEnroll(const Args& args);       // cmd_enroll.cc
// enroll --totp, once RunEnroll has the config, the directory and the user.
int RunEnrollTotp(const Args& args, const Config& config, Directory& directory, const std::string& user);  // cmd_enroll_totp.cc
int RunRemove(const Args& args);       // cmd_remove.cc
int RunList(const Args& args);         // cmd_list.cc
int RunShow(const Args& args);         // cmd_list.cc
int RunListLocked(const Args& args);   // cmd_list_locked.cc (list --locked)
int RunCheckConfig(const Args& args);  // cmd_check_config.cc
// Warns (stderr) when unenrolled = "deny" would lock out root or every
// member of sudo/wheel; returns how many warnings it gave. lockout_warnings.cc
int WarnAboutLockouts(const Config& config, const std::vector<PhoneRecord>& records);
int RunBackupCodes(const Args& args);  // cmd_backup_codes.cc
int RunStatus(const Args& args);       // cmd_status.cc
int RunUnlock(const Args& args);       // cmd_status.cc
int RunProbe(const Args& args);
int RunRateLimits(const Args& args);   // cmd_rate_limits.cc        // cmd_probe.cc

}  // namespace twotp::cli

#endif  // PAM_TWILIO_OTP_TOOL_CLI_H_
