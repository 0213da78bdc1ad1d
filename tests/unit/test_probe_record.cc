// state/probe_record: root's probe record, the witness failmode=safe may trust
// when a login's own request timed out. Doubt of any kind is "no outage".
#include <unistd.h>

#include <ctime>

#include "state/probe_record.h"
#include "temp_files.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

namespace {

struct Dir {
  twotp_test::TempDir dir;
  Dir() { assert_true(dir.Create("twotp-probe")); }
  ~Dir() { dir.Remove(); }
};

void test_record_round_trips(void**) {
  Dir d;
  assert_true(WriteProbeRecord(d.dir.path(), ProbeRecord{1234, false, "connect timed out"}).ok());
  Result<ProbeRecord> read = ReadProbeRecord(d.dir.path(), FileTrust(getuid()));
  assert_true(read.ok());
  assert_int_equal(read->checked_at, 1234);
  assert_false(read->reachable);
  assert_string_equal(read->detail.c_str(), "connect timed out");
}

void test_no_record_is_not_found_and_no_witness(void**) {
  Dir d;
  assert_true(ReadProbeRecord(d.dir.path(), FileTrust(getuid())).status().Is(Fault::kNotFound));
  assert_false(ProbeWitnessesOutage(d.dir.path(), FileTrust(getuid()), std::time(nullptr), 180));
}

void test_witness_only_for_a_fresh_outage(void**) {
  Dir d;
  const FileTrust trust(getuid());
  const std::time_t now = 100000;
  assert_true(WriteProbeRecord(d.dir.path(), ProbeRecord{now - 60, false, ""}).ok());
  assert_true(ProbeWitnessesOutage(d.dir.path(), trust, now, 180));
  assert_false(ProbeWitnessesOutage(d.dir.path(), trust, now, 59));    // too old for this max_age
  assert_false(ProbeWitnessesOutage(d.dir.path(), trust, now, 0));     // 0: probes never count
  assert_false(ProbeWitnessesOutage(d.dir.path(), trust, now - 61, 180));  // from the future
  assert_true(WriteProbeRecord(d.dir.path(), ProbeRecord{now - 60, true, ""}).ok());
  assert_false(ProbeWitnessesOutage(d.dir.path(), trust, now, 180));  // reachable
}

void test_untrusted_or_malformed_record_is_no_witness(void**) {
  Dir d;
  const FileTrust trust(getuid());
  const std::time_t now = 100000;
  // Writable by others: anyone could have written "unreachable".
  d.dir.Write("twilio-probe.json", R"({"version":1,"checked_at":99990,"reachable":false})", 0666);
  assert_false(ProbeWitnessesOutage(d.dir.path(), trust, now, 180));
  assert_true(ReadProbeRecord(d.dir.path(), trust).status().Is(Fault::kState));
  // Owned by someone else: the trusted owner is root in production.
  d.dir.Write("twilio-probe.json", R"({"version":1,"checked_at":99990,"reachable":false})", 0600);
  assert_true(ProbeWitnessesOutage(d.dir.path(), trust, now, 180));
  assert_false(ProbeWitnessesOutage(d.dir.path(), FileTrust(getuid() + 1), now, 180));
  for (const char* bad : {"", "{", "[]", R"({"version":2,"checked_at":99990,"reachable":false})",
                          R"({"version":1,"checked_at":"99990","reachable":false})",
                          R"({"version":1,"reachable":false})"}) {
    d.dir.Write("twilio-probe.json", bad, 0600);
    assert_false(ProbeWitnessesOutage(d.dir.path(), trust, now, 180));
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_record_round_trips),
      cmocka_unit_test(test_no_record_is_not_found_and_no_witness),
      cmocka_unit_test(test_witness_only_for_a_fresh_outage),
      cmocka_unit_test(test_untrusted_or_malformed_record_is_no_witness),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
