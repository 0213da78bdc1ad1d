// ConfigLexer: the text of a config file cut into tokens the way libconfig
// 1.5's scanner cuts it (names, numbers, strings, punctuation; white space
// and #, // and /* */ comments skipped), with their lines. libconfig still
// parses the file; this serves the checks it doesn't make (ScanSource in
// config_reader.cc) and the hints added to its bare errors (config_hints.h),
// so that both skip comments and strings alike.
#ifndef PAM_TWILIO_OTP_CONFIG_LEXER_H_
#define PAM_TWILIO_OTP_CONFIG_LEXER_H_

#include <cstddef>
#include <optional>
#include <string_view>

namespace twotp {

struct ConfigToken {
  enum class Kind {
    kName,    // libconfig's [A-Za-z*][-A-Za-z0-9_*]*: a setting name, or true/false
    kNumber,  // a digit and the letters and digits after it ("42", "0x1F", "5e3")
    kString,  // from the opening quote to past the closing one (or the end of the text)
    kPunct,   // any other byte, alone: = : ; , { } ( ) [ ] - . @ ...
  };
  Kind kind;
  std::string_view text;  // a view into the lexer's text
  size_t offset = 0;      // where `text` starts
  long line = 1;          // of the token's first byte, from 1
  bool at_line_start = false;  // only blanks (no comment) before it on its line
};

class ConfigLexer {
 public:
  // `text` must outlive the lexer and its tokens.
  explicit ConfigLexer(std::string_view text) : text_(text) {}

  // The next token, or nullopt at the end of the text. An unclosed string
  // or block comment runs to the end.
  std::optional<ConfigToken> Next();

 private:
  bool Ahead(std::string_view what) const { return text_.substr(pos_).starts_with(what); }
  // Moves past `n` bytes, counting the newlines among them.
  void Advance(size_t n);
  // Past the closing quote of the string that starts at pos_ (or the end).
  size_t StringEnd() const;

  std::string_view text_;
  size_t pos_ = 0;
  long line_ = 1;
  bool line_start_ = true;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_CONFIG_LEXER_H_
