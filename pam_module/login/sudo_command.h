// What a sudo login approves, for {command} in the code message, and how sudo
// reads answers. PAM does not hand modules either, but the module runs inside
// sudo, so its own argv (/proc/self/cmdline) holds them.
#ifndef PAM_TWILIO_OTP_SUDO_COMMAND_H_
#define PAM_TWILIO_OTP_SUDO_COMMAND_H_

#include <optional>
#include <string>
#include <string_view>

namespace twotp {

struct SudoInvocation {
  std::string command;       // "ls /root"; "" when there is none (sudo -v, -l, -s alone)
  bool reads_stdin = false;  // -S / --stdin: sudo reads every answer from standard input
};

// From sudo's NUL-separated argv ("sudo\0-u\0root\0ls\0/root\0"): the
// command, with sudo's options and their arguments skipped, and whether -S
// is among those options.
SudoInvocation ParseSudoArgv(std::string_view nul_separated_argv);

// Whether the program at `exe` (the target of /proc/self/exe) is sudo. The
// PAM service can't tell: sudoers names any with pam_service, and "sudo -i"
// uses pam_login_service ("sudo-i" by default).
bool IsSudoProgram(std::string_view exe);

// The running sudo's invocation (from /proc/self/cmdline); nullopt when the
// running program is not sudo.
std::optional<SudoInvocation> CurrentSudo();

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_SUDO_COMMAND_H_
