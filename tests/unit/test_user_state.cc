// state/user_state: the JSON form of the state files: a full round trip, and a
// strict parser that names the field of every malformed document instead of
// reading it "mostly" (a dropped field could be a dropped lockout).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "state/user_state.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;
using nlohmann::json;

namespace {

UserState FullState() {
  UserState s;
  s.sends = {1700000000, 1700000030, 1700000100};
  s.failures = {1700000200};
  s.locked_until = 1700000900;
  s.succeeded_at = 1700000950;
  s.grace = {{"alice|sshd|203.0.113.7", 1700000050}, {"alice|login|tty1", 1700000060}};
  s.backup_codes = {{"00112233445566778899aabbccddeeff", std::string(64, 'a')},
                    {"ffeeddccbbaa99887766554433221100", std::string(64, 'b')}};
  s.pending = {"VE0123456789abcdef0123456789abcdef", "", "", "sms", 1700000100,
               {ProcessId{31337, 4242424242}, ProcessId{31338, 4242424243}}};
  s.approved = {"VE00000000000000000000000000000001", std::string(64, 'c'), std::string(64, 'd'), 1700000400};
  return s;
}

void AssertSameState(const UserState& a, const UserState& b) {
  assert_true(a.sends == b.sends);
  assert_true(a.failures == b.failures);
  assert_int_equal(a.locked_until, b.locked_until);
  assert_int_equal(a.succeeded_at, b.succeeded_at);
  assert_true(a.grace == b.grace);
  assert_int_equal(a.backup_codes.size(), b.backup_codes.size());
  for (size_t i = 0; i < a.backup_codes.size(); ++i) {
    assert_string_equal(a.backup_codes[i].salt_hex.c_str(), b.backup_codes[i].salt_hex.c_str());
    assert_string_equal(a.backup_codes[i].hash_hex.c_str(), b.backup_codes[i].hash_hex.c_str());
  }
  assert_string_equal(a.pending.verification_sid.c_str(), b.pending.verification_sid.c_str());
  assert_string_equal(a.pending.mac_key_hex.c_str(), b.pending.mac_key_hex.c_str());
  assert_string_equal(a.pending.mac_hex.c_str(), b.pending.mac_hex.c_str());
  assert_string_equal(a.pending.channel.c_str(), b.pending.channel.c_str());
  assert_int_equal(a.pending.sent_at, b.pending.sent_at);
  assert_true(a.pending.holders == b.pending.holders);
  assert_string_equal(a.approved.code_id.c_str(), b.approved.code_id.c_str());
  assert_string_equal(a.approved.mac_key_hex.c_str(), b.approved.mac_key_hex.c_str());
  assert_string_equal(a.approved.mac_hex.c_str(), b.approved.mac_hex.c_str());
  assert_int_equal(a.approved.expires_at, b.approved.expires_at);
}

// The message must start with the field (or the problem, for non-JSON).
void AssertRefused(const Status& s, const std::string& text, const std::string& expected_prefix) {
  if (s.ok()) fail_msg("accepted: %s", text.c_str());
  assert_true(s.Is(Fault::kState));
  if (s.message().rfind(expected_prefix, 0) != 0) {
    fail_msg("for %s\n  expected a message starting \"%s\"\n  got \"%s\"", text.c_str(), expected_prefix.c_str(),
             s.message().c_str());
  }
}

// One edit of a valid document: set the value at `pointer`, or erase it when
// `value` is discarded.
struct Mutation {
  const char* pointer;
  json value;
  std::string expected_prefix;
};

const json kErase = json(json::value_t::discarded);

std::string Mutate(const std::string& valid, const Mutation& m) {
  json doc = json::parse(valid);
  const json::json_pointer ptr(m.pointer);
  if (m.value.is_discarded()) {
    doc.at(ptr.parent_pointer()).erase(ptr.back());
  } else {
    doc[ptr] = m.value;
  }
  return doc.dump();
}

}  // namespace

static void test_full_user_state_round_trips(void**) {
  const UserState state = FullState();
  const std::string text = SerializeUserState(state);
  Result<UserState> parsed = ParseUserState(text);
  if (!parsed.ok()) fail_msg("%s", parsed.status().message().c_str());
  AssertSameState(state, parsed.value());
  assert_string_equal(SerializeUserState(parsed.value()).c_str(), text.c_str());
  // Versioned and with integer times, as the format promises.
  const json doc = json::parse(text);
  assert_int_equal(doc.at("version").get<int>(), 1);
  assert_true(doc.at("sends").at(0).is_number_integer());
}

static void test_empty_user_state_round_trips(void**) {
  Result<UserState> parsed = ParseUserState(SerializeUserState(UserState{}));
  assert_true(parsed.ok());
  AssertSameState(UserState{}, parsed.value());
  assert_true(parsed->pending.empty());
}

