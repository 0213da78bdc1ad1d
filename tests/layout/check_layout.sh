#!/usr/bin/env bash
# The house rules of pam_module/ (DESIGN.md, "Layout"), checked by grep:
#  - every source file sits in one of the folders below, none at the top;
#  - project headers are included with their folder ("base/status.h");
#  - includes run one way: pam -> login -> {twilio, directory, state} ->
#    config -> base (the three in braces never include each other), and
#    tool/ may use everything but pam/;
#  - each third-party library stays in its folder: TLS and HTTP parsing in
#    twilio/, libldap in directory/, libconfig in config/, libpam in pam/.
# Prints "[       OK ] rule" / "[  FAILED  ] rule: where" and the cmocka-style
# totals that tests/run_all.sh adds up.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1

rank() {  # a folder's place in the direction; siblings share one
  case "$1" in
    pam) echo 0 ;; login) echo 1 ;; twilio | directory | state) echo 2 ;;
    config) echo 3 ;; base) echo 4 ;; *) echo -1 ;;
  esac
}

passed=0
failed=0
report() {  # report RULE PROBLEMS
  if [ -z "$2" ]; then
    echo "[       OK ] $1"
    passed=$((passed + 1))
  else
    echo "[  FAILED  ] $1:"
    sed 's/^/    /' <<<"$2"
    failed=$((failed + 1))
  fi
}

sources=$(find pam_module -name '*.cc' -o -name '*.h' | sort)

# 1. Every file in a known folder.
problems=""
for f in $sources; do
  dir=$(cut -d/ -f2 <<<"$f")
  [ "$(rank "$dir")" -ge 0 ] && [ "$(dirname "$f")" = "pam_module/$dir" ] || problems+="$f"$'\n'
done
report "every source file sits in pam/ login/ twilio/ directory/ state/ config/ base/" "${problems%$'\n'}"

# 2 and 3. Project includes name their folder, and run one way.
bare=""
against=""
while IFS= read -r line; do
  file=${line%%:*}
  header=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
  from=$(cut -d/ -f2 <<<"$file")
  [ "$(dirname "$file")" = tool ] && from=tool
  if [[ "$header" != */* ]]; then
    # Only project headers must carry a folder; tests' own helpers don't exist here.
    [ -n "$(find pam_module -name "$header" -print -quit)" ] && bare+="$file: \"$header\""$'\n'
    continue
  fi
  to=${header%%/*}
  [ "$(rank "$to")" -ge 0 ] || continue
  if [ "$from" = tool ]; then
    [ "$to" = pam ] && against+="$file -> $header (tool/ sits beside pam/)"$'\n'
    continue
  fi
  [ "$from" = "$to" ] && continue
  if [ "$(rank "$to")" -le "$(rank "$from")" ]; then against+="$file -> $header"$'\n'; fi
done < <(grep -H '^#include "' $sources tool/*.cc tool/*.h)
report "project headers are included with their folder" "${bare%$'\n'}"
report "includes run pam -> login -> {twilio, directory, state} -> config -> base" "${against%$'\n'}"

# 4. Third-party libraries in their folders (tool/ and tests/ use the core).
confined() {  # confined RULE FOLDER REGEX
  local outside
  outside=$(grep -lE "^#include <($3)" $sources tool/*.cc tool/*.h 2>/dev/null | grep -v "^pam_module/$2/" || true)
  report "$1" "$outside"
}
confined "TLS only in twilio/" twilio 'openssl/ssl\.h|openssl/x509|openssl/bio\.h'
# http-parser: HTTP in twilio/, and URL syntax for the config's twilio.proxy.
outside=$(grep -lE '^#include <http_parser\.h' $sources tool/*.cc tool/*.h | grep -v -e '^pam_module/twilio/' -e '^pam_module/base/http_url\.cc$' || true)
report "http-parser only in twilio/ (and base/http_url.cc for URL syntax)" "$outside"
confined "libldap only in directory/" directory 'ldap\.h|lber\.h'
confined "libconfig only in config/" config 'libconfig\.h'
confined "libpam only in pam/" pam 'security/'

echo "[  PASSED  ] $passed test(s)."
if [ "$failed" -gt 0 ]; then
  echo "[  FAILED  ] $failed test(s)"
  exit 1
fi
