// ConfigReader: one parsed libconfig file and the strict, typed access that
// LoadConfig builds on. Internal to config*.cc; everyone else uses config.h.
//
// Errors name the place as "PATH:LINE: key: problem". The reader keeps the
// first error and ignores later ones, so a group can be read as a flat list
// of steps and checked once at the end (status()).
#ifndef PAM_TWILIO_OTP_CONFIG_READER_H_
#define PAM_TWILIO_OTP_CONFIG_READER_H_

#include <libconfig.h>

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace twotp {

// What a key holds. kPath and kHttpsUrl are strings with a format.
enum class Kind { kGroup, kString, kPath, kHttpsUrl, kInt, kBool, kStringList };

// One key of the schema: its full dotted name, its kind and, for kInt, the
// inclusive range.
struct KeySpec {
  std::string_view key;
  Kind kind;
  int min = 0;
  int max = 0;
};

// A named value of an enum-like string key ("verify" -> Mode::kVerify).
template <typename T>
struct Choice {
  const char* name;
  T value;
};

// "must be \"a\", \"b\" or \"c\" (got \"x\")"
std::string MustBeOneOf(std::span<const char* const> names, std::string_view got);

// A value as it may appear in an error line: quoted, control characters
// replaced, cut to a readable length (messages must stay one syslog line).
std::string Quoted(std::string_view value);

class ConfigReader {
 public:
  // Parses `text`, read from `path` through a trusted descriptor. Refuses
  // @include (it would read files that never passed FileTrust) and integer
  // literals libconfig 1.5 would silently wrap. Errors are kConfig.
  static Result<ConfigReader> Parse(const std::string& path, const std::string& text);

  // Walks every setting: each must be in `schema` with the right kind, a
  // set string must not be empty, paths absolute, URLs https://, integers
  // in range. Records the first problem, in file order.
  void CheckSchema(std::span<const KeySpec> schema);

  bool Has(std::string_view key) const;

  // The getters leave *out alone when the key is absent, and rely on
  // CheckSchema for the kind. The bool tells whether the key was present.
  bool String(std::string_view key, std::string* out) const;
  void Int(std::string_view key, int* out) const;
  void Bool(std::string_view key, bool* out) const;
  bool StringList(std::string_view key, std::vector<std::string>* out) const;
  // The names of the settings inside group `key` (none when absent).
  std::vector<std::string> MemberNames(std::string_view key) const;

  // A string key that must name one of `choices`.
  template <typename T, typename Out, size_t N>
  void Enum(std::string_view key, const Choice<T> (&choices)[N], Out* out) {
    std::string text;
    if (!String(key, &text)) return;
    std::array<const char*, N> names;
    for (size_t i = 0; i < N; ++i) {
      if (text == choices[i].name) {
        *out = choices[i].value;
        return;
      }
      names[i] = choices[i].name;
    }
    Fail(key, MustBeOneOf(names, text));
  }

  // Records "PATH:LINE: key: problem" unless an error is already recorded.
  // A missing key takes the line of its nearest enclosing group, if any.
  void Fail(std::string_view key, std::string_view problem);
  // The same for element `index` of a list: "PATH:LINE: key[index]: problem".
  void FailElement(std::string_view key, size_t index, std::string_view problem);

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

 private:
  struct ConfigFree {
    void operator()(config_t* config) const;
  };
  using ConfigPtr = std::unique_ptr<config_t, ConfigFree>;

  ConfigReader(std::string path, ConfigPtr config) : path_(std::move(path)), config_(std::move(config)) {}
  const config_setting_t* Find(std::string_view key) const;
  void FailAt(unsigned line, std::string_view where, std::string_view problem);
  void CheckSetting(const config_setting_t* setting, const std::string& key, std::span<const KeySpec> schema);
  void CheckValue(const config_setting_t* setting, const std::string& key, const KeySpec& spec);

  std::string path_;
  ConfigPtr config_;
  Status status_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_CONFIG_READER_H_
