#include "base/cidr.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "base/text.h"

namespace twotp {

namespace {

// The prefix of an IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 2.5.5.2).
constexpr unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

struct Address {
  int family = 0;
  unsigned char bytes[16] = {};
};

// A literal IPv4 or IPv6 address (no zone, no prefix); nullopt for anything
// else, host names included: nothing is ever resolved, since a DNS answer
// is whatever the remote side's DNS says. A mapped IPv6 address becomes the
// IPv4 address it carries, so one IPv4 network covers both spellings.
std::optional<Address> ParseAddress(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  const std::string copy(text);  // inet_pton wants a terminated string
  Address a;
  if (inet_pton(AF_INET, copy.c_str(), a.bytes) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (inet_pton(AF_INET6, copy.c_str(), a.bytes) != 1) return std::nullopt;
  a.family = AF_INET6;
  if (std::memcmp(a.bytes, kMappedPrefix, sizeof(kMappedPrefix)) == 0) {
    std::memmove(a.bytes, a.bytes + 12, 4);
    std::memset(a.bytes + 4, 0, 12);
    a.family = AF_INET;
  }
  return a;
}

// True when the first `prefix` bits of a and b are equal.
bool SamePrefix(const unsigned char* a, const unsigned char* b, int prefix) {
  const int whole = prefix / 8;
  if (std::memcmp(a, b, whole) != 0) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const unsigned mask = (0xffu << (8 - rest)) & 0xffu;
  return ((a[whole] ^ b[whole]) & mask) == 0;
}

// "0".."128" with no sign, no spaces and no leading zero; nullopt otherwise.
std::optional<int> ParsePrefix(std::string_view text) {
  if (text.empty() || text.size() > 3 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

// A network given with bits set beyond its prefix ("10.1.2.3/8") is refused
// rather than silently widened or narrowed: it is usually a typo for another
// network, and the message names the network it would have been.
Result<Cidr> Cidr::Parse(std::string_view text) {
  // Bounded and printable: check-config prints it on a terminal (the logger escapes its own lines).
  const std::string quoted = "\"" + SanitizeForMessage(text, 60) + "\"";
  const size_t slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  if (text.find('%') != std::string_view::npos) {
    return Status::BadInput(quoted + ": a network can't carry an interface zone (%...)");
  }
  std::optional<Address> address = ParseAddress(address_text);
  if (!address) return Status::BadInput(quoted + ": not an IPv4 or IPv6 address (host names are not allowed)");
  // A mapped network (::ffff:10.0.0.0/104) was turned into its IPv4 form.
  const bool mapped = address->family == AF_INET && address_text.find(':') != std::string_view::npos;
  const int max_prefix = (address->family == AF_INET && !mapped) ? 32 : 128;
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    std::optional<int> parsed = ParsePrefix(text.substr(slash + 1));
    if (!parsed || *parsed > max_prefix) {
      return Status::BadInput(quoted + ": the prefix length must be a number 0.." + std::to_string(max_prefix));
    }
    prefix = *parsed;
  }
  if (mapped) {
    if (prefix < 96) return Status::BadInput(quoted + ": an IPv4-mapped network needs a prefix of 96 or more");
    prefix -= 96;
  }
  Cidr cidr;
  cidr.family_ = address->family;
  cidr.prefix_ = prefix;
  std::memcpy(cidr.bytes_, address->bytes, sizeof(cidr.bytes_));
  const size_t length = cidr.family_ == AF_INET ? 4 : 16;
  unsigned char host_mask[16] = {};
  for (size_t bit = static_cast<size_t>(prefix); bit < 8 * length; ++bit) {
    host_mask[bit / 8] |= static_cast<unsigned char>(0x80u >> (bit % 8));
  }
  bool host_bits = false;
  for (size_t i = 0; i < length; ++i) {
    host_bits = host_bits || (cidr.bytes_[i] & host_mask[i]) != 0;
    cidr.bytes_[i] &= static_cast<unsigned char>(~host_mask[i]);
  }
  if (host_bits) {
    char network[INET6_ADDRSTRLEN] = {};
    inet_ntop(cidr.family_, cidr.bytes_, network, sizeof(network));
    return Status::BadInput(quoted + ": host bits are set beyond the prefix; the network is " + network + "/" +
                            std::to_string(prefix));
  }
  return cidr;
}

bool Cidr::Contains(std::string_view address) const {
  // sshd passes link-local peers as "fe80::1%eth0"; the zone names our
  // interface, not part of the address.
  const size_t zone = address.find('%');
  if (zone != std::string_view::npos && address.find(':') != std::string_view::npos) address = address.substr(0, zone);
  std::optional<Address> parsed = ParseAddress(address);
  return parsed && parsed->family == family_ && SamePrefix(parsed->bytes, bytes_, prefix_);
}

bool InAnyNetwork(std::string_view address, const std::vector<Cidr>& networks) {
  return std::any_of(networks.begin(), networks.end(), [&](const Cidr& n) { return n.Contains(address); });
}

bool IsIpAddress(const std::string& text) {
  unsigned char address[16];
  return inet_pton(AF_INET, text.c_str(), address) == 1 || inet_pton(AF_INET6, text.c_str(), address) == 1;
}

}  // namespace twotp
