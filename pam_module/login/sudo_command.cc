#include "login/sudo_command.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace twotp {

namespace {

// sudo's short options that take an argument (sudo(8), 1.9): -C -D -g -h -p
// -R -r -T -t -U -u. Long options are written --opt=value or take the next word.
bool ShortOptionTakesArgument(char option) {
  switch (option) {
    case 'C': case 'D': case 'g': case 'h': case 'p': case 'R':
    case 'r': case 'T': case 't': case 'U': case 'u':
      return true;
    default:
      return false;
  }
}

bool LongOptionTakesArgument(std::string_view option) {
  for (std::string_view with_arg : {"--close-from", "--chdir", "--group", "--host", "--prompt", "--chroot",
                                    "--role", "--command-timeout", "--type", "--other-user", "--user"}) {
    if (option == with_arg) return true;
  }
  return false;
}

std::vector<std::string_view> SplitNul(std::string_view argv) {
  std::vector<std::string_view> words;
  while (!argv.empty()) {
    const size_t end = argv.find('\0');
    words.push_back(argv.substr(0, end));
    if (end == std::string_view::npos) break;
    argv.remove_prefix(end + 1);
  }
  return words;
}

}  // namespace

SudoInvocation ParseSudoArgv(std::string_view nul_separated_argv) {
  const std::vector<std::string_view> words = SplitNul(nul_separated_argv);
  SudoInvocation sudo;
  size_t i = 1;  // past "sudo"
  while (i < words.size()) {
    const std::string_view word = words[i];
    if (word == "--") {
      ++i;
      break;
    }
    if (word.size() < 2 || word[0] != '-') break;
    ++i;
    if (word[1] == '-') {
      const std::string_view name = word.substr(0, word.find('='));
      if (name == "--stdin") sudo.reads_stdin = true;
      if (name.size() == word.size() && LongOptionTakesArgument(name)) ++i;
      continue;
    }
    // A cluster ("-kS", "-ku root"): letters up to one that takes an argument,
    // which is the rest of the word ("-uroot", "-uS": user "S") or else the
    // next word.
    for (size_t at = 1; at < word.size(); ++at) {
      if (word[at] == 'S') sudo.reads_stdin = true;
      if (ShortOptionTakesArgument(word[at])) {
        if (at == word.size() - 1) ++i;
        break;
      }
    }
  }
  for (; i < words.size(); ++i) {
    if (!sudo.command.empty()) sudo.command += ' ';
    sudo.command += words[i];
  }
  return sudo;
}

bool IsSudoProgram(std::string_view exe) {
  // The kernel appends " (deleted)" once the binary is replaced (an upgrade).
  constexpr std::string_view kDeleted = " (deleted)";
  if (exe.ends_with(kDeleted)) exe.remove_suffix(kDeleted.size());
  const size_t slash = exe.rfind('/');
  return exe.substr(slash == std::string_view::npos ? 0 : slash + 1) == "sudo";
}

std::optional<SudoInvocation> CurrentSudo() {
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error || !IsSudoProgram(exe.native())) return std::nullopt;
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  if (!in) return SudoInvocation{};
  const std::string argv((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseSudoArgv(argv);
}

}  // namespace twotp
