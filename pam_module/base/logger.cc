#include "base/logger.h"

#include <cstdint>
#include <cstdio>

namespace twotp {

namespace {

constexpr std::string_view kCut = "...[cut]";
constexpr char kHex[] = "0123456789abcdef";

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kNotice: return "notice";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
    case LogLevel::kCritical: return "critical";
  }
  return "log";
}

// Code points that are valid UTF-8 but still change how a line reads: C1
// controls (U+009B is a CSI, as ESC [ is), the line and paragraph separators
// some viewers break at, and the bidi overrides and isolates that reorder
// what an administrator sees.
bool IsFormatControl(uint32_t cp) {
  return cp <= 0x9F || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

// The length of the UTF-8 character that starts `s` (2 to 4 bytes) when it
// is well formed (no overlong form, no surrogate, at most U+10FFFF) and not
// a format control; 0 otherwise, and then its bytes are escaped one by one.
size_t SafeCharLength(std::string_view s) {
  const auto lead = static_cast<unsigned char>(s[0]);
  size_t length = 0;
  uint32_t cp = 0;
  uint32_t smallest = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, cp = lead & 0x1F, smallest = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, cp = lead & 0x0F, smallest = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, cp = lead & 0x07, smallest = 0x10000;
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(s[i]);
    if ((next & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (next & 0x3F);
  }
  if (cp < smallest || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || IsFormatControl(cp)) return 0;
  return length;
}

// Appends the escaped form of the byte or character at the start of `text`
// to `piece`; returns how many bytes of `text` it stands for.
size_t EscapeNext(std::string_view text, std::string& piece) {
  piece.clear();
  const auto c = static_cast<unsigned char>(text[0]);
  if (c >= 0x80) {
    if (const size_t length = SafeCharLength(text); length > 0) {
      piece.assign(text.substr(0, length));
      return length;
    }
  }
  switch (c) {
    case '\\': piece = "\\\\"; return 1;
    case '\n': piece = "\\n"; return 1;
    case '\r': piece = "\\r"; return 1;
    case '\t': piece = "\\t"; return 1;
    default: break;
  }
  if (c < 0x20 || c >= 0x7F) {
    piece = {'\\', 'x', kHex[c >> 4], kHex[c & 0x0F]};
  } else {
    piece.push_back(static_cast<char>(c));
  }
  return 1;
}

}  // namespace

std::string EscapeLogLine(std::string_view text, size_t max_bytes) {
  if (max_bytes < kCut.size()) max_bytes = kCut.size();
  std::string out;
  std::string piece;
  // The longest prefix of `out`, at a piece boundary, that still leaves
  // room for the cut mark.
  size_t room_for_cut = 0;
  size_t at = 0;
  while (at < text.size()) {
    at += EscapeNext(text.substr(at), piece);
    if (out.size() + piece.size() > max_bytes) {
      out.resize(room_for_cut);
      out += kCut;
      return out;
    }
    out += piece;
    if (out.size() + kCut.size() <= max_bytes) room_for_cut = out.size();
  }
  return out;
}

std::string LogField(std::string_view value, size_t max_bytes) {
  if (value.size() <= max_bytes) return std::string(value);
  size_t cut = max_bytes;
  // Not inside a UTF-8 character: its tail would read as stray bytes.
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return std::string(value.substr(0, cut)) + "...";
}

void StderrLogger::Write(LogLevel level, const std::string& escaped_line) {
  if (level == LogLevel::kDebug && !debug_) return;
  std::fprintf(stderr, "twilio-otp: %s: %s\n", LevelName(level), escaped_line.c_str());
}

}  // namespace twotp
