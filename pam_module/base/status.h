// Status and Result<T>: how every core function reports failure.
//
// A Status says whose fault a failure is (the Fault), carries a detail line
// that is safe to log (never a secret, never a full phone number), and
// optionally a short sentence for the person at the prompt. Twilio failures
// also carry the HTTP status and Twilio's own error `code`. Success is
// Status::Ok(). Both are [[nodiscard]]: a result that is dropped must be
// dropped out loud ((void), with a comment saying why).
//
// Exceptions: the module's own code reports with these, never by throwing;
// what the standard library may still throw (std::bad_alloc) and a value()
// taken from a failed Result (BadResultAccess, a bug) are caught at the PAM
// boundary (pam_sm_authenticate: logged, the login refused) and at the CLI's
// main, and never unwind through C code (http-parser, libldap, OpenSSL call
// back into functions that don't throw).
#ifndef PAM_TWILIO_OTP_STATUS_H_
#define PAM_TWILIO_OTP_STATUS_H_

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace twotp {

enum class Fault {
  kNone,
  kBadInput,     // what a person typed or passed is malformed (usage, number, code)
  kConfig,       // our config, a trusted file, or Twilio account setup is wrong: refuse, loudly
  kDirectory,    // the phone directory can't be read or parsed: refuse, never "not enrolled"
  kState,        // a state file (limits, lockout, backup codes) is unreadable or corrupt: refuse
  kNotFound,     // confirmed absence: the directory says this user has no number
  kUnavailable,  // Twilio or the network is down, slow, 5xx, or 429 after a retry: failmode decides
  kCodeDead,     // the pending code is gone (expired, used, too many checks): deny, offer a new one
  kRecipient,    // this number can't get codes (STOP, Fraud Guard, landline): deny with advice
  kRejected,     // any other refusal from Twilio: deny (unknown codes take the safe side)
  kInternal,     // our own bug or resource failure
};

// Short lower-case name of a fault for log lines ("config", "unavailable"...).
const char* FaultName(Fault fault);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  static Status Ok() { return Status(); }
  static Status Error(Fault fault, std::string message) {
    Status s;
    s.fault_ = fault;
    s.message_ = std::move(message);
    return s;
  }
  static Status BadInput(std::string m) { return Error(Fault::kBadInput, std::move(m)); }
  static Status ConfigError(std::string m) { return Error(Fault::kConfig, std::move(m)); }
  static Status DirectoryError(std::string m) { return Error(Fault::kDirectory, std::move(m)); }
  static Status StateError(std::string m) { return Error(Fault::kState, std::move(m)); }
  static Status NotFound(std::string m) { return Error(Fault::kNotFound, std::move(m)); }
  static Status Unavailable(std::string m) { return Error(Fault::kUnavailable, std::move(m)); }
  static Status CodeDead(std::string m) { return Error(Fault::kCodeDead, std::move(m)); }
  static Status Recipient(std::string m) { return Error(Fault::kRecipient, std::move(m)); }
  static Status Rejected(std::string m) { return Error(Fault::kRejected, std::move(m)); }
  static Status Internal(std::string m) { return Error(Fault::kInternal, std::move(m)); }

  bool ok() const { return fault_ == Fault::kNone; }
  Fault fault() const { return fault_; }
  bool Is(Fault f) const { return fault_ == f; }
  // Detail for logs and CLI errors; "" when ok.
  const std::string& message() const { return message_; }
  // What to tell the user at the prompt, when there is something useful to say.
  const std::optional<std::string>& user_message() const { return user_message_; }
  int http_status() const { return http_status_; }  // 0 when no HTTP reply
  int twilio_code() const { return twilio_code_; }  // 0 when Twilio gave none

  Status& WithUserMessage(std::string m) {
    user_message_ = std::move(m);
    return *this;
  }
  Status& WithHttp(int http_status, int twilio_code) {
    http_status_ = http_status;
    twilio_code_ = twilio_code;
    return *this;
  }
  // For kUnavailable: the outage is shown by something the caller of the
  // login cannot fake (the network refused before any byte of the request
  // was written, or Twilio itself answered 5xx/429). A timeout is never a
  // witness: the caller can stop its own process (SIGSTOP, a cgroup freeze)
  // until any deadline passes. Only a witnessed outage lets failmode=safe
  // through (VerdictForFault).
  Status& Witnessed() {
    witnessed_ = true;
    return *this;
  }
  bool witnessed() const { return witnessed_; }
  // The same failure, its message led by `context` ("Twilio verification
  // start: "): fault, evidence (witnessed), HTTP and Twilio codes and the
  // user's sentence all travel with it.
  Status Prefixed(const std::string& context) const {
    Status s = *this;
    s.message_ = context + message_;
    return s;
  }
  // "config: /etc/x.conf:3: policy.code_length: must be 4..10"
  std::string ToString() const;

 private:
  Fault fault_ = Fault::kNone;
  std::string message_;
  std::optional<std::string> user_message_;
  int http_status_ = 0;
  int twilio_code_ = 0;
  bool witnessed_ = false;
};

// What value() of a failed Result throws: a bug, caught at the PAM
// boundary and the CLI's main, never undefined behaviour.
class BadResultAccess : public std::logic_error {
 public:
  explicit BadResultAccess(const Status& why) : std::logic_error("value() of a failed Result: " + why.ToString()) {}
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  // `status` must not be ok: an ok Status with no value would be a Result
  // that is neither; it becomes kInternal.
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Status::Internal("a Result made from an ok Status, with no value");
  }
  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  // Checked: throws BadResultAccess when !ok().
  T& value() { return Checked(); }
  const T& value() const { return const_cast<Result*>(this)->Checked(); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &const_cast<Result*>(this)->Checked(); }

 private:
  T& Checked() {
    if (!value_) throw BadResultAccess(status_);
    return *value_;
  }

  std::optional<T> value_;
  Status status_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_STATUS_H_
