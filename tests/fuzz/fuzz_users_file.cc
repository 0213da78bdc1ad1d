// Fuzzes the users file: each line through ParseUsersLine (the parser the
// module and the CLI share), then the whole input as a users file through
// UsersFile's List, Lookup, Upsert and Remove.
//
// Invariants:
//  - a line that parses round-trips: ParseUsersLine(FormatUsersLine(r)) == r,
//    CheckRecord(r) is ok, and UsersLineUser(line) names r.user;
//  - a record CheckRecord accepts formats to one line that parses back to it;
//  - List() and Lookup() agree: every listed user is found with that record
//    or is a directory fault (a duplicate or malformed line of theirs);
//  - Upsert(r) makes Lookup(r.user) answer exactly r, Remove makes it
//    kNotFound, and neither changes the answer for anyone else.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "base/logger.h"
#include "base/phone.h"
#include "directory/users_file.h"

using namespace twotp;

namespace {

fuzz::ScratchDir& Scratch() {
  static fuzz::ScratchDir dir;
  return dir;
}

bool SameRecord(const PhoneRecord& a, const PhoneRecord& b) {
  return a.user == b.user && a.number == b.number && a.channel == b.channel && a.verified_at == b.verified_at &&
         a.verified == b.verified && a.email == b.email;
}

std::string ShowRecord(const PhoneRecord& r) {
  return "{" + fuzz::Show(r.user) + " " + fuzz::Show(r.number) + " " + ChannelName(r.channel) + " " +
         fuzz::Show(r.verified_at) + (r.verified ? " verified}" : " unverified}");
}

void CheckLine(std::string_view line) {
  Result<PhoneRecord> parsed = ParseUsersLine(line);
  const std::string_view first = UsersLineUser(line);
  // The lookup's quick test agrees with the first field, for the name itself
  // and for names one byte longer or shorter.
  if (!first.empty()) {
    const std::string longer = std::string(first) + "x";
    FUZZ_CHECK(FirstFieldIs(first)(line), fuzz::Show(line));
    FUZZ_CHECK(!FirstFieldIs(longer)(line), fuzz::Show(line));
    FUZZ_CHECK(first.size() == 1 || !FirstFieldIs(first.substr(0, first.size() - 1))(line), fuzz::Show(line));
  }
  FUZZ_CHECK(!FirstFieldIs("")(line), fuzz::Show(line));
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().Is(Fault::kNotFound) || parsed.status().Is(Fault::kBadInput),
               parsed.status().ToString());
    FUZZ_CHECK(parsed.status().Is(Fault::kNotFound) == first.empty(), fuzz::Show(line));
    return;
  }
  const PhoneRecord& r = parsed.value();
  FUZZ_CHECK(first == r.user, fuzz::Show(line));
  FUZZ_CHECK(IsE164(r.number), ShowRecord(r));
  FUZZ_CHECK(r.verified == !r.verified_at.empty(), ShowRecord(r));
  FUZZ_CHECK(CheckRecord(r).ok(), CheckRecord(r).ToString());
  const std::string formatted = FormatUsersLine(r);
  FUZZ_CHECK(formatted.find('\n') == std::string::npos, fuzz::Show(formatted));
  Result<PhoneRecord> back = ParseUsersLine(formatted);
  FUZZ_CHECK(back.ok(), fuzz::Show(formatted) + ": " + back.status().ToString());
  FUZZ_CHECK(SameRecord(back.value(), r), ShowRecord(back.value()) + " vs " + ShowRecord(r));
}

// A record made of raw pieces of the input (what the CLI might be handed):
// if CheckRecord lets it through, the file gets exactly one line that reads
// back as the same record.
void CheckArbitraryRecord(std::string_view a, std::string_view b, std::string_view c, std::string_view d = {}) {
  PhoneRecord r{std::string(a), std::string(b), Channel::kSms, std::string(c), !c.empty(), std::string(d)};
  if (!CheckRecord(r).ok()) return;
  const std::string formatted = FormatUsersLine(r);
  FUZZ_CHECK(formatted.find('\n') == std::string::npos, fuzz::Show(formatted));
  Result<PhoneRecord> back = ParseUsersLine(formatted);
  FUZZ_CHECK(back.ok(), fuzz::Show(formatted));
  FUZZ_CHECK(SameRecord(back.value(), r), ShowRecord(back.value()) + " vs " + ShowRecord(r));
}

// What Lookup says, reduced to what must not change for a user whose lines
// were not touched (line numbers in messages may shift).
struct Answer {
  bool ok = false;
  Fault fault = Fault::kNone;
  PhoneRecord record;
  bool operator==(const Answer& o) const {
    return ok == o.ok && fault == o.fault && (!ok || SameRecord(record, o.record));
  }
};

