// InChild: runs a check in a forked process, for what must not disturb the
// test process itself (a lowered limit, a lock held by "someone else").
#ifndef PAM_TWILIO_OTP_TESTS_IN_CHILD_H_
#define PAM_TWILIO_OTP_TESTS_IN_CHILD_H_

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace twotp_test {

// Runs `child` (returning an int) in a forked process and returns its exit
// status, or 100 + the signal that ended it; the check reports by its exit code.
template <typename Child>
int InChild(Child child) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) _exit(child());
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) {
    std::fprintf(stderr, "test fixture: fork or waitpid failed\n");
    std::abort();
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

}  // namespace twotp_test

#endif  // PAM_TWILIO_OTP_TESTS_IN_CHILD_H_
