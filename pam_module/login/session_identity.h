// SessionIdentity: the terminal session a local login runs in, as sudo binds
// its own tickets (timestamp_type=tty): the controlling terminal's device,
// the session id and the session leader's start time. A terminal's name is
// not a session: /dev/pts/N is handed to the next pty opened after its
// session closes, so a process of the user's that waits for it would inherit
// a grace period bound to the name.
#ifndef PAM_TWILIO_OTP_SESSION_IDENTITY_H_
#define PAM_TWILIO_OTP_SESSION_IDENTITY_H_

#include <cstdint>
#include <optional>

#include "base/proc_stat.h"

namespace twotp {

struct SessionIdentity {
  std::int64_t tty_nr = 0;         // the controlling terminal's device number (never 0)
  int session = 0;                 // the session id: the leader's pid
  std::uint64_t leader_start = 0;  // the leader's start time: the sid is reused, the pair is not
  bool operator==(const SessionIdentity&) const = default;
};

// This process's terminal session, read with `read` ("self", then the
// session leader's pid), never from PAM_TTY or the environment. nullopt when
// there is no controlling terminal, the leader is gone (its terminal went
// with it) or /proc can't be read: such a login gets no grace.
std::optional<SessionIdentity> CurrentSession(const ProcStatReader& read = ReadProcStat);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_SESSION_IDENTITY_H_
