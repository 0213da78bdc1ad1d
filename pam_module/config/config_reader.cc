#include "config/config_reader.h"
#include "base/text.h"

#include <algorithm>
#include <utility>

namespace twotp {

namespace {

// Characters that continue a setting name, so digits after them are not a
// number ("code_ttl2"). '-' is left out so that "-12345678901" is a number.
bool IsNameChar(char c) { return IsAlnum(c) || c == '_' || c == '*'; }

// True when libconfig 1.5 would wrap the literal: it keeps only 32 bits and
// says nothing. No key takes a value near that size, so "too large" is
// right whatever the key.
bool IsTooLargeNumber(std::string_view token) {
  bool hex = token.size() > 1 && token[0] == '0' && (token[1] == 'x' || token[1] == 'X');
  if (hex) token.remove_prefix(2);
  size_t digits = 0;
  while (digits < token.size() && (hex ? IsAlnum(token[digits]) : IsDigit(token[digits]))) ++digits;
  std::string_view value = token.substr(0, digits);
  size_t first = value.find_first_not_of('0');
  size_t significant = first == std::string_view::npos ? 0 : value.size() - first;
  return significant > (hex ? 7u : 9u);
}

// A pass over the file text before libconfig sees it, skipping comments and
// strings the way libconfig's scanner does.
class SourceScan {
 public:
  SourceScan(const std::string& path, std::string_view text) : path_(path), text_(text) {}

  Status Run() {
    if (size_t nul = text_.find('\0'); nul != std::string_view::npos) {
      line_ += std::count(text_.begin(), text_.begin() + nul, '\n');
      return Fail("NUL byte in the file");
    }
    bool line_start = true;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        line_start = true;
      }
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++pos_;
        continue;
      }
      // libconfig acts on "@include" only at the start of a line.
      if (std::exchange(line_start, false) && Ahead("@include")) {
        return Fail("@include is not allowed; keep the configuration in this one file");
      }
      Status token = SkipToken();
      if (!token.ok()) return token;
    }
    return Status::Ok();
  }

 private:
  Status SkipToken() {
    char c = text_[pos_];
    if (c == '#' || Ahead("//")) {
      SkipUntil("\n", /*consume=*/false);
    } else if (Ahead("/*")) {
      pos_ += 2;
      SkipUntil("*/", /*consume=*/true);
    } else if (c == '"') {
      SkipString();
    } else if (IsDigit(c) && (pos_ == 0 || !IsNameChar(text_[pos_ - 1]))) {
      size_t end = pos_;
      while (end < text_.size() && IsAlnum(text_[end])) ++end;
      std::string_view number = text_.substr(pos_, end - pos_);
      if (IsTooLargeNumber(number)) {
        return Fail("number " + std::string(number) + " is too large for any key");
      }
      pos_ = end;
    } else {
      ++pos_;
    }
    return Status::Ok();
  }

  bool Ahead(std::string_view what) const { return text_.substr(pos_).starts_with(what); }

  void SkipUntil(std::string_view end, bool consume) {
    while (pos_ < text_.size() && !Ahead(end)) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
    if (consume) pos_ = std::min(text_.size(), pos_ + end.size());
  }

  // From the opening quote to just past the closing one (or the end).
  void SkipString() {
    for (++pos_; pos_ < text_.size() && text_[pos_] != '"'; ++pos_) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;  // an escaped character, maybe a quote
      if (text_[pos_] == '\n') ++line_;
    }
    pos_ = std::min(text_.size(), pos_ + 1);
  }

  Status Fail(const std::string& problem) const {
    return Status::ConfigError(path_ + ":" + std::to_string(line_) + ": " + problem);
  }

  const std::string& path_;
  std::string_view text_;
  size_t pos_ = 0;
  long line_ = 1;
};

// True when `key` matches `pattern` segment by segment; a "*" segment in the
// pattern stands for any one name (the per-service groups of policy.services).
bool KeyMatches(std::string_view pattern, std::string_view key) {
  while (true) {
    const size_t p_end = pattern.find('.');
    const size_t k_end = key.find('.');
    const std::string_view p_seg = pattern.substr(0, p_end);
    if (p_seg != "*" && p_seg != key.substr(0, k_end)) return false;
    if (p_end == std::string_view::npos || k_end == std::string_view::npos) {
      return p_end == std::string_view::npos && k_end == std::string_view::npos;
    }
    pattern.remove_prefix(p_end + 1);
    key.remove_prefix(k_end + 1);
  }
}

