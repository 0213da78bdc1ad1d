// config/config_hints and config/config_lexer: the "did you mean" key for an
// unknown one, and libconfig's bare "syntax error" / "duplicate setting name"
// said with the setting on the line it names (LoadConfig's whole messages
// are in test_config.cc).
#include <string>
#include <vector>

#include "config/config_hints.h"
#include "config/config_lexer.h"

// Last: cmocka defines macros (fail) that clash with the C++ library.
#include "cmocka_cxx.h"

using twotp::ConfigLexer;
using twotp::ConfigToken;
using twotp::DescribeParseError;
using twotp::KeySpec;
using twotp::Kind;
using twotp::NearestKey;

namespace {

constexpr KeySpec kSchema[] = {
    {"twilio", Kind::kGroup},
    {"twilio.timeout", Kind::kInt, 1, 60},
    {"twilio.verify_service_sid", Kind::kString},
    {"twilio.verify_url", Kind::kHttpsUrl},
    {"directory", Kind::kGroup},
    {"directory.ldap", Kind::kGroup},
    {"directory.ldap.timeout", Kind::kInt, 1, 60},
    {"policy", Kind::kGroup},
    {"policy.code_length", Kind::kInt, 4, 10},
    {"policy.services", Kind::kGroup},
    {"policy.services.*", Kind::kGroup},
    {"policy.services.*.grace_period", Kind::kInt, 0, 86400},
    {"state_dir", Kind::kPath},
};

void ExpectNearest(const char* key, const char* want) {
  const std::string got = NearestKey(key, kSchema);
  if (got != want) print_error("NearestKey(%s) = \"%s\", wanted \"%s\"\n", key, got.c_str(), want);
  assert_string_equal(got.c_str(), want);
}

void ExpectDescribed(const std::string& text, int line, const char* error, const char* want) {
  const std::string got = DescribeParseError(text, line, error);
  if (got != want) print_error("text:\n%s\ngot:    %s\nwanted: %s\n", text.c_str(), got.c_str(), want);
  assert_string_equal(got.c_str(), want);
}

}  // namespace

static void test_nearest_key_forgives_one_typo(void**) {
  ExpectNearest("twilio.verify_service_id", "twilio.verify_service_sid");    // a letter missing
  ExpectNearest("twilio.verify_servcie_sid", "twilio.verify_service_sid");   // two letters swapped
  ExpectNearest("policy.code_lenght", "policy.code_length");
  ExpectNearest("statedir", "state_dir");
  ExpectNearest("polcy", "policy");
  ExpectNearest("twilio.timeuot", "twilio.timeout");  // not directory.ldap.timeout, further away
}

static void test_nearest_key_finds_a_key_put_in_the_wrong_group(void**) {
  ExpectNearest("policy.timeout", "twilio.timeout");  // the nearer of the two timeouts
  ExpectNearest("ldap.timeout", "directory.ldap.timeout");
  ExpectNearest("code_length", "policy.code_length");
}

static void test_nearest_key_fills_in_wildcard_segments(void**) {
  ExpectNearest("policy.services.sudo.grace_perod", "policy.services.sudo.grace_period");
  // A "*" last segment takes any name: it is no reason to suggest one.
  ExpectNearest("x.y.colour", "");
}

static void test_nearest_key_is_empty_when_nothing_is_near(void**) {
  ExpectNearest("policy.colour", "");
  ExpectNearest("twilio.verify_sid", "");  // three edits from verify_url: a guess, not a typo
  ExpectNearest("", "");
  ExpectNearest(std::string(300, 'a').c_str(), "");
}

static void test_syntax_error_shows_the_line_it_names(void**) {
  const std::string text = "a = 1;\n  mode = verify;   \nb = 2;\n";
  ExpectDescribed(text, 2, "syntax error", "syntax error near \"mode = verify;\"");
  ExpectDescribed(text, 4, "syntax error", "syntax error at the end of the file (a group, list or string not closed?)");
  ExpectDescribed(text, 0, "syntax error", "syntax error");
  ExpectDescribed("a = 1;\n\nb = ;\n", 2, "syntax error", "syntax error");  // a blank line: nothing to show
  ExpectDescribed(text, 1, "", "syntax error near \"a = 1;\"");
  ExpectDescribed(text, 1, "setting name too long", "syntax error: setting name too long near \"a = 1;\"");
}

