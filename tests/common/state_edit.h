// Tests seed and tamper with a user's state the way the module changes it:
// one transaction of the store (lock, read, edit, commit).
#ifndef PAM_TWILIO_OTP_TESTS_STATE_EDIT_H_
#define PAM_TWILIO_OTP_TESTS_STATE_EDIT_H_

#include <string>

#include "state/state_store.h"

template <typename Edit>
twotp::Status EditState(const twotp::StateStore& store, const std::string& user, Edit edit) {
  twotp::Result<twotp::UserTransaction> txn = store.Lock(user);
  if (!txn.ok()) return txn.status();
  edit(txn->state());
  return txn->Commit();
}

#endif  // PAM_TWILIO_OTP_TESTS_STATE_EDIT_H_
