// Subcommand argument parsing with getopt_long, and the help texts.
#include <getopt.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include "cli.h"

namespace twotp::cli {

namespace {

constexpr int kConfigId = 1000;  // getopt ids past any short option
constexpr int kFirstOptionId = 1001;

}  // namespace

std::string GetoptProblem(int id, char** argv, const struct option* longopts) {
  // getopt_long sets optopt to the option's id when a long option is
  // misused, to the letter for a short one, and to 0 for an unknown name.
  std::string name;
  for (const struct option* o = longopts; optopt != 0 && o->name != nullptr; ++o) {
    if (o->val == optopt) name = std::string("--") + o->name;
  }
  // What the caller typed is escaped: it goes to their terminal.
  if (id == ':') return "option '" + (name.empty() ? Printable(argv[optind - 1]) : name) + "' needs a value";
  if (!name.empty()) return "option '" + name + "' takes no value";
  if (optopt != 0) return "unknown option '-" + Printable(std::string(1, static_cast<char>(optopt))) + "'";
  std::string given = argv[optind - 1];
  return "unknown option '" + Printable(given.substr(0, given.find('='))) + "'";
}

std::optional<std::string> Args::Value(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) return false;
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) return true;
  }
  return false;
}

int UsageError(const char* command, const std::string& problem) {
  if (!problem.empty()) std::fprintf(stderr, "%s: %s\n", command, problem.c_str());
  std::fprintf(stderr, "Try '%s --help'.\n", command);
  return kExitUsage;
}

void PrintCommandHelp(const Command& command) {
  std::printf("usage: twilio-otp %s [--config PATH]\n\n%s\n\noptions:\n", command.synopsis, command.help);
  // Every option with its text, in a column: "  --count N  how many ...".
  std::vector<std::pair<std::string, std::string>> rows;
  for (const OptionSpec& o : command.options) {
    std::string name = std::string("--") + o.name;
    if (o.takes_value) name += std::string(" ") + (o.value_name != nullptr ? o.value_name : "VALUE");
    rows.emplace_back(name, o.help != nullptr ? o.help : "");
  }
  rows.emplace_back("--config PATH", std::string("the module's config (default ") + kDefaultConfigPath + ")");
  rows.emplace_back("-h, --help", "this text");
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  for (const auto& [name, help] : rows) {
    std::string text = help;
    // A help text of several lines continues under its first.
    for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 1)) {
      text.insert(at + 1, width + 4, ' ');
    }
    std::printf("  %-*s  %s\n", static_cast<int>(width), name.c_str(), text.c_str());
  }
}

std::optional<Args> ParseArgs(const Command& command, int argc, char** argv, const std::string& config_path) {
  Args args;
  if (!config_path.empty()) args.config_path = config_path;
  std::vector<struct option> longopts;
  longopts.push_back({"config", required_argument, nullptr, kConfigId});
  for (size_t i = 0; i < command.options.size(); ++i) {
    const OptionSpec& o = command.options[i];
    longopts.push_back({o.name, o.takes_value ? required_argument : no_argument, nullptr,
                        kFirstOptionId + static_cast<int>(i)});
  }
  longopts.push_back({nullptr, 0, nullptr, 0});
  optind = 0;  // GNU: a full reset, since main already ran getopt on the global options
  for (;;) {
    // ":" = no short options, and we word the errors ourselves. GNU getopt
    // lets options follow the positional arguments ("enroll alice +1... --no-verify").
    const int id = getopt_long(argc, argv, ":", longopts.data(), nullptr);
    if (id == -1) break;
    if (id == kConfigId) {
      args.config_path = optarg;
    } else if (id >= kFirstOptionId) {
      args.options[command.options[id - kFirstOptionId].name] = optarg != nullptr ? optarg : "";
    } else {
      UsageError(argv[0], GetoptProblem(id, argv, longopts.data()));
      return std::nullopt;
    }
  }
  for (int i = optind; i < argc; ++i) args.positional.emplace_back(argv[i]);
  if (args.positional.size() < command.min_args || args.positional.size() > command.max_args) {
    UsageError(argv[0], "wrong number of arguments\nusage: twilio-otp " + std::string(command.synopsis));
    return std::nullopt;
  }
  return args;
}

}  // namespace twotp::cli