Answer Ask(UsersFile& file, const std::string& user) {
  Result<PhoneRecord> r = file.Lookup(user);
  Answer a;
  a.ok = r.ok();
  a.fault = r.ok() ? Fault::kNone : r.status().fault();
  if (r.ok()) a.record = r.value();
  return a;
}

std::string ShowAnswer(const Answer& a) {
  return a.ok ? ShowRecord(a.record) : std::string(FaultName(a.fault));
}

void CheckFile(std::string_view contents, const std::vector<std::string_view>& lines) {
  const std::string path = Scratch().File("pam_twilio_otp.users");
  fuzz::WriteFile(path, contents);
  const FileTrust trust(getuid());
  NullLogger log;
  UsersFile file(path, trust, log);

  Result<std::vector<PhoneRecord>> listed = file.List();
  FUZZ_CHECK(listed.ok(), listed.status().ToString());
  std::set<std::string> seen;
  for (const PhoneRecord& r : listed.value()) {
    FUZZ_CHECK(seen.insert(r.user).second, "List() twice: " + fuzz::Show(r.user));
    Result<PhoneRecord> found = file.Lookup(r.user);
    if (found.ok()) {
      FUZZ_CHECK(SameRecord(found.value(), r), ShowRecord(found.value()) + " vs " + ShowRecord(r));
    } else {
      FUZZ_CHECK(found.status().Is(Fault::kDirectory), found.status().ToString());
    }
  }

  // The users the rest is about: the first fields of the first lines.
  std::vector<std::string> users;
  for (std::string_view line : lines) {
    const std::string user(UsersLineUser(line.substr(0, kMaxUsersLineBytes)));
    if (!user.empty() && user.size() <= 64 && std::find(users.begin(), users.end(), user) == users.end()) {
      users.push_back(user);
    }
    if (users.size() == 4) break;
  }
  std::map<std::string, Answer> before;
  for (const std::string& user : users) {
    before[user] = Ask(file, user);
    if (before[user].ok) FUZZ_CHECK(seen.count(user) == 1, "found but not listed: " + fuzz::Show(user));
  }

  // Re-enrol the first user with a valid name, as `twilio-otp enroll` would.
  std::string target = "fuzzuser";
  const PhoneRecord probe{"", "+15550104567", Channel::kCall, "2026-01-02T03:04:05Z", true, ""};
  for (const std::string& user : users) {
    PhoneRecord r = probe;
    r.user = user;
    if (CheckRecord(r).ok()) {
      target = user;
      break;
    }
  }
  PhoneRecord record = probe;
  record.user = target;
  Status upserted = file.Upsert(record);
  FUZZ_CHECK(upserted.ok(), upserted.ToString());
  Answer now = Ask(file, target);
  FUZZ_CHECK(now.ok && SameRecord(now.record, record), "after Upsert: " + ShowAnswer(now));
  for (const auto& [user, answer] : before) {
    if (user == target) continue;
    const Answer after = Ask(file, user);
    FUZZ_CHECK(after == answer, "Upsert of " + fuzz::Show(target) + " changed " + fuzz::Show(user) + ": " +
                                    ShowAnswer(answer) + " -> " + ShowAnswer(after));
  }

  Status removed = file.Remove(target);
  FUZZ_CHECK(removed.ok(), removed.ToString());
  Result<PhoneRecord> gone = file.Lookup(target);
  FUZZ_CHECK(!gone.ok() && gone.status().Is(Fault::kNotFound), gone.ok() ? ShowRecord(gone.value())
                                                                          : gone.status().ToString());
  for (const auto& [user, answer] : before) {
    if (user == target) continue;
    const Answer after = Ask(file, user);
    FUZZ_CHECK(after == answer, "Remove of " + fuzz::Show(target) + " changed " + fuzz::Show(user) + ": " +
                                    ShowAnswer(answer) + " -> " + ShowAnswer(after));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The lines as the reader sees them ('\n' only; longer than the cap is malformed).
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos < input.size();) {
    const size_t nl = input.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? input.size() : nl;
    lines.push_back(input.substr(pos, end - pos));
    pos = end + 1;
  }
  for (std::string_view line : lines) {
    if (line.size() <= kMaxUsersLineBytes) CheckLine(line);
  }

  // The first three or four '|'-separated pieces as a record's raw fields
  // (user, number, time, email).
  std::vector<std::string_view> words;
  for (size_t pos = 0; pos < input.size() && words.size() < 4;) {
    const size_t sp = input.find('|', pos);
    const size_t end = sp == std::string_view::npos ? input.size() : sp;
    words.push_back(input.substr(pos, end - pos));
    pos = end + 1;
  }
  if (words.size() == 3) CheckArbitraryRecord(words[0], words[1], words[2]);
  if (words.size() == 4) CheckArbitraryRecord(words[0], words[1], words[2], words[3]);

  CheckFile(input, lines);
  return 0;
}
