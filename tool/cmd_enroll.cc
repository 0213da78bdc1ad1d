// `twilio-otp enroll USER NUMBER [--channel sms|call|whatsapp|email]
// [--email ADDRESS] [--no-verify] [--force]`: refuses a USER this host's NSS
// doesn't know (unless --force), normalises the number, checks it against
// the policy, proves that someone holding the phone (and reading the
// mailbox, when codes may go there) can read a code (unless --no-verify),
// and only then writes the record (users file or LDAP entry). A refused or
// failed enrollment leaves the directory as it was.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>

#include "cli.h"
#include "fleet_state_cli.h"
#include "base/clock.h"
#include "base/email_address.h"
#include "code_prompt.h"
#include "base/phone.h"
#include "twilio/line_type.h"
#include "twilio/twilio_session.h"
#include "directory/users_file.h"
#include "state/send_limits.h"
#include "base/sys_text.h"

namespace twotp::cli {

namespace {

// The file backend: the record must fit the file's format. LDAP: the
// directory must answer for the user (kNotFound, no number yet, is fine).
Status ReadyToEnroll(const Config& config, Directory& directory, const PhoneRecord& record) {
  if (config.directory.backend == Backend::kFile) return CheckRecord(record);
  Result<PhoneRecord> current = directory.Lookup(record.user);
  if (current.ok() || current.status().Is(Fault::kNotFound)) return Status::Ok();
  return current.status();
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// USER as the module will key it. The module refuses a login NSS doesn't
// know, so a name it doesn't know is most likely a typo ("alcie") and is
// refused, as is one NSS can't answer for; --force takes it as typed, for
// an account only other hosts see (one in LDAP, enrolled from an
// administration host).
Result<std::string> EnrollableUser(const std::string& typed, bool force) {
  UserArgument user = ReadUserArgument(typed, /*warn=*/false);
  if (user.nss.ok()) return std::move(user.name);
  if (force) {
    std::fprintf(stderr, "twilio-otp: note: enrolling %s as typed (--force): this host's module refuses its logins "
                 "until NSS knows the account\n", Printable(typed).c_str());
    return std::move(user.name);
  }
  if (user.unknown) {
    return Status::NotFound(typed + " is not an account this host knows (NSS): check the spelling, or give --force "
                            "to enroll an account only other hosts see");
  }
  return Status::DirectoryError(user.nss.message() + "; can't tell whether " + typed +
                                " is an account: try again, or give --force to enroll the name as typed");
}

// --channel, or the policy's default (its first channel); the result must be
// one the policy lets users pick, or the module could never use it.
Result<Channel> ChooseChannel(const Config& config, const Args& args) {
  const std::vector<Channel>& allowed = config.policy.channels;
  std::optional<std::string> named = args.Value("channel");
  if (!named) return allowed.empty() ? Channel::kSms : allowed.front();
  std::optional<Channel> channel = ParseChannel(*named);  // RunEnroll checked the name
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), *channel) == allowed.end()) {
    std::vector<std::string> names;
    for (Channel c : allowed) names.emplace_back(ChannelName(c));
    return Status::BadInput("channel " + *named + " is not in policy.channels of " + config.path + " (" +
                            Join(names) + ")");
  }
  return *channel;
}

// Cancels the pending code on every way out but approval, so a code that
// was sent can't be approved later by someone else.
class PendingCode {
 public:
  explicit PendingCode(Challenge& challenge) : challenge_(challenge) {}
  ~PendingCode() {
    if (!approved_) challenge_.Abandon();
  }
  PendingCode(const PendingCode&) = delete;
  PendingCode& operator=(const PendingCode&) = delete;
  void Approved() { approved_ = true; }

 private:
  Challenge& challenge_;
  bool approved_ = false;
};

// Sends a code to `to` and asks for it, up to policy.max_attempts times.
// Ok only when the right code came back.
Status ProveOwnership(const Config& config, const std::string& user, const std::string& to, Channel channel) {
  Result<std::unique_ptr<TwilioSession>> session = TwilioSession::Open(config, FileTrust(0), DefaultClock());
  if (!session.ok()) return session.status();
  Challenge& challenge = session.value()->challenge();
  Status sent = challenge.Send(to, channel, ChallengeContext{user, "twilio-otp", HostName(), "", ""});
  if (!sent.ok()) return sent;
  PendingCode pending(challenge);
  std::fprintf(stderr, "Sent a code to %s by %s.\n", (ToEmail(channel) ? MaskEmail(to) : MaskNumber(to)).c_str(),
               ChannelDescription(channel));
  for (int attempt = 1; attempt <= config.policy.max_attempts; ++attempt) {
    Secret typed;
    Status read = ReadCode(config.policy.prompt, typed);
    if (!read.ok()) return read;
    Result<CheckOutcome> checked = challenge.Check(typed);
    if (!checked.ok()) return checked.status();
    if (checked.value() == CheckOutcome::kApproved) {
      pending.Approved();
      return Status::Ok();
    }
    std::fprintf(stderr, "That code is not right (%d of %d tries).\n", attempt, config.policy.max_attempts);
  }
  return Status::Rejected("no right code after " + std::to_string(config.policy.max_attempts) +
                                             " tries; " + user + " was not enrolled");
}

