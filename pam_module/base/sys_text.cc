#include "base/sys_text.h"

#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <system_error>

namespace twotp {

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

std::string SysErrorText(const std::string& path, const char* step, int err) {
  return path + ": " + step + ": " + ErrnoText(err);
}

std::string ModeText(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string HostName() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace twotp
