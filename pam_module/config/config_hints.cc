#include "config/config_hints.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "base/text.h"
#include "config/config_lexer.h"

namespace twotp {

namespace {

// No key is near this long; the bound keeps a hint cheap on a planted file.
constexpr size_t kMaxHintedKey = 200;

std::vector<std::string_view> Segments(std::string_view key) {
  std::vector<std::string_view> segments;
  for (size_t dot; (dot = key.find('.')) != std::string_view::npos; key.remove_prefix(dot + 1)) {
    segments.push_back(key.substr(0, dot));
  }
  segments.push_back(key);
  return segments;
}

// Optimal string alignment distance: a swap of two neighbours ("lenght")
// counts as one edit, the commonest typo.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> before(b.size() + 1), last(b.size() + 1), row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) last[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({last[j] + 1, row[j - 1] + 1, last[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) row[j] = std::min(row[j], before[j - 2] + 1);
    }
    before.swap(last);
    last.swap(row);
  }
  return last[b.size()];
}

// `pattern` with each "*" segment replaced by the key's segment there;
// nullopt when the key has no segment there.
std::optional<std::string> Instantiate(std::string_view pattern, const std::vector<std::string_view>& key) {
  std::string out;
  const std::vector<std::string_view> segments = Segments(pattern);
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i] == "*" && i >= key.size()) return std::nullopt;
    out += (i == 0 ? "" : ".") + std::string(segments[i] == "*" ? key[i] : segments[i]);
  }
  return out;
}

// How many segments `a` and `b` share at their ends.
size_t SharedTail(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[a.size() - 1 - n] == b[b.size() - 1 - n]) ++n;
  return n;
}

struct Duplicate {
  std::string_view name;
  long first_line;
};

// The setting named on `line` whose group already holds its name, found as
// libconfig finds it: the first name set twice in one group, in file order,
// reported on the line of its second name. nullopt when the text shows no
// such setting there.
std::optional<Duplicate> FindDuplicate(std::string_view text, long line) {
  struct Scope {
    bool group;  // a { } (or the file); a ( ) list or [ ] array holds no names
    std::map<std::string_view, long> names;
  };
  std::vector<Scope> scopes(1, Scope{true, {}});
  ConfigLexer lexer(text);
  std::optional<ConfigToken> name;  // the last token, when it was a name
  while (std::optional<ConfigToken> token = lexer.Next()) {
    const std::string_view t = token->text;
    const bool punct = token->kind == ConfigToken::Kind::kPunct;
    if (name && punct && (t == "=" || t == ":") && scopes.back().group) {
      auto [first, added] = scopes.back().names.emplace(name->text, name->line);
      if (!added) {
        if (name->line != line) return std::nullopt;
        return Duplicate{name->text, first->second};
      }
    }
    name = token->kind == ConfigToken::Kind::kName ? token : std::nullopt;
    if (!punct) continue;
    if (t == "{") {
      scopes.push_back({true, {}});
    } else if (t == "(" || t == "[") {
      scopes.push_back({false, {}});
    } else if ((t == "}" || t == ")" || t == "]") && scopes.size() > 1) {
      scopes.pop_back();
    }
  }
  return std::nullopt;
}

// Line `line` (from 1) of `text`; nullopt past the last line that has any text.
std::optional<std::string_view> LineOf(std::string_view text, long line) {
  size_t start = 0;
  for (long n = 1; n < line; ++n) {
    const size_t newline = text.find('\n', start);
    if (newline == std::string_view::npos) return std::nullopt;
    start = newline + 1;
  }
  if (start >= text.size()) return std::nullopt;
  return text.substr(start, text.find('\n', start) - start);
}

}  // namespace

std::string NearestKey(std::string_view key, std::span<const KeySpec> schema) {
  if (key.empty() || key.size() > kMaxHintedKey) return "";
  const std::vector<std::string_view> segments = Segments(key);
  const size_t near = std::max<size_t>(1, segments.back().size() / 4);
  // Best first: a typo (by distance), then a key put in the wrong group (by
  // how many trailing segments it shares, "ldap.timeout" being nearer
  // directory.ldap.timeout than twilio.timeout, then by distance).
  std::string best;
  std::pair<size_t, size_t> best_rank{0, 0};  // (a typo or how many segments shared, the fewer edits the higher)
  for (const KeySpec& spec : schema) {
    std::optional<std::string> candidate = Instantiate(spec.key, segments);
    if (!candidate || *candidate == key) continue;
    const size_t distance = EditDistance(key, *candidate);
    // A "*" last segment takes any name: sharing it means nothing.
    const size_t shared = Segments(spec.key).back() == "*" ? 0 : SharedTail(segments, Segments(*candidate));
    if (distance > near && shared == 0) continue;
    const std::pair<size_t, size_t> rank{distance <= near ? SIZE_MAX : shared, SIZE_MAX - distance};
    if (rank > best_rank) {
      best = std::move(*candidate);
      best_rank = rank;
    }
  }
  return best;
}

std::string DescribeParseError(std::string_view text, int line, std::string_view error) {
  if (error == "duplicate setting name") {
    std::optional<Duplicate> duplicate = FindDuplicate(text, line);
    if (!duplicate) return "duplicate setting name";
    return "duplicate setting " + Quoted(duplicate->name) + " (already set on line " +
           std::to_string(duplicate->first_line) + ")";
  }
  std::string problem = "syntax error";
  if (!error.empty() && error != "syntax error") problem += ": " + std::string(error);
  if (line < 1) return problem;
  std::optional<std::string_view> content = LineOf(text, line);
  if (!content) return problem + " at the end of the file (a group, list or string not closed?)";
  if (!Trim(*content).empty()) problem += " near " + Quoted(Trim(*content));
  return problem;
}

}  // namespace twotp