static void test_global_state_round_trips(void**) {
  GlobalState state;
  state.sends = {1, 1700000000, 1700003599};
  Result<GlobalState> parsed = ParseGlobalState(SerializeGlobalState(state));
  assert_true(parsed.ok());
  assert_true(parsed->sends == state.sends);
}

// A grace key from a name in another encoding must not make the writer
// throw; after the round trip it may no longer match, which asks for a code.
static void test_invalid_utf8_key_is_written_without_throwing(void**) {
  UserState state;
  state.grace["bob|sshd|\xff\xfe"] = 5;
  const std::string text = SerializeUserState(state);
  Result<UserState> parsed = ParseUserState(text);
  assert_true(parsed.ok());
  assert_int_equal(parsed->grace.size(), 1);
  assert_int_equal(parsed->grace.begin()->second, 5);
}

// Files written before every holder was kept: one "owner", or none (a
// login then takes such a code for one left behind); no approval either.
static void test_older_pending_codes_read_with_their_one_owner_or_none(void**) {
  json doc = json::parse(SerializeUserState(FullState()));
  doc["pending"].erase("holders");
  doc.erase("approved");
  Result<UserState> parsed = ParseUserState(doc.dump());
  if (!parsed.ok()) fail_msg("%s", parsed.status().message().c_str());
  assert_string_equal(parsed->pending.verification_sid.c_str(), "VE0123456789abcdef0123456789abcdef");
  assert_true(parsed->pending.holders.empty());
  assert_true(parsed->approved.empty());
  doc["pending"]["owner"] = {{"pid", 31337}, {"start_time", 99}};
  parsed = ParseUserState(doc.dump());
  if (!parsed.ok()) fail_msg("%s", parsed.status().message().c_str());
  assert_true(parsed->pending.holders == (std::vector<ProcessId>{ProcessId{31337, 99}}));
  // Written back, the holders are there from then on.
  assert_true(json::parse(SerializeUserState(parsed.value()))["pending"].contains("holders"));
}

// A file written before successes were kept still reads, with none known
// (the resend cooldown then runs from the last send, as it did).
static void test_state_without_succeeded_at_reads_as_no_success(void**) {
  UserState state;
  state.succeeded_at = 1700000123;
  json doc = json::parse(SerializeUserState(state));
  assert_int_equal(doc["succeeded_at"].get<long long>(), 1700000123);
  doc.erase("succeeded_at");
  Result<UserState> parsed = ParseUserState(doc.dump());
  assert_true(parsed.ok());
  assert_int_equal(parsed->succeeded_at, 0);
}

static void test_text_that_is_not_a_state_object_is_refused(void**) {
  const struct {
    const char* text;
    const char* expected_prefix;
  } cases[] = {
      {"", "not valid JSON"},
      {"{\"version\":1,\"sends\":[17", "not valid JSON"},  // truncated mid-write
      {"{\"version\":1} trailing", "not valid JSON"},
      {"{\"version\":1,\"sends\":[],\"failures\":[],\"locked_until\":0,\"grace\":{\"\xff\":1}}", "not valid JSON"},
      {"[]", "(top level): must be an object"},
      {"null", "(top level): must be an object"},
      {"17", "(top level): must be an object"},
      {"{}", "version: missing"},
  };
  for (const auto& c : cases) {
    AssertRefused(ParseUserState(c.text).status(), c.text, c.expected_prefix);
    AssertRefused(ParseGlobalState(c.text).status(), c.text, c.expected_prefix);
  }
}

