// base/cidr: CIDR parsing and matching (table-driven), and InAnyNetwork.
#include <string>
#include <vector>

#include "base/cidr.h"
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

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cidr_parse_table),
      cmocka_unit_test(test_cidr_contains_table),
      cmocka_unit_test(test_in_any_network),
  };
  return cmocka_run_group_tests_name("cidr", tests, nullptr, nullptr);
}
