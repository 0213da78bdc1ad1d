// config/config_schema against man/pam_twilio_otp.conf.5 (a documentation
// check): every key the parser's schema (ConfigSchema()) accepts is documented,
// every key the page documents is accepted, and the kind and range the page
// gives are the parser's. A key added to config_schema.cc without a page entry
// fails here, and so does an entry left behind for a key that was removed.
//
// How the page documents a key: in a section .SH "THE <group> GROUP" (or
// .SH "TOP-LEVEL KEYS"), a .TP entry whose tag line is
//   .BR <name> " (<kind>, ..., <min>..<max>, default ...)"
// documents <group>.<name>. A group is documented by its section, or by a
// .TP entry "(group)" in its parent's section. Keys under a wildcard group
// (policy.services.*.grace_period) are documented in the body of the
// wildcard's parent entry (policy.services) as a .B <name> line.
//
// The page is found beside the binary (<root>/<build>/tests/unit/ ->
// <root>/man/), else as man/pam_twilio_otp.conf.5 under the current
// directory (make check runs from the root); TWOTP_CONF_MAN names another.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_schema.h"

// Last: cmocka defines macros (fail) that clash with the C++ library.
#include "cmocka_cxx.h"

using twotp::KeySpec;
using twotp::Kind;

namespace {

constexpr char kPageName[] = "pam_twilio_otp.conf.5";

// One .TP entry of a key section.
struct Entry {
  std::string key;                 // full dotted name
  std::string kind_text;           // "integer, seconds, 1..60, default 10"
  int line = 0;                    // of the tag line, 1-based
  std::vector<std::string> body;   // the lines up to the next entry
};

struct Page {
  std::string path;
  bool opened = false;
  std::map<std::string, Entry> entries;    // by key
  std::map<std::string, int> group_sections;  // "twilio" -> line of its .SH
  std::vector<std::string> problems;       // entries the parser could not read
};

std::string PagePath() {
  if (const char* env = std::getenv("TWOTP_CONF_MAN"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    // <root>/<build>/tests/unit/<binary>
    std::filesystem::path candidate = exe.parent_path().parent_path().parent_path().parent_path() / "man" / kPageName;
    if (std::filesystem::exists(candidate, ec)) return candidate.string();
  }
  return std::string("man/") + kPageName;
}

// Roff text to plain text: font changes dropped, the escapes the page uses
// for names and values decoded.
std::string Plain(std::string_view roff) {
  std::string out;
  for (size_t i = 0; i < roff.size(); ++i) {
    if (roff[i] != '\\' || i + 1 == roff.size()) {
      out += roff[i];
      continue;
    }
    char next = roff[i + 1];
    if (next == 'f' && i + 2 < roff.size()) {  // \fB \fI \fR \fP
      i += 2;
    } else if (next == '(' && i + 3 < roff.size()) {  // \(dq \(bu ...
      std::string_view name = roff.substr(i + 2, 2);
      out += name == "dq" ? "\"" : "";
      i += 3;
    } else {  // \- \  \. \e
      out += next == 'e' ? '\\' : next;
      i += 1;
    }
  }
  return out;
}

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The first argument of a .B/.BR line ("name" or "\"two words\"") and the rest.
void SplitTag(std::string_view args, std::string* name, std::string* rest) {
  size_t start = args.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    name->clear();
    rest->clear();
    return;
  }
  args.remove_prefix(start);
  size_t end;
  if (args[0] == '"') {
    end = args.find('"', 1);
    *name = std::string(args.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
    end = end == std::string_view::npos ? args.size() : end + 1;
  } else {
    end = std::min(args.find(' '), args.size());
    *name = std::string(args.substr(0, end));
  }
  *name = Plain(*name);
  std::string tail;
  for (char c : Plain(args.substr(end))) {
    if (c != '"') tail += c;  // .BR alternates fonts between quoted arguments
  }
  *rest = Trim(tail);
}

Page ReadPage() {
  Page page;
  page.path = PagePath();
  std::ifstream in(page.path);
  if (!in) {
    print_error("cannot open %s (set TWOTP_CONF_MAN to the page)\n", page.path.c_str());
    return page;
  }
  page.opened = true;
  // The key prefix of the current section: "twilio." for THE twilio GROUP,
  // "" for TOP-LEVEL KEYS; unset outside key sections.
  bool in_keys = false;
  std::string prefix;
  int rs_depth = 0;
  bool tag_next = false;
  Entry* current = nullptr;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (StartsWith(line, ".\\\"")) continue;  // roff comment
    if (StartsWith(line, ".SH")) {
      std::string title = Trim(Plain(line.substr(3)));
      if (title.size() >= 2 && title.front() == '"' && title.back() == '"') title = title.substr(1, title.size() - 2);
      current = nullptr;
      tag_next = false;
      rs_depth = 0;
      in_keys = false;
      if (title == "TOP-LEVEL KEYS") {
        in_keys = true;
        prefix.clear();
      } else if (StartsWith(title, "THE ") && title.size() > 10 && title.substr(title.size() - 6) == " GROUP") {
        std::string group = title.substr(4, title.size() - 10);
        in_keys = true;
        prefix = group + ".";
        page.group_sections[group] = number;
      }
      continue;
    }
    if (!in_keys) continue;
    if (StartsWith(line, ".RS")) ++rs_depth;
    if (StartsWith(line, ".RE") && rs_depth > 0) --rs_depth;
    if (rs_depth == 0 && (line == ".TP" || StartsWith(line, ".TP "))) {
      tag_next = true;
      current = nullptr;
      continue;
    }
    if (tag_next) {
      tag_next = false;
      std::string name, rest;
      if (StartsWith(line, ".BR ")) {
        SplitTag(std::string_view(line).substr(4), &name, &rest);
      } else if (StartsWith(line, ".B ")) {
        SplitTag(std::string_view(line).substr(3), &name, &rest);
      }
      if (name.empty() || name.find(' ') != std::string::npos) {
        page.problems.push_back(page.path + ":" + std::to_string(number) +
                                ": a .TP entry in a key section whose tag is not \".BR KEY \\\" (KIND, ...)\\\"\": " + line);
        continue;
      }
      Entry entry;
      entry.key = prefix + name;
      entry.line = number;
      // "(integer, seconds, 1..60, default 10)" -> inside the parentheses.
      size_t open = rest.find('(');
      size_t close = rest.rfind(')');
      if (open != std::string::npos && close != std::string::npos && close > open) {
        entry.kind_text = Trim(rest.substr(open + 1, close - open - 1));
      }
      if (page.entries.count(entry.key) != 0) {
        page.problems.push_back(page.path + ":" + std::to_string(number) + ": " + entry.key + " is documented twice");
      }
      current = &(page.entries[entry.key] = entry);
      continue;
    }
    if (current != nullptr) current->body.push_back(line);
  }
  return page;
}

// The page, read once; a test that gets here without it fails at once
// (one message, not one per key).
const Page& ThePage() {
  static const Page page = ReadPage();
  if (!page.opened) fail_msg("%s: not found or unreadable", page.path.c_str());
  return page;
}

bool IsWildcard(std::string_view key) { return key.find('*') != std::string_view::npos; }

// "policy.services.*.grace_period" -> "policy.services"; "policy.services.*" -> same.
std::string WildcardParent(std::string_view key) { return std::string(key.substr(0, key.find(".*"))); }

const char* KindWord(Kind kind) {
  switch (kind) {
    case Kind::kGroup: return "group";
    case Kind::kString: return "string";
    case Kind::kPath: return "path";
    case Kind::kHttpsUrl: return "string";  // an https:// URL, documented as a string
    case Kind::kInt: return "integer";
    case Kind::kBool: return "boolean";
    case Kind::kStringList: return "list of strings";
  }
  return "?";
}

// The page's structure was read: if the format changed under the parser, the
// other tests would pass on nothing.
void test_the_page_is_read(void**) {
  const Page& page = ThePage();
  for (const std::string& problem : page.problems) print_error("%s\n", problem.c_str());
  assert_true(page.problems.empty());
  assert_true(page.entries.size() >= 40);
  assert_true(page.group_sections.count("twilio") == 1);
  assert_true(page.entries.count("state_dir") == 1);
}

void test_every_schema_key_is_documented(void**) {
  const Page& page = ThePage();
  int missing = 0;
  for (const KeySpec& spec : twotp::ConfigSchema()) {
    const std::string key(spec.key);
    bool documented;
    if (IsWildcard(key)) {
      // Documented in the body of the wildcard parent's entry.
      const std::string parent = WildcardParent(key);
      const std::string leaf = key.substr(key.rfind('.') + 1);
      auto it = page.entries.find(parent);
      documented = it != page.entries.end();
      if (documented && leaf != "*") {
        documented = false;
        for (const std::string& line : it->second.body) {
          std::string name, rest;
          if (StartsWith(line, ".B ")) SplitTag(std::string_view(line).substr(3), &name, &rest);
          if (StartsWith(line, ".BR ")) SplitTag(std::string_view(line).substr(4), &name, &rest);
          if (name == leaf) documented = true;
        }
      }
    } else {
      documented = page.entries.count(key) != 0 || (spec.kind == Kind::kGroup && page.group_sections.count(key) != 0);
    }
    if (!documented) {
      ++missing;
      print_error("%s is accepted by the parser (pam_module/config/config_schema.cc) but not documented in %s: "
                  "add a .TP entry under .SH \"THE <group> GROUP\"\n",
                  key.c_str(), page.path.c_str());
    }
  }
  assert_int_equal(missing, 0);
}

void test_every_documented_key_is_in_the_schema(void**) {
  const Page& page = ThePage();
  std::set<std::string> schema;
  for (const KeySpec& spec : twotp::ConfigSchema()) schema.insert(std::string(spec.key));
  int unknown = 0;
  for (const auto& [key, entry] : page.entries) {
    if (schema.count(key) == 0) {
      ++unknown;
      print_error("%s:%d documents %s, which the parser does not accept (pam_module/config/config_schema.cc)\n",
                  page.path.c_str(), entry.line, key.c_str());
    }
  }
  for (const auto& [group, line] : page.group_sections) {
    if (schema.count(group) == 0) {
      ++unknown;
      print_error("%s:%d has a section for the group %s, which the parser does not accept\n", page.path.c_str(), line,
                  group.c_str());
    }
  }
  assert_int_equal(unknown, 0);
}

// "(integer, seconds, 1..60, default 10)" for {1, 60}: the kind first, and
// for integers the parser's range.
void test_documented_kinds_and_ranges_match_the_schema(void**) {
  const Page& page = ThePage();
  int wrong = 0;
  for (const KeySpec& spec : twotp::ConfigSchema()) {
    auto it = page.entries.find(std::string(spec.key));
    if (it == page.entries.end()) continue;  // a group documented by its section, or missing (above)
    const Entry& entry = it->second;
    const std::string kind = KindWord(spec.kind);
    const std::string first = entry.kind_text.substr(0, entry.kind_text.find(','));
    if (Trim(first) != kind) {
      ++wrong;
      print_error("%s:%d: %s is a %s for the parser, but the page says \"(%s)\"\n", page.path.c_str(), entry.line,
                  entry.key.c_str(), kind.c_str(), entry.kind_text.c_str());
    }
    if (spec.kind == Kind::kInt) {
      const std::string range = std::to_string(spec.min) + ".." + std::to_string(spec.max);
      if (entry.kind_text.find(range) == std::string::npos) {
        ++wrong;
        print_error("%s:%d: %s accepts %s, but the page says \"(%s)\"\n", page.path.c_str(), entry.line,
                    entry.key.c_str(), range.c_str(), entry.kind_text.c_str());
      }
    }
  }
  assert_int_equal(wrong, 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_the_page_is_read),
      cmocka_unit_test(test_every_schema_key_is_documented),
      cmocka_unit_test(test_every_documented_key_is_in_the_schema),
      cmocka_unit_test(test_documented_kinds_and_ranges_match_the_schema),
  };
  return cmocka_run_group_tests_name("man_page_keys", tests, nullptr, nullptr);
}