const KeySpec* FindSpec(std::span<const KeySpec> schema, std::string_view key) {
  auto it = std::find_if(schema.begin(), schema.end(),
                         [key](const KeySpec& spec) { return KeyMatches(spec.key, key); });
  return it == schema.end() ? nullptr : &*it;
}

bool IsInteger(const config_setting_t* s) {
  return config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64;
}

bool IsList(const config_setting_t* s) { return config_setting_is_array(s) || config_setting_is_list(s); }

// The problem with a string value of `kind`, or "" when it is fine.
std::string StringProblem(std::string_view value, Kind kind) {
  if (value.empty()) return "must not be empty; leave the key out to get the default";
  if (kind == Kind::kPath && value.front() != '/') {
    return "must be an absolute path (got " + Quoted(value) + ")";
  }
  if (kind == Kind::kHttpsUrl && (!value.starts_with("https://") || value.size() == 8)) {
    return "must be an https:// URL; TLS is never optional (got " + Quoted(value) + ")";
  }
  return "";
}

}  // namespace

std::string Quoted(std::string_view value) {
  constexpr size_t kMax = 60;
  std::string out = "\"";
  for (char c : value.substr(0, kMax)) out += static_cast<unsigned char>(c) < ' ' || c == 0x7f ? '?' : c;
  if (value.size() > kMax) out += "...";
  return out + "\"";
}

std::string MustBeOneOf(std::span<const char* const> names, std::string_view got) {
  std::string text = "must be ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " or " : ", ";
    text += std::string("\"") + names[i] + "\"";
  }
  return text + " (got " + Quoted(got) + ")";
}

void ConfigReader::ConfigFree::operator()(config_t* config) const {
  config_destroy(config);
  delete config;
}

Result<ConfigReader> ConfigReader::Parse(const std::string& path, const std::string& text) {
  Status scanned = SourceScan(path, text).Run();
  if (!scanned.ok()) return scanned;
  ConfigPtr config(new config_t);
  config_init(config.get());
  if (config_read_string(config.get(), text.c_str()) != CONFIG_TRUE) {
    std::string what = config_error_text(config.get()) ? config_error_text(config.get()) : "";
    std::string message = path + ":" + std::to_string(config_error_line(config.get())) + ": syntax error";
    if (!what.empty() && what != "syntax error") message += ": " + what;
    return Status::ConfigError(message);
  }
  return ConfigReader(path, std::move(config));
}

void ConfigReader::CheckSchema(std::span<const KeySpec> schema) {
  CheckSetting(config_root_setting(config_.get()), "", schema);
}

void ConfigReader::CheckSetting(const config_setting_t* group, const std::string& prefix,
                                std::span<const KeySpec> schema) {
  for (int i = 0; ok() && i < config_setting_length(group); ++i) {
    const config_setting_t* child = config_setting_get_elem(group, i);
    std::string key = prefix.empty() ? child->name : prefix + "." + child->name;
    const KeySpec* spec = FindSpec(schema, key);
    if (spec == nullptr) {
      FailAt(config_setting_source_line(child), key, "unknown key");
      return;
    }
    CheckValue(child, key, *spec);
    if (spec->kind == Kind::kGroup && ok()) CheckSetting(child, key, schema);
  }
}

