#include "base/secret.h"

#include <string.h>  // explicit_bzero

#include <utility>

namespace twotp {

namespace {
constexpr size_t kReserve = 256;
}

void Wipe(std::string& s) {
  // glibc's explicit_bzero, which the compiler may not drop, rather than
  // OPENSSL_cleanse: the module's front, which reads the config and its
  // secret files, links no OpenSSL (pam/engine.h).
  if (!s.empty()) explicit_bzero(s.data(), s.size());
  s.clear();
}

Secret::Secret() { value_.reserve(kReserve); }

Secret::Secret(std::string_view value) {
  value_.reserve(value.size() > kReserve ? value.size() : kReserve);
  value_.assign(value);
}

Secret::~Secret() { Wipe(value_); }

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.value_.clear(); }

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    Wipe(value_);
    value_ = std::move(other.value_);
    other.value_.clear();
  }
  return *this;
}

void Secret::Append(std::string_view more) {
  if (value_.size() + more.size() > value_.capacity()) {
    // Grow by hand so the old buffer is wiped before it is freed.
    std::string bigger;
    bigger.reserve(2 * (value_.size() + more.size()));
    bigger.assign(value_);
    Wipe(value_);
    value_ = std::move(bigger);
  }
  value_.append(more);
}

void Secret::Clear() { Wipe(value_); }

}  // namespace twotp
