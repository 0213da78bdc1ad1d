// Secret: a string that wipes itself. Auth tokens, codes, backup codes and
// request bodies that carry them live in a Secret so that their bytes are
// cleansed (OPENSSL_cleanse) when the owner goes away. Never log .str().
#ifndef PAM_TWILIO_OTP_SECRET_H_
#define PAM_TWILIO_OTP_SECRET_H_

#include <string>
#include <string_view>

namespace twotp {

class Secret {
 public:
  Secret();
  explicit Secret(std::string_view value);
  ~Secret();
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  // Appends without letting the buffer reallocate below 256 bytes, so short
  // secrets never leave stale copies behind in freed memory.
  void Append(std::string_view more);
  void Clear();  // wipes and empties
  const std::string& str() const { return value_; }
  std::string_view view() const { return value_; }
  const char* c_str() const { return value_.c_str(); }
  size_t size() const { return value_.size(); }
  bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

// Wipes a plain string in place (for buffers that came from elsewhere).
void Wipe(std::string& s);

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_SECRET_H_
