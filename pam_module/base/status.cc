#include "base/status.h"

namespace twotp {

const char* FaultName(Fault fault) {
  switch (fault) {
    case Fault::kNone: return "ok";
    case Fault::kBadInput: return "bad input";
    case Fault::kConfig: return "config";
    case Fault::kDirectory: return "directory";
    case Fault::kState: return "state";
    case Fault::kNotFound: return "not found";
    case Fault::kUnavailable: return "unavailable";
    case Fault::kCodeDead: return "code expired";
    case Fault::kRecipient: return "recipient blocked";
    case Fault::kRejected: return "rejected";
    case Fault::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s = std::string(FaultName(fault_)) + ": " + message_;
  if (http_status_ != 0 || twilio_code_ != 0) {
    s += " (HTTP " + std::to_string(http_status_);
    if (twilio_code_ != 0) s += ", Twilio " + std::to_string(twilio_code_);
    s += ")";
  }
  return s;
}

}  // namespace twotp
