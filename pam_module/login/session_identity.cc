#include "login/session_identity.h"

#include <string>

namespace twotp {

std::optional<SessionIdentity> CurrentSession(const ProcStatReader& read) {
  Result<ProcStat> self = read("self");
  if (!self.ok() || self->tty_nr == 0 || self->session <= 0) return std::nullopt;
  Result<ProcStat> leader = read(std::to_string(self->session));
  // The leader leads that very session: a pid that names another process is no leader.
  if (!leader.ok() || leader->pid != self->session || leader->session != self->session) return std::nullopt;
  return SessionIdentity{self->tty_nr, self->session, leader->start_time};
}

}  // namespace twotp
