#include "config/config_lexer.h"

#include <algorithm>

#include "base/text.h"

namespace twotp {

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool StartsName(char c) { return IsLetter(c) || c == '*'; }
bool ContinuesName(char c) { return IsAlnum(c) || c == '_' || c == '*' || c == '-'; }

}  // namespace

void ConfigLexer::Advance(size_t n) {
  const size_t end = std::min(text_.size(), pos_ + n);
  line_ += std::count(text_.begin() + pos_, text_.begin() + end, '\n');
  pos_ = end;
}

size_t ConfigLexer::StringEnd() const {
  size_t end = pos_ + 1;
  for (; end < text_.size() && text_[end] != '"'; ++end) {
    if (text_[end] == '\\' && end + 1 < text_.size()) ++end;  // an escaped character, maybe a quote
  }
  return std::min(text_.size(), end + 1);
}

std::optional<ConfigToken> ConfigLexer::Next() {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (IsBlank(c)) {
      if (c == '\n') line_start_ = true;
      Advance(1);
      continue;
    }
    ConfigToken token{ConfigToken::Kind::kPunct, {}, pos_, line_, line_start_};
    // A comment ends the line start too: libconfig's @include rule is
    // anchored at the line's start with only blanks before it.
    line_start_ = false;
    if (c == '#' || Ahead("//")) {
      const size_t newline = text_.find('\n', pos_);
      Advance((newline == std::string_view::npos ? text_.size() : newline) - pos_);
      continue;
    }
    if (Ahead("/*")) {
      const size_t close = text_.find("*/", pos_ + 2);
      Advance(close == std::string_view::npos ? text_.size() - pos_ : close + 2 - pos_);
      continue;
    }
    size_t end = pos_ + 1;
    if (c == '"') {
      token.kind = ConfigToken::Kind::kString;
      end = StringEnd();
    } else if (StartsName(c)) {
      token.kind = ConfigToken::Kind::kName;
      while (end < text_.size() && ContinuesName(text_[end])) ++end;
    } else if (IsDigit(c)) {
      token.kind = ConfigToken::Kind::kNumber;
      while (end < text_.size() && IsAlnum(text_[end])) ++end;
    }
    token.text = text_.substr(token.offset, end - token.offset);
    Advance(end - pos_);
    return token;
  }
  return std::nullopt;
}

}  // namespace twotp