void ConfigReader::CheckValue(const config_setting_t* s, const std::string& key, const KeySpec& spec) {
  unsigned line = config_setting_source_line(s);
  switch (spec.kind) {
    case Kind::kGroup:
      if (!config_setting_is_group(s)) FailAt(line, key, "expected a group: key = { ... };");
      return;
    case Kind::kString:
    case Kind::kPath:
    case Kind::kHttpsUrl: {
      if (config_setting_type(s) != CONFIG_TYPE_STRING) return FailAt(line, key, "expected a string");
      std::string problem = StringProblem(config_setting_get_string(s), spec.kind);
      if (!problem.empty()) FailAt(line, key, problem);
      return;
    }
    case Kind::kInt: {
      if (!IsInteger(s)) return FailAt(line, key, "expected an integer");
      long long value = config_setting_get_int64(s);
      if (value < spec.min || value > spec.max) {
        FailAt(line, key,
               "must be " + std::to_string(spec.min) + ".." + std::to_string(spec.max) + " (got " +
                   std::to_string(value) + ")");
      }
      return;
    }
    case Kind::kBool:
      if (config_setting_type(s) != CONFIG_TYPE_BOOL) FailAt(line, key, "expected true or false");
      return;
    case Kind::kStringList:
      if (!IsList(s)) return FailAt(line, key, "expected a list of strings: [\"a\", \"b\"]");
      for (int i = 0; ok() && i < config_setting_length(s); ++i) {
        const config_setting_t* element = config_setting_get_elem(s, i);
        std::string where = key + "[" + std::to_string(i) + "]";
        if (config_setting_type(element) != CONFIG_TYPE_STRING) {
          FailAt(config_setting_source_line(element), where, "expected a string");
        } else if (*config_setting_get_string(element) == '\0') {
          FailAt(config_setting_source_line(element), where, "must not be empty");
        }
      }
      return;
  }
}

const config_setting_t* ConfigReader::Find(std::string_view key) const {
  return config_lookup(config_.get(), std::string(key).c_str());
}

bool ConfigReader::Has(std::string_view key) const { return Find(key) != nullptr; }

std::vector<std::string> ConfigReader::MemberNames(std::string_view key) const {
  std::vector<std::string> names;
  const config_setting_t* group = Find(key);
  if (group == nullptr || !config_setting_is_group(group)) return names;
  for (int i = 0; i < config_setting_length(group); ++i) {
    names.emplace_back(config_setting_get_elem(group, i)->name);
  }
  return names;
}

bool ConfigReader::String(std::string_view key, std::string* out) const {
  const config_setting_t* s = Find(key);
  if (s == nullptr || config_setting_type(s) != CONFIG_TYPE_STRING) return false;
  *out = config_setting_get_string(s);
  return true;
}

void ConfigReader::Int(std::string_view key, int* out) const {
  const config_setting_t* s = Find(key);
  // CheckSchema has range-checked the value, so it fits an int.
  if (s != nullptr && IsInteger(s)) *out = static_cast<int>(config_setting_get_int64(s));
}

void ConfigReader::Bool(std::string_view key, bool* out) const {
  const config_setting_t* s = Find(key);
  if (s != nullptr && config_setting_type(s) == CONFIG_TYPE_BOOL) *out = config_setting_get_bool(s) != 0;
}

bool ConfigReader::StringList(std::string_view key, std::vector<std::string>* out) const {
  const config_setting_t* s = Find(key);
  if (s == nullptr || !IsList(s)) return false;
  out->clear();
  for (int i = 0; i < config_setting_length(s); ++i) {
    const char* value = config_setting_get_string(config_setting_get_elem(s, i));
    out->push_back(value ? value : "");
  }
  return true;
}

void ConfigReader::Fail(std::string_view key, std::string_view problem) {
  // A missing key has no line of its own: use its nearest enclosing group's.
  unsigned line = 0;
  for (std::string_view k = key;;) {
    if (const config_setting_t* s = Find(k)) {
      line = config_setting_source_line(s);
      break;
    }
    size_t dot = k.rfind('.');
    if (dot == std::string_view::npos) break;
    k = k.substr(0, dot);
  }
  FailAt(line, key, problem);
}

void ConfigReader::FailElement(std::string_view key, size_t index, std::string_view problem) {
  const config_setting_t* list = Find(key);
  const config_setting_t* element =
      list ? config_setting_get_elem(list, static_cast<unsigned>(index)) : nullptr;
  std::string where = std::string(key) + "[" + std::to_string(index) + "]";
  if (element == nullptr) return Fail(key, problem);
  FailAt(config_setting_source_line(element), where, problem);
}

void ConfigReader::FailAt(unsigned line, std::string_view where, std::string_view problem) {
  if (!ok()) return;
  std::string place = line > 0 ? path_ + ":" + std::to_string(line) : path_;
  status_ = Status::ConfigError(place + ": " + std::string(where) + ": " + std::string(problem));
}

}  // namespace twotp
