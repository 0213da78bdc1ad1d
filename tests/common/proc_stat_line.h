// StatLine: a /proc/PID/stat line as Linux 6.1 writes it, for the parser's
// tests and the terminal-session tests built on it.
#ifndef PAM_TWILIO_OTP_TESTS_PROC_STAT_LINE_H_
#define PAM_TWILIO_OTP_TESTS_PROC_STAT_LINE_H_

#include <string>

namespace twotp_test {

// `comm` goes between the parentheses.
inline std::string StatLine(int pid, const std::string& comm, int session, long long tty_nr,
                            unsigned long long start_time, char state = 'S') {
  return std::to_string(pid) + " (" + comm + ") " + state + " 1 " + std::to_string(pid) + " " + std::to_string(session) + " " +
         std::to_string(tty_nr) + " " + std::to_string(pid) + " 4194560 120 0 0 0 1 2 0 0 20 0 1 0 " +
         std::to_string(start_time) + " 2351104 220 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n";
}

}  // namespace twotp_test

#endif  // PAM_TWILIO_OTP_TESTS_PROC_STAT_LINE_H_
