// Cidr: an IPv4 or IPv6 network in CIDR form, matched against literal
// addresses only (nothing is ever resolved). Used for
// policy.trusted_networks.
#ifndef PAM_TWILIO_OTP_BASE_CIDR_H_
#define PAM_TWILIO_OTP_BASE_CIDR_H_

#include <string_view>
#include <vector>

#include "base/status.h"

namespace twotp {

// An IPv4 or IPv6 network ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7").
class Cidr {
 public:
  // A bare address is a /32 or /128; "::ffff:a.b.c.d/n" (n >= 96) is the
  // IPv4 network a.b.c.d/(n-96). Bits set beyond the prefix ("10.1.2.3/8")
  // are refused, the message naming the network meant. kBadInput naming the
  // problem.
  static Result<Cidr> Parse(std::string_view text);
  // True when `address` (a literal IP; a host name never matches, nothing is
  // resolved) is inside. IPv4-mapped IPv6 addresses match IPv4 networks; an
  // IPv6 zone ("fe80::1%eth0") is ignored.
  bool Contains(std::string_view address) const;

 private:
  int family_ = 0;
  unsigned char bytes_[16] = {};
  int prefix_ = 0;
};

// True when `address` is inside any of `networks`.
bool InAnyNetwork(std::string_view address, const std::vector<Cidr>& networks);

// True when `text` is a literal IPv4 or IPv6 address (no zone, no prefix).
bool IsIpAddress(const std::string& text);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_BASE_CIDR_H_
