// twilio-otp: the administrators' CLI (DESIGN.md, "What administrators type").
//   twilio-otp [--config PATH] COMMAND [ARGS] [--config PATH]
//   twilio-otp -h|--help | -V|--version
// Exit 0 on success, 1 on a refused request, 2 on bad usage.
#include <getopt.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>

#include "cli.h"

// The Makefile sets it from the top entry of packaging/debian/changelog.
#ifndef TWOTP_VERSION
#define TWOTP_VERSION "unknown"
#endif

namespace twotp::cli {

namespace {

constexpr const char* kVersion = TWOTP_VERSION;

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"enroll",
       "enroll USER NUMBER [--channel sms|call|whatsapp|email] [--email ADDRESS] [--lookup|--no-lookup]\n"
       "       [--no-verify] [--force]\n"
       "       enroll USER [NUMBER] --totp [--force]",
       "Records USER's phone number (E.164; spaces, dots, dashes and parentheses are\n"
       "dropped, so quote a number that has spaces), and with --email an address for\n"
       "Verify's email channel. Unless --no-verify, a code is sent to the number\n"
       "(and one to the address, when policy.channels has \"email\") and the record\n"
       "is written only when each is typed back. USER must be an account this host\n"
       "knows (NSS), since the module refuses any other, unless --force. Root only.",
       {{"channel", true,
         "the user's first channel at login\n"
         "(default: the first of policy.channels; email needs --email)",
         "sms|call|whatsapp|email"},
        {"email", true, "the address codes by email go to (verify mode)", "ADDRESS"},
        {"lookup", false,
         "ask Twilio Lookup for the line type first (a paid request): refuse a landline\n"
         "for text, premium and toll-free numbers, warn for VoIP (default: twilio.lookup)"},
        {"no-lookup", false, "no Lookup, whatever twilio.lookup says"},
        {"totp", false,
         "an authenticator app through Twilio Verify instead: shows a QR code to scan\n"
         "and checks the app's first code; the seed stays at Twilio (verify mode,\n"
         "\"totp\" in policy.channels). NUMBER, if given, stays the fallback"},
        {"no-verify", false, "write the record without sending a code (numbers you already trust)"},
        {"force", false,
         "enroll a USER this host's NSS doesn't know, as typed\n"
         "(an account only other hosts see, such as one in LDAP)"}},
       1, 2, true, RunEnroll},
      {"remove", "remove USER",
       "Deletes USER's number: their line of the users file (keeping every other\n"
       "line), or the number attribute on their LDAP entry. With \"totp\" in\n"
       "policy.channels, USER's authenticator apps are deleted at Twilio too. Root only.",
       {}, 1, 1, true, RunRemove},
      {"list", "list [--json] [--locked]",
       "Lists every usable record in the directory (users file or LDAP), numbers\n"
       "in full. Malformed lines or entries are reported on stderr. With --locked,\n"
       "lists the users locked out now instead, from the state directory; exits 1\n"
       "when a state file there can't be read.",
       {{"json", false, "print a JSON array"},
        {"locked", false, "list the users this host locks out now (state_dir), not the records"}},
       0, 0, false, RunList},
      {"show", "show USER [--json]",
       "Shows USER's record, or exits 1 when there is none (saying so when this\n"
       "host's NSS doesn't know USER either: a typo?).",
       {{"json", false, "print the record as one JSON object"}}, 1, 1, false, RunShow},
      {"check-config", "check-config [--online]",
       "Checks the config (and that its SIDs are not the example's placeholders),\n"
       "the Twilio secret file, the state directory and every record of the\n"
       "directory (users file, or LDAP bind and entries) as a login would, and\n"
       "prints \"OK: PATH\" or each problem. --online also asks Twilio, reading\n"
       "only (nothing is sent): the credentials (20003), TLS and the CA, a trial\n"
       "account and its verified numbers (21608), the Verify service or the\n"
       "sender; it names the countries Geo Permissions must allow (60605, 21408).\n"
       "Each failure names the Twilio Console page to fix it.",
       {{"online", false,
         "also ask Twilio, reading only (nothing is sent): credentials, account,\n"
         "Verify service or sender"}},
       0, 0, false, RunCheckConfig},
      {"backup-codes", "backup-codes USER [--count N]",
       "Makes N (default 10, at most 20) single-use codes for an enrolled USER,\n"
       "to type at the code prompt when no SMS can arrive. Prints them once, one\n"
       "per line and nothing else on stdout; only their scrypt hashes are kept,\n"
       "and any earlier codes stop working. Root only.",
       {{"count", true, "how many codes: 1 to 20 (default 10)", "N"}}, 1, 1, true, RunBackupCodes},
      {"status", "status USER [--json] | status --all [--json]",
       "Shows what the module remembers about USER: a lockout and until when,\n"
       "failed codes, codes sent in the current limits.send_window and the last\n"
       "one, backup codes left and grace entries. An account with no state yet\n"
       "shows an empty one, and the state a removed account left is shown too.\n"
       "Exits 1 when the state file is unreadable or corrupt, or when USER is\n"
       "neither an account this host knows (NSS) nor has a state file (a typo).\n"
       "With state.backend = \"ldap\" the failed codes, lockout, backup codes and\n"
       "grace come from the user's directory entry, shared by the fleet.\n"
       "--all lists every user locked out now (fleet-wide with state.backend =\n"
       "\"ldap\", else on this host), as list --locked does.",
       {{"json", false, "print one JSON object"}, {"all", false, "list every user locked out now"}}, 0, 1, false,
       RunStatus},
      {"unlock", "unlock USER",
       "Lifts USER's lockout and clears the failed codes, the send history and\n"
       "the grace entries, keeping the backup codes. Replaces a corrupt state\n"
       "file (its backup codes are then lost). With state.backend = \"ldap\" the\n"
       "lockout is lifted on every host at once. Root only.",
       {}, 1, 1, true, RunUnlock},
      {"rate-limits", "rate-limits setup",
       "Makes the Verify service's rate limits match limits = { ... }, so that\n"
       "Twilio itself caps the codes sent per user (sends_per_window in\n"
       "send_window), per host (global_sends_per_hour) and from every host\n"
       "together (fleet_sends_per_hour, when set), however many hosts share the\n"
       "service. Creates what is missing, updates what differs, says what it did;\n"
       "run it again after changing the limits. Logins name the limits only with\n"
       "twilio.rate_limits = true. Verify mode. Root only.",
       {}, 1, 1, true, RunRateLimits},
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
  std::fprintf(out,
               "usage: twilio-otp [--config PATH] COMMAND [ARGS]\n"
               "       twilio-otp -h|--help | -V|--version\n\ncommands:\n");
  for (const Command& c : Commands()) {
    if (c.synopsis != nullptr) std::fprintf(out, "  twilio-otp %s\n", c.synopsis);
  }
  std::fprintf(out,
               "\noptions:\n"
               "  --config PATH  the module's config (default %s), before or after COMMAND\n"
               "  -h, --help     this text; after COMMAND, the command's usage and every option\n"
               "  -V, --version  print \"twilio-otp VERSION\"\n"
               "\nExit status: 0 success, 1 refused (bad config, unknown user, wrong code), 2 bad usage.\n",
               kDefaultConfigPath);
}

int Run(int argc, char** argv) {
  static const struct option kGlobal[] = {{"config", required_argument, nullptr, 'c'},
                                          {"help", no_argument, nullptr, 'h'},
                                          {"version", no_argument, nullptr, 'V'},
                                          {nullptr, 0, nullptr, 0}};
  std::string config_path;
  for (;;) {
    // "+": stop at the command name; what follows is the command's.
    // ":": we word the errors. -h and -V are the only letters.
    const int id = getopt_long(argc, argv, "+:hV", kGlobal, nullptr);
    if (id == -1) break;
    if (id == 'c') {
      config_path = optarg;
    } else if (id == 'h') {
      PrintHelp(stdout);
      return kExitOk;
    } else if (id == 'V') {
      std::printf("twilio-otp %s\n", kVersion);
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
  if (command == nullptr) {
    return UsageError("twilio-otp", "unknown command '" + Printable(argv[optind]) + "'");
  }
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