// --lookup (or twilio.lookup without --no-lookup): Lookup's line type for
// the number, judged for the record's channel. A refusal is an error; a
// warning is printed and the enrolment goes on.
Status CheckLineType(const Config& config, const PhoneRecord& record) {
  Result<std::unique_ptr<TwilioSession>> session = TwilioSession::Open(config, FileTrust(0), DefaultClock());
  if (!session.ok()) return session.status();
  Result<LineType> line = LookUpLineType(config.twilio, session.value()->transport(), record.number);
  if (!line.ok()) return line.status().Prefixed("Lookup (give --no-lookup to enroll without it): ");
  const LineAdvice advice = JudgeLineType(line.value(), record.channel);
  const std::string what = record.number + " (" + (line->type.empty() ? "no line type" : line->type) +
                           (line->carrier.empty() ? "" : ", " + line->carrier) + ")";
  if (advice.verdict == LineVerdict::kRefuse) return Status::BadInput("Lookup: " + what + ": " + advice.reason);
  if (advice.verdict == LineVerdict::kWarn) {
    std::fprintf(stderr, "twilio-otp: warning: Lookup: %s: %s\n", what.c_str(), advice.reason.c_str());
  } else {
    std::fprintf(stderr, "Lookup: %s.\n", what.c_str());
  }
  return Status::Ok();
}

// Each place a code of this record may go at login, proven in turn: the
// number by the user's channel (or the first phone channel the policy
// allows), the address by email when the policy lets codes go there.
Status ProveRecord(const Config& config, const PhoneRecord& record) {
  const std::vector<Channel>& allowed = config.policy.channels;
  std::optional<Channel> phone = ToEmail(record.channel) ? std::nullopt : std::optional<Channel>(record.channel);
  for (Channel channel : allowed) {
    if (!phone && !ToEmail(channel)) phone = channel;
  }
  if (phone) {
    if (Status proved = ProveOwnership(config, record.user, record.number, *phone); !proved.ok()) return proved;
  }
  if (!record.email.empty() && std::find(allowed.begin(), allowed.end(), Channel::kEmail) != allowed.end()) {
    return ProveOwnership(config, record.user, record.email, Channel::kEmail);
  }
  return Status::Ok();
}

}  // namespace

int RunEnroll(const Args& args) {
  if (args.Has("channel") && !ParseChannel(*args.Value("channel")))
    return UsageError("twilio-otp enroll", "--channel must be sms, call, whatsapp or email");
  const std::string email = args.Value("email").value_or("");
  if (args.Has("email") && !IsEmailAddress(email))
    return UsageError("twilio-otp enroll", "--email must be an address such as alice@example.com");
  if (args.Value("channel") == "email" && email.empty())
    return UsageError("twilio-otp enroll", "--channel email needs --email ADDRESS");
  if (args.Has("lookup") && args.Has("no-lookup"))
    return UsageError("twilio-otp enroll", "give --lookup or --no-lookup, not both");
  if (args.Has("totp") && (args.Has("channel") || args.Has("email") || args.Has("no-verify") || args.Has("lookup")))
    return UsageError("twilio-otp enroll", "--totp takes none of --channel, --email, --lookup, --no-verify");
  if (!args.Has("totp") && args.positional.size() < 2) return UsageError("twilio-otp enroll", "NUMBER is missing");
  std::optional<Config> config = LoadConfigOrReport(args.config_path);
  if (!config) return kExitRefused;
  Result<std::string> user = EnrollableUser(args.positional[0], args.Has("force"));
  if (!user.ok()) return Refuse(user.status());
  std::unique_ptr<Directory> directory = OpenPhoneDirectory(*config, CliLogger());
  if (args.Has("totp")) return RunEnrollTotp(args, *config, *directory, user.value());
  Result<std::string> number = NormalizeE164(args.positional[1]);
  if (!number.ok()) return Refuse(number.status());
  // The module's own check, said to the administrator (not the user's sentence).
  if (Status country = CheckCountry(number.value(), config->limits); !country.ok()) {
    return Refuse(Status::BadInput(config->path + ": " + country.message()));
  }
  Result<Channel> channel = ChooseChannel(*config, args);
  if (!channel.ok()) return Refuse(channel.status());

  PhoneRecord record{user.value(), number.value(), channel.value(), "", false, email};
  // Validate before a code is sent: a bad user name, or a directory that
  // can't be reached, must not cost an SMS.
  Status valid = ReadyToEnroll(*config, *directory, record);
  if (!valid.ok()) return Refuse(valid);
  if (args.Has("lookup") || (config->twilio.lookup && !args.Has("no-lookup"))) {
    if (Status line = CheckLineType(*config, record); !line.ok()) return Refuse(line);
  }
  if (!args.Has("no-verify")) {
    Status proved = ProveRecord(*config, record);
    if (!proved.ok()) return Refuse(proved);
    record.verified_at = NowIso8601();
    record.verified = true;
  }
  Status written = directory->Enroll(record);
  if (!written.ok()) return Refuse(written);
  PrepareFleetEntry(*config, *directory, record.user);
  std::printf("enrolled %s: %s%s%s by %s (%s)\n", Printable(record.user).c_str(), record.number.c_str(),
              email.empty() ? "" : " and ", email.c_str(), ChannelName(record.channel),
              record.verified_at.empty() ? "not verified: --no-verify" : "verified");
  return kExitOk;
}

}  // namespace twotp::cli
