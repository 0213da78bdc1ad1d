// TableProcesses: which logins run, as a table, so the pending code's owner
// check is tested without /proc.
#ifndef PAM_TWILIO_OTP_TESTS_TABLE_PROCESSES_H_
#define PAM_TWILIO_OTP_TESTS_TABLE_PROCESSES_H_

#include <algorithm>
#include <vector>

#include "base/proc_stat.h"

namespace twotp_test {

class TableProcesses : public twotp::Processes {
 public:
  twotp::ProcessId self{4242, 777};
  std::vector<twotp::ProcessId> others;  // other logins still running
  twotp::ProcessId Self() override { return self; }
  bool Alive(const twotp::ProcessId& p) override {
    return p.pid > 0 && (p == self || std::find(others.begin(), others.end(), p) != others.end());
  }
};

}  // namespace twotp_test

#endif  // PAM_TWILIO_OTP_TESTS_TABLE_PROCESSES_H_