static void test_syntax_error_line_is_quoted_safely(void**) {
  // Control characters never reach a terminal or syslog; a long line is cut.
  ExpectDescribed("a = \"x\x1b[2Jy\";\n", 1, "syntax error", "syntax error near \"a = \"x?[2Jy\";\"");
  const std::string got = DescribeParseError("x = " + std::string(200, 'v') + "\n", 1, "syntax error");
  assert_true(got.size() < 90);
  assert_true(got.ends_with("...\""));
}

static void test_duplicate_names_the_setting_and_its_first_line(void**) {
  ExpectDescribed("x = 1;\ny = 2;\nx = 3;\n", 3, "duplicate setting name",
                  "duplicate setting \"x\" (already set on line 1)");
  // The same name in other groups, in comments, strings and lists of groups
  // is not a duplicate; the one in the same group is.
  const std::string text =
      "timeout = 1;\n"                          // 1
      "a = {\n"                                 // 2
      "  # timeout = 2;\n"                      // 3
      "  s = \"timeout = 3; }\";\n"             // 4
      "  l = ({ timeout = 4; }, { timeout = 5; });\n"  // 5
      "  b = { timeout = 6; };\n"               // 6
      "  /* timeout = 7; */ timeout : 8;\n"     // 7
      "  timeout = 9;\n"                        // 8
      "};\n";
  ExpectDescribed(text, 8, "duplicate setting name", "duplicate setting \"timeout\" (already set on line 7)");
}

static void test_duplicate_not_found_on_the_named_line_stays_bare(void**) {
  // Our reading of the text and libconfig's disagree: say only what it said.
  ExpectDescribed("x = 1;\nx = 2;\n", 1, "duplicate setting name", "duplicate setting name");
  ExpectDescribed("x = 1;\ny = 2;\n", 2, "duplicate setting name", "duplicate setting name");
}

static void test_lexer_skips_comments_and_strings_and_counts_lines(void**) {
  ConfigLexer lexer("a = \"x\ny\"; # c\n/* d\n*/ @include 0x1F;\n  @b");
  struct Want {
    ConfigToken::Kind kind;
    const char* text;
    long line;
    bool at_line_start;
  };
  const std::vector<Want> want = {
      {ConfigToken::Kind::kName, "a", 1, true},          {ConfigToken::Kind::kPunct, "=", 1, false},
      {ConfigToken::Kind::kString, "\"x\ny\"", 1, false}, {ConfigToken::Kind::kPunct, ";", 2, false},
      {ConfigToken::Kind::kPunct, "@", 4, false},  // after a comment: not at the line's start
      {ConfigToken::Kind::kName, "include", 4, false},   {ConfigToken::Kind::kNumber, "0x1F", 4, false},
      {ConfigToken::Kind::kPunct, ";", 4, false},        {ConfigToken::Kind::kPunct, "@", 5, true},
      {ConfigToken::Kind::kName, "b", 5, false},
  };
  for (const Want& w : want) {
    std::optional<ConfigToken> token = lexer.Next();
    assert_true(token.has_value());
    if (token->text != w.text || token->line != w.line) {
      print_error("got \"%.*s\" on line %ld, wanted \"%s\" on line %ld\n", static_cast<int>(token->text.size()),
                  token->text.data(), token->line, w.text, w.line);
    }
    assert_true(token->kind == w.kind);
    assert_true(token->text == w.text);
    assert_int_equal(token->line, w.line);
    assert_int_equal(token->at_line_start, w.at_line_start);
  }
  assert_false(lexer.Next().has_value());
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nearest_key_forgives_one_typo),
      cmocka_unit_test(test_nearest_key_finds_a_key_put_in_the_wrong_group),
      cmocka_unit_test(test_nearest_key_fills_in_wildcard_segments),
      cmocka_unit_test(test_nearest_key_is_empty_when_nothing_is_near),
      cmocka_unit_test(test_syntax_error_shows_the_line_it_names),
      cmocka_unit_test(test_syntax_error_line_is_quoted_safely),
      cmocka_unit_test(test_duplicate_names_the_setting_and_its_first_line),
      cmocka_unit_test(test_duplicate_not_found_on_the_named_line_stays_bare),
      cmocka_unit_test(test_lexer_skips_comments_and_strings_and_counts_lines),
  };
  return cmocka_run_group_tests_name("config_hints", tests, nullptr, nullptr);
}
