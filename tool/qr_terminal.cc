#include "qr_terminal.h"

#include <qrencode.h>

#include <memory>
#include <string>

namespace twotp::cli {

namespace {

constexpr int kQuietZone = 2;
// The upper and lower halves of one character cell, by which is "on" (drawn).
constexpr const char* kCells[2][2] = {{" ", "\u2584"}, {"\u2580", "\u2588"}};

struct QrFree {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

}  // namespace

Result<std::string> QrForTerminal(std::string_view text) {
  const std::string copy(text);  // libqrencode wants a NUL-terminated string
  std::unique_ptr<QRcode, QrFree> code(QRcode_encodeString(copy.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
  if (!code) return Status::Internal("could not make a QR code of the URI (too long?)");
  const int width = code->width;
  const int size = width + 2 * kQuietZone;
  // A cell is drawn for a light module: on a dark terminal the drawn blocks
  // are the light background a scanner expects around dark modules.
  auto light = [&](int row, int column) {
    row -= kQuietZone;
    column -= kQuietZone;
    if (row < 0 || column < 0 || row >= width || column >= width) return 1;
    return (code->data[row * width + column] & 1) ? 0 : 1;
  };
  std::string out;
  for (int row = 0; row < size; row += 2) {
    for (int column = 0; column < size; ++column) {
      const int upper = light(row, column);
      const int lower = row + 1 < size ? light(row + 1, column) : 0;
      out += kCells[upper][lower];
    }
    out += '\n';
  }
  return out;
}

}  // namespace twotp::cli
