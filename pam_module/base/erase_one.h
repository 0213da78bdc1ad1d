// EraseOne: takes one entry out of a list that may hold equal ones (send
// and failure times, the logins holding a code, attempts in flight), where
// each entry stands for one event and only its own may go.
#ifndef PAM_TWILIO_OTP_BASE_ERASE_ONE_H_
#define PAM_TWILIO_OTP_BASE_ERASE_ONE_H_

#include <algorithm>
#include <vector>

namespace twotp {

// Removes the first element equal to `value`; false when there is none.
template <typename T>
bool EraseOne(std::vector<T>& list, const T& value) {
  const auto found = std::find(list.begin(), list.end(), value);
  if (found == list.end()) return false;
  list.erase(found);
  return true;
}

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_BASE_ERASE_ONE_H_
