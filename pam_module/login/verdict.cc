#include "login/verdict.h"

namespace twotp {

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAllow: return "allow";
    case Verdict::kDeny: return "deny";
    case Verdict::kIgnore: return "ignore";
    case Verdict::kRefuse: return "refuse";
    case Verdict::kConvError: return "conversation error";
  }
  return "unknown";
}

Verdict VerdictForFault(const Status& status, FailMode failmode) {
  switch (status.fault()) {
    case Fault::kUnavailable:
      // Only an outage the caller cannot have made (status.h, Witnessed)
      // may let a login through: a timeout may be a stopped process.
      return failmode == FailMode::kSafe && status.witnessed() ? Verdict::kIgnore : Verdict::kRefuse;
    case Fault::kConfig:
    case Fault::kDirectory:
    case Fault::kState:
    case Fault::kInternal:
    case Fault::kBadInput:
      return Verdict::kRefuse;
    case Fault::kNone:  // not a fault; never let a bug turn into a pass
    case Fault::kNotFound:
    case Fault::kCodeDead:
    case Fault::kRecipient:
    case Fault::kRejected:
      return Verdict::kDeny;
  }
  return Verdict::kRefuse;
}

}  // namespace twotp