static void test_every_malformed_user_field_is_named(void**) {
  const std::string valid = SerializeUserState(FullState());
  const char* kTime = "must be a non-negative integer (epoch seconds)";
  const std::vector<Mutation> cases = {
      {"/version", kErase, "version: missing"},
      {"/version", "1", "version: must be a non-negative integer"},
      {"/version", 2, "version: unsupported value 2 (this build reads 1)"},
      {"/version", 0, "version: unsupported value 0"},
      {"/sends", kErase, "sends: missing"},
      {"/sends", json::object(), "sends: must be an array"},
      {"/sends/1", "1700000030", std::string("sends[1]: ") + kTime},
      {"/sends/0", -5, "sends[0]: must be a non-negative integer"},
      {"/sends/0", 1.5, "sends[0]: must be a non-negative integer"},
      {"/sends/0", json(18446744073709551615ULL), "sends[0]: must be a non-negative integer"},
      {"/sends/2", nullptr, "sends[2]: must be a non-negative integer"},
      {"/failures", kErase, "failures: missing"},
      {"/failures/0", true, "failures[0]: must be a non-negative integer"},
      {"/locked_until", kErase, "locked_until: missing"},
      {"/locked_until", "soon", "locked_until: must be a non-negative integer"},
      {"/succeeded_at", "soon", "succeeded_at: must be a non-negative integer (epoch seconds)"},
      {"/grace", kErase, "grace: missing"},
      {"/grace", json::array(), "grace: must be an object"},
      {"/grace/alice|login|tty1", "x", "grace[\"alice|login|tty1\"]: must be a non-negative integer"},
      {"/backup_codes", kErase, "backup_codes: missing"},
      {"/backup_codes", "none", "backup_codes: must be an array"},
      {"/backup_codes/1", "abc", "backup_codes[1]: must be an object"},
      {"/backup_codes/0/hash_hex", kErase, "backup_codes[0].hash_hex: missing"},
      {"/backup_codes/1/salt_hex", 7, "backup_codes[1].salt_hex: must be a string"},
      {"/backup_codes/0/code", "123456", "backup_codes[0].code: unknown field"},
      {"/pending", kErase, "pending: missing"},
      {"/pending", json::array(), "pending: must be an object"},
      {"/pending/verification_sid", kErase, "pending.verification_sid: missing"},
      {"/pending/mac_key_hex", nullptr, "pending.mac_key_hex: must be a string"},
      {"/pending/mac_hex", 1, "pending.mac_hex: must be a string"},
      {"/pending/channel", json::array(), "pending.channel: must be a string"},
      {"/pending/sent_at", kErase, "pending.sent_at: missing"},
      {"/pending/sent_at", "now", "pending.sent_at: must be a non-negative integer"},
      {"/pending/code", "123456", "pending.code: unknown field"},
      {"/pending/holders", 31337, "pending.holders: must be an array"},
      {"/pending/holders/1", 31337, "pending.holders[1]: must be an object"},
      {"/pending/holders/0/pid", kErase, "pending.holders[0].pid: missing"},
      {"/pending/holders/0/pid", -1, "pending.holders[0].pid: must be a non-negative integer"},
      {"/pending/holders/0/pid", 4294967296LL, "pending.holders[0].pid: must be a non-negative integer"},
      {"/pending/holders/1/pid", "31337", "pending.holders[1].pid: must be a non-negative integer"},
      {"/pending/holders/0/start_time", kErase, "pending.holders[0].start_time: missing"},
      {"/pending/holders/0/start_time", 1.5, "pending.holders[0].start_time: must be a non-negative integer"},
      {"/pending/holders/0/tty", 1, "pending.holders[0].tty: unknown field"},
      {"/approved", 5, "approved: must be an object"},
      {"/approved/code_id", kErase, "approved.code_id: missing"},
      {"/approved/mac_hex", 1, "approved.mac_hex: must be a string"},
      {"/approved/expires_at", "later", "approved.expires_at: must be a non-negative integer"},
      {"/approved/code", "123456", "approved.code: unknown field"},
      {"/lockout", 5, "lockout: unknown field"},
  };
  for (const Mutation& m : cases) {
    const std::string text = Mutate(valid, m);
    AssertRefused(ParseUserState(text).status(), text, m.expected_prefix);
  }
}

static void test_every_malformed_global_field_is_named(void**) {
  GlobalState state;
  state.sends = {1700000000};
  const std::string valid = SerializeGlobalState(state);
  const std::vector<Mutation> cases = {
      {"/version", kErase, "version: missing"},
      {"/version", 3, "version: unsupported value 3"},
      {"/sends", kErase, "sends: missing"},
      {"/sends", 4, "sends: must be an array"},
      {"/sends/0", "1700000000", "sends[0]: must be a non-negative integer"},
      {"/users", json::object(), "users: unknown field"},
  };
  for (const Mutation& m : cases) {
    const std::string text = Mutate(valid, m);
    AssertRefused(ParseGlobalState(text).status(), text, m.expected_prefix);
  }
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_user_state_round_trips),
      cmocka_unit_test(test_empty_user_state_round_trips),
      cmocka_unit_test(test_global_state_round_trips),
      cmocka_unit_test(test_invalid_utf8_key_is_written_without_throwing),
      cmocka_unit_test(test_older_pending_codes_read_with_their_one_owner_or_none),
      cmocka_unit_test(test_state_without_succeeded_at_reads_as_no_success),
      cmocka_unit_test(test_text_that_is_not_a_state_object_is_refused),
      cmocka_unit_test(test_every_malformed_user_field_is_named),
      cmocka_unit_test(test_every_malformed_global_field_is_named),
  };
  return cmocka_run_group_tests_name("user_state", tests, nullptr, nullptr);
}
