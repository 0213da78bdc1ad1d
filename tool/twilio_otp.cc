// twilio-otp: the administrators' CLI (DESIGN.md, "What administrators type").
//   twilio-otp [--config PATH] COMMAND [ARGS] [--config PATH]
// Exit 0 on success, 1 on a refused request, 2 on bad usage.
#include <getopt.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>

#include "cli.h"

namespace twotp::cli {

namespace {

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"enroll", "enroll USER NUMBER [--channel sms|call|whatsapp] [--no-verify]",
       "Records USER's phone number (E.164; spaces, dots, dashes and parentheses are\n"
       "dropped, so quote a number that has spaces). Unless --no-verify, a code is\n"
       "sent to the number first and the record is written only when it is typed\n"
       "back. The channel defaults to the first of policy.channels. Root only.",
       {{"channel", true}, {"no-verify", false}}, 2, 2, true, RunEnroll},
      {"remove", "remove USER",
       "Deletes USER's number: their line of the users file (keeping every other\n"
       "line), or the number attribute on their LDAP entry. Root only.",
       {}, 1, 1, true, RunRemove},
      {"list", "list [--json]",
       "Lists every usable record in the directory (users file or LDAP), numbers\n"
       "in full. Malformed lines or entries are reported on stderr.",
       {{"json", false}}, 0, 0, false, RunList},
      {"show", "show USER [--json]", "Shows USER's record, or exits 1 when there is none.", {{"json", false}}, 1, 1,
       false, RunShow},
      {"check-config", "check-config",
       "Checks the config, the Twilio secret file, the state directory and every\n"
       "record of the directory (users file, or LDAP bind and entries) as a login\n"
       "would, and prints \"OK: PATH\" or each problem.",
       {}, 0, 0, false, RunCheckConfig},
      {"backup-codes", "backup-codes USER [--count N]",
       "Makes N (default 10, at most 20) single-use codes for an enrolled USER,\n"
       "to type at the code prompt when no SMS can arrive. Prints them once, one\n"
       "per line and nothing else on stdout; only their scrypt hashes are kept,\n"
       "and any earlier codes stop working. Root only.",
       {{"count", true}}, 1, 1, true, RunBackupCodes},
      {"status", "status USER [--json]",
       "Shows what the module remembers about USER: a lockout and until when,\n"
       "failed codes, codes sent in the current limits.send_window and the last\n"
       "one, backup codes left and grace entries. Exits 1 when the state file is\n"
       "unreadable or corrupt.",
       {{"json", false}}, 1, 1, false, RunStatus},
      {"unlock", "unlock USER",
       "Lifts USER's lockout and clears the failed codes, the send history and\n"
       "the grace entries, keeping the backup codes. Replaces a corrupt state\n"
       "file (its backup codes are then lost). Root only.",
       {}, 1, 1, true, RunUnlock},
      {"probe", "probe",
       "Tries to reach Twilio as a login would (nothing is sent) and records\n"
       "the outcome in state_dir/twilio-probe.json. Under failmode = \"safe\" a\n"
       "recent record of an outage is what lets a login through when its own\n"
       "request timed out (policy.probe_max_age); run it from a timer, as root.\n"
       "Exits 1 when Twilio can't be reached. Root only.",
       {}, 0, 0, true, RunProbe},
  };
  return kCommands;
}

const Command* FindCommand(const char* name) {
  for (const Command& c : Commands()) {
    if (std::strcmp(c.name, name) == 0) return &c;
  }
  return nullptr;
}

void PrintHelp(FILE* out) {
  std::fprintf(out, "usage: twilio-otp [--config PATH] COMMAND [ARGS]\n\ncommands:\n");
  for (const Command& c : Commands()) {
    if (c.synopsis != nullptr) std::fprintf(out, "  twilio-otp %s\n", c.synopsis);
  }
  std::fprintf(out,
               "\nEvery command takes --config PATH (default %s) and --help.\n"
               "Exit status: 0 success, 1 refused (bad config, unknown user, wrong code), 2 bad usage.\n",
               kDefaultConfigPath);
}

int Run(int argc, char** argv) {
  static const struct option kGlobal[] = {
      {"config", required_argument, nullptr, 'c'}, {"help", no_argument, nullptr, 'h'}, {nullptr, 0, nullptr, 0}};
  std::string config_path;
  for (;;) {
    // "+": stop at the command name; what follows is the command's.
    const int id = getopt_long(argc, argv, "+:", kGlobal, nullptr);
    if (id == -1) break;
    if (id == 'c') {
      config_path = optarg;
    } else if (id == 'h') {
      PrintHelp(stdout);
      return kExitOk;
    } else {
      return UsageError("twilio-otp", GetoptProblem(id, argv, kGlobal));
    }
  }
  if (optind >= argc) {
    PrintHelp(stderr);
    return kExitUsage;
  }
  const Command* command = FindCommand(argv[optind]);
  if (command == nullptr) return UsageError("twilio-otp", std::string("unknown command '") + argv[optind] + "'");
  const std::string display = std::string("twilio-otp ") + command->name;
  // The command's own argv, with argv[0] naming it for getopt's sake.
  std::vector<char*> sub(argv + optind, argv + argc);
  sub[0] = const_cast<char*>(display.c_str());
  const int sub_argc = static_cast<int>(sub.size());
  sub.push_back(nullptr);
  if (WantsHelp(sub_argc, sub.data())) {
    PrintCommandHelp(*command);
    return kExitOk;
  }
  std::optional<Args> args = ParseArgs(*command, sub_argc, sub.data(), config_path);
  if (!args) return kExitUsage;
  if (command->writes && ::geteuid() != 0) {
    std::fprintf(stderr, "%s: must run as root: it writes files only root may change (try: sudo %s ...)\n",
                 display.c_str(), display.c_str());
    return kExitRefused;
  }
  return command->run(*args);
}

}  // namespace

}  // namespace twotp::cli

// No exception leaves main: a bug or an exhausted allocator is a refusal
// with a message, never an abort with a half-written terminal state.
int main(int argc, char** argv) {
  try {
    return twotp::cli::Run(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "twilio-otp: out of memory\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "twilio-otp: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "twilio-otp: internal error\n");
  }
  return twotp::cli::kExitRefused;
}
