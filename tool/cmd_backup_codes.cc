// `twilio-otp backup-codes USER [--count N]`: makes N single-use codes for
// an enrolled user, stores only their scrypt hashes in the user's state
// (replacing any earlier codes), and prints the codes once, one per line.
// stdout holds the codes and nothing else, so a script can capture them;
// every message goes to stderr. The codes are never logged.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "state/backup_codes.h"
#include "cli.h"
#include "fleet_state_cli.h"
#include "state/fleet_values.h"

namespace twotp::cli {

namespace {

constexpr int kDefaultCount = 10;

// "1".."20"; nullopt for anything else (signs, spaces, other numbers).
std::optional<int> ParseCount(const std::optional<std::string>& text) {
  if (!text) return kDefaultCount;
  if (text->empty() || text->size() > 2 || text->find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const int count = std::stoi(*text);
  if (count < 1 || count > 20) return std::nullopt;
  return count;
}

// write(2) straight from the Secret's buffer: stdio would keep a copy of
// the codes in its own buffer, which nothing wipes.
bool WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

int RunBackupCodes(const Args& args) {
  const std::string user = AccountArgument(args.positional[0]);
  const std::optional<int> count = ParseCount(args.Value("count"));
  if (!count) return UsageError("twilio-otp backup-codes", "--count must be a number from 1 to 20");
  std::optional<Config> config = LoadConfigOrReport(args.config_path);
  if (!config) return kExitRefused;
  // Codes for someone the module would never ask would only be a second way in.
  Result<PhoneRecord> record = OpenPhoneDirectory(*config, CliLogger())->Lookup(user);
  if (!record.ok()) return Refuse(record.status());

  Result<NewBackupCodes> codes = GenerateBackupCodes(*count);
  if (!codes.ok()) return Refuse(codes.status());
  const StateStore store = OpenStateStore(*config);
  std::string where = store.UserPath(user);
  if (const std::unique_ptr<Directory> fleet = OpenFleetDirectory(*config)) {
    // One replace: every host sees the new codes, and none of the old, at once.
    std::vector<std::string> values;
    for (const BackupCodeHash& hash : codes->hashes) values.push_back(FormatFleetBackupCode(hash));
    if (Status stored = fleet->Fleet()->Replace(user, FleetAttribute::kBackupCode, values); !stored.ok()) {
      return Refuse(stored);
    }
    where = "the directory (" + fleet->Where() + ")";
  } else {
    if (Status prepared = store.Prepare(); !prepared.ok()) return Refuse(prepared);
    Result<UserTransaction> txn = store.Lock(user);
    if (!txn.ok()) return Refuse(txn.status());
    txn->state().backup_codes = codes->hashes;
    if (Status stored = txn->Commit(); !stored.ok()) return Refuse(stored);
  }

  // Stored first, printed second: a failed print leaves codes nobody has
  // (run again), never printed codes that don't work.
  for (const Secret& code : codes->codes) {
    if (!WriteAll(code.view()) || !WriteAll("\n")) {
      std::fprintf(stderr, "twilio-otp: could not print the codes (%s); run the command again to replace them\n",
                   std::strerror(errno));
      return kExitRefused;
    }
  }
  std::fprintf(stderr,
               "twilio-otp: %d backup codes for %s stored in %s; any earlier ones no longer work.\n"
               "twilio-otp: each works once at the code prompt; they are not shown again.\n",
               *count, Printable(user).c_str(), Printable(where).c_str());
  return kExitOk;
}

}  // namespace twotp::cli
