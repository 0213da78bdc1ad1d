// One line of the users file: the strict parser and the formatter. The file
// I/O around them is in users_file.cc.
#include "directory/users_line.h"

#include <time.h>

#include <array>
#include <string>

#include "base/email_address.h"
#include "base/phone.h"
#include "base/text.h"

namespace twotp {

namespace {

constexpr size_t kMaxUserName = 32;  // useradd's limit on Linux
constexpr std::string_view kWhite = " \t\r\v\f";
constexpr const char kIsoFormat[] = "%Y-%m-%dT%H:%M:%SZ";

std::string_view StripComment(std::string_view line) {
  const size_t hash = line.find('#');
  return hash == std::string_view::npos ? line : line.substr(0, hash);
}

// Splits on white space; stops after `max` fields (the caller only needs to
// know that there are too many).
size_t SplitFields(std::string_view text, std::string_view* out, size_t max) {
  size_t n = 0;
  size_t pos = text.find_first_not_of(kWhite);
  while (pos != std::string_view::npos && n < max) {
    const size_t end = text.find_first_of(kWhite, pos);
    out[n++] = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? end : text.find_first_not_of(kWhite, end);
  }
  return n;
}

// POSIX-ish: what useradd and NSS accept, minus what would break this file.
// A leading '+' or '-' is NIS compat syntax in /etc/passwd (and a leading
// '+' is what a number shifted into the user column looks like).
const char* UserNameProblem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxUserName) return "is longer than 32 characters";
  if (name[0] == '-' || name[0] == '+') return "starts with '-' or '+'";
  for (unsigned char c : name) {
    if (c == ':') return "contains ':'";
    if (c < 0x20 || c == 0x7f) return "contains a control character";
  }
  return nullptr;
}


// Exactly "YYYY-MM-DDTHH:MM:SSZ" and a real UTC instant: strptime alone
// accepts missing zero padding and 31 February, so the parsed time must
// format back to the same text.
bool IsIsoUtc(std::string_view text) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != kShape.size()) return false;
  for (size_t i = 0; i < kShape.size(); ++i) {
    if (kShape[i] == 'd' ? !IsDigit(text[i]) : text[i] != kShape[i]) return false;
  }
  const std::string copy(text);
  struct tm tm = {};
  const char* end = strptime(copy.c_str(), kIsoFormat, &tm);
  if (end == nullptr || *end != '\0') return false;
  const time_t t = timegm(&tm);
  struct tm back = {};
  if (gmtime_r(&t, &back) == nullptr) return false;
  std::array<char, 32> buf{};
  const size_t n = strftime(buf.data(), buf.size(), kIsoFormat, &back);
  return std::string_view(buf.data(), n) == text;
}

Status Malformed(const std::string& why) { return Status::BadInput(why); }

}  // namespace

std::string_view UsersLineUser(std::string_view line) {
  std::string_view first;
  SplitFields(StripComment(line), &first, 1);
  return first;
}

FirstFieldIs::FirstFieldIs(std::string_view user)
    // A name with a blank or '#' can never be a line's first field.
    : user_(user),
      possible_(!user.empty() && user.find_first_of(kWhite) == std::string_view::npos &&
                user.find('#') == std::string_view::npos) {}

bool FirstFieldIs::operator()(std::string_view line) const {
  if (!possible_) return false;
  const size_t start = line.find_first_not_of(kWhite);
  if (start == std::string_view::npos) return false;
  line.remove_prefix(start);
  if (!line.starts_with(user_)) return false;
  if (line.size() == user_.size()) return true;
  const char after = line[user_.size()];
  return after == '#' || kWhite.find(after) != std::string_view::npos;
}

Result<PhoneRecord> ParseUsersLine(std::string_view line) {
  std::array<std::string_view, 6> f;
  const size_t n = SplitFields(StripComment(line), f.data(), f.size());
  if (n == 0) return Status::NotFound("blank or comment line");
  if (n > 5) return Malformed("more than 5 fields (a comment must start with '#')");
  if (n < 4)
    return Malformed("expected USER NUMBER CHANNEL VERIFIED_AT [EMAIL], found " + std::to_string(n) + " field(s)");
  if (const char* problem = UserNameProblem(f[0])) return Malformed(std::string("user name ") + problem);
  const std::optional<Channel> channel = ParseChannel(f[2]);
  // A user of an authenticator app alone may have no number ("-").
  const bool no_number = f[1] == "-" && channel == Channel::kTotp;
  if (!no_number && !IsE164(f[1])) return Malformed("number is not E.164 ('+' and 8 to 15 digits; '-' for totp)");
  if (!channel) return Malformed("channel is not one of sms, call, whatsapp, email, totp");
  if (f[3] != "-" && !IsIsoUtc(f[3]))
    return Malformed("verified time is neither '-' nor UTC YYYY-MM-DDTHH:MM:SSZ");
  if (n == 5 && !IsEmailAddress(f[4])) return Malformed("email is not an address (name@domain.example)");
  if (*channel == Channel::kEmail && n < 5) return Malformed("channel email needs an EMAIL field");
  PhoneRecord record;
  record.user = std::string(f[0]);
  if (!no_number) record.number = std::string(f[1]);
  record.channel = *channel;
  if (f[3] != "-") record.verified_at = std::string(f[3]);
  record.verified = !record.verified_at.empty();
  if (n == 5) record.email = std::string(f[4]);
  return record;
}

std::string FormatUsersLine(const PhoneRecord& record) {
  return record.user + " " + (record.number.empty() ? "-" : record.number) + " " + ChannelName(record.channel) + " " +
         (record.verified_at.empty() ? "-" : record.verified_at) + (record.email.empty() ? "" : " " + record.email);
}

// Parsing the formatted line back validates every field with the reader's
// own rules, and comparing catches white space or '#' inside a field.
Status CheckRecord(const PhoneRecord& record) {
  Result<PhoneRecord> back = ParseUsersLine(FormatUsersLine(record));
  if (!back.ok()) return Status::BadInput("record for " + record.user + ": " + back.status().message());
  if (back->user != record.user || back->number != record.number || back->verified_at != record.verified_at ||
      back->email != record.email)
    return Status::BadInput("record for " + record.user + ": a field holds white space or '#'");
  return Status::Ok();
}

}  // namespace twotp
