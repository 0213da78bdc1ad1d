// The command a sudo login approves, for {command} in the code message. PAM
// does not hand modules the command, but the module runs inside sudo, so its
// own argv (/proc/self/cmdline) holds it.
#ifndef PAM_TWILIO_OTP_SUDO_COMMAND_H_
#define PAM_TWILIO_OTP_SUDO_COMMAND_H_

#include <string>
#include <string_view>

namespace twotp {

// From sudo's NUL-separated argv ("sudo\0-u\0root\0ls\0/root\0"), the command
// ("ls /root"): sudo's options and their arguments are skipped. "" when there
// is no command (sudo -v, sudo -l, sudo -s without one).
std::string SudoCommandFromArgv(std::string_view nul_separated_argv);

// Whether the program at `exe` (the target of /proc/self/exe) is sudo. The
// PAM service can't tell: sudoers names any with pam_service, and "sudo -i"
// uses pam_login_service ("sudo-i" by default).
bool IsSudoProgram(std::string_view exe);

// The command from /proc/self/cmdline when the running program is sudo; ""
// for any other program and on any failure.
std::string CurrentSudoCommand();

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_SUDO_COMMAND_H_
