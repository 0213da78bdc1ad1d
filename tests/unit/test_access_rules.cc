// The skip rules' building blocks: CIDR parsing and matching (table-driven),
// group lookup through NSS, grace keys and the grace window's edges.
#include <optional>
#include <string>
#include <vector>

#include "base/cidr.h"
#include "base/unix_groups.h"
#include "login/grace.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

namespace {

struct ParseCase {
  const char* network;
  const char* problem;  // nullptr: parses; else a word the kBadInput message holds
};

const ParseCase kParseCases[] = {
    {"10.0.0.0/8", nullptr},
    {"192.0.2.7", nullptr},  // bare address: /32
    {"0.0.0.0/0", nullptr},
    {"192.0.2.7/32", nullptr},
    {"2001:db8::/32", nullptr},
    {"::1", nullptr},  // bare address: /128
    {"::/0", nullptr},
    {"2001:db8::1/128", nullptr},
    {"::ffff:10.0.0.0/104", nullptr},  // mapped: the IPv4 network 10.0.0.0/8
    {"10.0.0.0/33", "0..32"},
    {"2001:db8::/129", "0..128"},
    {"10.0.0.0/", "prefix"},
    {"10.0.0.0/-1", "prefix"},
    {"10.0.0.0/+8", "prefix"},
    {"10.0.0.0/08", "prefix"},
    {"10.0.0.0/8 ", "prefix"},
    {"10.0.0.0/a", "prefix"},
    {"10.0.0.0/8/8", "prefix"},
    {"10.1.2.3/8", "10.0.0.0/8"},  // host bits: refused, naming the network meant
    {"2001:db8::1/32", "2001:db8::/32"},
    {"::ffff:10.0.0.0/95", "96"},
    {"fe80::/10%eth0", "zone"},
    {"fe80::1%eth0", "zone"},
    {"example.com/24", "host names"},
    {"localhost", "host names"},
    {"", "not an IPv4"},
    {"10.0.0", "not an IPv4"},
    {"010.0.0.0/8", "not an IPv4"},
    {"256.0.0.0/8", "not an IPv4"},
    {" 10.0.0.0/8", "not an IPv4"},
};

void test_cidr_parse_table(void**) {
  for (const ParseCase& c : kParseCases) {
    Result<Cidr> parsed = Cidr::Parse(c.network);
    if (c.problem == nullptr) {
      if (!parsed.ok()) fail_msg("%s: %s", c.network, parsed.status().message().c_str());
      continue;
    }
    if (parsed.ok()) fail_msg("%s parsed", c.network);
    assert_true(parsed.status().Is(Fault::kBadInput));
    if (parsed.status().message().find(c.problem) == std::string::npos) {
      fail_msg("%s: \"%s\" lacks \"%s\"", c.network, parsed.status().message().c_str(), c.problem);
    }
  }
}

struct MatchCase {
  const char* network;
  const char* address;
  bool inside;
};

const MatchCase kMatchCases[] = {
    {"10.0.0.0/8", "10.1.2.3", true},
    {"10.0.0.0/8", "10.255.255.255", true},
    {"10.0.0.0/8", "11.0.0.0", false},
    {"10.0.0.0/8", "9.255.255.255", false},
    {"192.0.2.0/25", "192.0.2.127", true},  // a prefix that ends inside a byte
    {"192.0.2.0/25", "192.0.2.128", false},
    {"192.0.2.7", "192.0.2.7", true},
    {"192.0.2.7", "192.0.2.8", false},
    {"0.0.0.0/0", "203.0.113.9", true},
    {"0.0.0.0/0", "2001:db8::1", false},  // /0 of one family is not the other family
    {"::/0", "2001:db8::1", true},
    {"::/0", "203.0.113.9", false},
    {"2001:db8::/32", "2001:db8:ffff::1", true},
    {"2001:db8::/32", "2001:db9::1", false},
    {"2001:db8::/33", "2001:db8:8000::1", false},
    {"2001:db8::/33", "2001:db8:7fff::1", true},
    {"::1", "::1", true},
    {"::1", "::2", false},
    // IPv4-mapped IPv6 (a dual-stack sshd) matches IPv4 networks, both ways.
    {"10.0.0.0/8", "::ffff:10.1.2.3", true},
    {"10.0.0.0/8", "::FFFF:10.1.2.3", true},
    {"10.0.0.0/8", "::ffff:11.1.2.3", false},
    {"::ffff:10.0.0.0/104", "10.9.9.9", true},
    {"::ffff:10.0.0.0/104", "::ffff:10.9.9.9", true},
    {"10.0.0.0/8", "::10.1.2.3", false},  // IPv4-compatible (deprecated) is not mapped
    // The zone names our interface; the address is what counts.
    {"fe80::/10", "fe80::1%eth0", true},
    {"fe80::/10", "fe80::1%", true},
    {"fe80::/10", "fd00::1%eth0", false},
    {"10.0.0.0/8", "10.1.2.3%eth0", false},  // no zones on IPv4
    // Only literal addresses: host names, prefixes and junk never match.
    {"0.0.0.0/0", "localhost", false},
    {"0.0.0.0/0", "10.1.2.3.nip.io", false},
    {"::/0", "ip6-localhost", false},
    {"0.0.0.0/0", "", false},
    {"0.0.0.0/0", "10.1.2.3/8", false},
    {"0.0.0.0/0", " 10.1.2.3", false},
    {"0.0.0.0/0", "[::1]", false},
};

void test_cidr_contains_table(void**) {
  for (const MatchCase& c : kMatchCases) {
    Result<Cidr> network = Cidr::Parse(c.network);
    if (!network.ok()) fail_msg("%s: %s", c.network, network.status().message().c_str());
    if (network->Contains(c.address) != c.inside) {
      fail_msg("%s contains %s: wanted %s", c.network, c.address, c.inside ? "true" : "false");
    }
  }
}

void test_in_any_network(void**) {
  std::vector<Cidr> networks = {Cidr::Parse("10.0.0.0/8").value(), Cidr::Parse("2001:db8::/32").value()};
  assert_true(InAnyNetwork("10.2.3.4", networks));
  assert_true(InAnyNetwork("2001:db8::5", networks));
  assert_false(InAnyNetwork("192.0.2.1", networks));
  assert_false(InAnyNetwork("10.2.3.4", {}));
}

bool Holds(const std::vector<std::string>& names, const std::string& name) {
  for (const std::string& n : names) {
    if (n == name) return true;
  }
  return false;
}

void test_groups_of_root_holds_root(void**) {
  Result<std::vector<std::string>> groups = GroupsOf("root");
  assert_true(groups.ok());
  assert_true(Holds(groups.value(), "root"));
}

void test_groups_of_unknown_user_is_a_directory_fault(void**) {
  Result<std::vector<std::string>> groups = GroupsOf("no-such-user-twotp-test");
  assert_true(groups.status().Is(Fault::kDirectory));
  assert_true(GroupsOf("").status().Is(Fault::kDirectory));
}

void test_any_group_in(void**) {
  assert_true(AnyGroupIn({"users", "wheel"}, {"sudo", "wheel"}));
  assert_false(AnyGroupIn({"users", "audio"}, {"sudo", "wheel"}));
  assert_false(AnyGroupIn({}, {"sudo"}));
  assert_false(AnyGroupIn({"sudo"}, {}));
  assert_false(AnyGroupIn({"Wheel"}, {"wheel"}));  // names are exact
}

// pts/0 (136:0) in the session led by pid 2210, which started at tick 81234.
const SessionIdentity kPts0{34816, 2210, 81234};

void test_grace_key_separates_ssh_from_sudo(void**) {
  const std::optional<std::string> ssh = GraceKey("sshd", "192.0.2.7", kPts0);
  const std::optional<std::string> sudo = GraceKey("sudo", "", kPts0);
  assert_string_equal(ssh->c_str(), "sshd|rhost:192.0.2.7");  // a remote login: the session plays no part
  assert_string_equal(sudo->c_str(), "sudo|session:tty=34816,sid=2210,leader=81234");
  assert_true(ssh == GraceKey("sshd", "192.0.2.7", std::nullopt));
  assert_true(ssh != GraceKey("sshd", "192.0.2.8", kPts0));
  assert_true(ssh != GraceKey("sudo", "192.0.2.7", kPts0));  // sudo over ssh: still another service
}

// The terminal's device, the session and its leader's start time each make
// another key: a new session that got the same /dev/pts/N is another login.
void test_grace_key_binds_the_terminal_session_not_its_name(void**) {
  const std::optional<std::string> key = GraceKey("sudo", "", kPts0);
  assert_true(key != GraceKey("sudo", "", SessionIdentity{34817, 2210, 81234}));
  assert_true(key != GraceKey("sudo", "", SessionIdentity{34816, 2211, 81234}));
  assert_true(key != GraceKey("sudo", "", SessionIdentity{34816, 2210, 81235}));  // the sid reused
  assert_false(GraceKey("sudo", "", std::nullopt).has_value());  // no terminal, no rhost: no grace
}

void test_in_grace_boundaries(void**) {
  UserState state;
  const std::string key = *GraceKey("sshd", "192.0.2.7", std::nullopt);
  const std::time_t at = 1'800'000'000;
  state.grace[key] = at;
  assert_true(InGrace(state, key, 600, at));            // just now
  assert_true(InGrace(state, key, 600, at + 599));      // less than 600 s ago
  assert_false(InGrace(state, key, 600, at + 600));     // exactly 600 s: over
  assert_false(InGrace(state, key, 600, at + 100000));
  assert_false(InGrace(state, key, 600, at - 1));       // stamped in the future: clock set back
  assert_false(InGrace(state, key, 0, at));             // grace off
  assert_false(InGrace(state, key, -5, at));
  assert_false(InGrace(state, *GraceKey("sudo", "", kPts0), 600, at));  // another key
  assert_false(InGrace(UserState{}, key, 600, at));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cidr_parse_table),
      cmocka_unit_test(test_cidr_contains_table),
      cmocka_unit_test(test_in_any_network),
      cmocka_unit_test(test_groups_of_root_holds_root),
      cmocka_unit_test(test_groups_of_unknown_user_is_a_directory_fault),
      cmocka_unit_test(test_any_group_in),
      cmocka_unit_test(test_grace_key_separates_ssh_from_sudo),
      cmocka_unit_test(test_grace_key_binds_the_terminal_session_not_its_name),
      cmocka_unit_test(test_in_grace_boundaries),
  };
  return cmocka_run_group_tests_name("access_rules", tests, nullptr, nullptr);
}
