#include "config/config_reader.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "base/text.h"
#include "config/config_hints.h"
#include "config/config_lexer.h"

namespace twotp {

namespace {

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

// The checks made on the file text before libconfig sees it, on the tokens
// libconfig's scanner would see (comments and strings skipped).
Status ScanSource(const std::string& path, std::string_view text) {
  auto fail = [&path](long line, const std::string& problem) {
    return Status::ConfigError(path + ":" + std::to_string(line) + ": " + problem);
  };
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return fail(1 + std::count(text.begin(), text.begin() + nul, '\n'), "NUL byte in the file");
  }
  ConfigLexer lexer(text);
  while (std::optional<ConfigToken> token = lexer.Next()) {
    // libconfig acts on "@include" only at the start of a line.
    if (token->at_line_start && text.substr(token->offset).starts_with("@include")) {
      return fail(token->line, "@include is not allowed; keep the configuration in this one file");
    }
    if (token->kind == ConfigToken::Kind::kNumber && IsTooLargeNumber(token->text)) {
      return fail(token->line, "number " + std::string(token->text) + " is too large for any key");
    }
  }
  return Status::Ok();
}

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
  Status scanned = ScanSource(path, text);
  if (!scanned.ok()) return scanned;
  ConfigPtr config(new config_t);
  config_init(config.get());
  if (config_read_string(config.get(), text.c_str()) != CONFIG_TRUE) {
    // libconfig says only "syntax error" or "duplicate setting name": name
    // the setting from the line it points at.
    const char* what = config_error_text(config.get());
    const int line = config_error_line(config.get());
    return Status::ConfigError(path + ":" + std::to_string(line) + ": " +
                               DescribeParseError(text, line, what != nullptr ? what : ""));
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
      const std::string nearest = NearestKey(key, schema);
      FailAt(config_setting_source_line(child), key,
             nearest.empty() ? "unknown key" : "unknown key; did you mean \"" + nearest + "\"?");
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
