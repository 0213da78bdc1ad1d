#!/usr/bin/env bash
# Runs the test suites and prints one closing line "check: N passed, N failed".
#   tests/run_all.sh [unit|symbols|layout|integration|cli|ldap|contract|e2e|fuzz|package ...]   (default: all)
# Each suite reports cmocka-style "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)"
# lines; this script adds them up and exits non-zero if anything failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$root/$BUILD" ;; esac
export BUILD
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit symbols layout integration cli ldap contract e2e fuzz package)

passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# tally CMD...: runs a suite, shows its output, adds up its counts. A suite
# that exits non-zero without reporting a failure counts as one failure.
tally() {
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local p f
  p=$(grep -Eo '\[  PASSED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
  f=$(grep -Eo '\[  FAILED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "suite failed (exit $rc): $*"; fi
  passed=$((passed + p))
  failed=$((failed + f))
}

if [ -n "${SANITIZE:-}" ]; then
  # pam_wrapper is LD_PRELOADed ahead of the sanitizer runtime the binaries
  # link; any report fails the process that made it.
  # pam_wrapper dlopens libpam with RTLD_DEEPBIND, which the sanitizer
  # runtime refuses; its switch is (sic) UID_WRAPPER_DISABLE_DEEPBIND.
  export UID_WRAPPER_DISABLE_DEEPBIND=1
  # nss_wrapper (the integration suite's accounts) dlopens libc the same way.
  export NSS_WRAPPER_DISABLE_DEEPBIND=1
  export ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=1:halt_on_error=1:${ASAN_OPTIONS:-}"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
fi

for suite in "${suites[@]}"; do
  case "$suite" in
    unit)
      for t in "$BUILD"/tests/unit/test_*; do
        [ -x "$t" ] && [ "${t%.o}" = "$t" ] && [ "${t%.d}" = "$t" ] && tally "$t"
      done ;;
    symbols) tally bash "$here/symbols/check_exports.sh" ;;
    layout) tally bash "$here/layout/check_layout.sh" ;;  # folders, include direction, library confinement
    integration) [ -f "$here/integration/run.sh" ] && tally bash "$here/integration/run.sh" ;;
    cli) tally bash "$here/cli/run.sh" ;;
    ldap) tally bash "$here/ldap/run.sh" ;;
    contract) [ -f "$here/contract/run.sh" ] && tally bash "$here/contract/run.sh" ;;
    e2e) tally bash "$here/e2e/run.sh" ;;  # real sshd, ssh, sudo, su, login (root)
    fuzz) tally bash "$here/fuzz/run_fuzz.sh" --regress ;;  # every seed and past crash, once
    package) tally bash "$here/../packaging/ci_package_test.sh" ;;  # .deb build, dpkg -i, a login, purge; RPM, SELinux
    *) echo "unknown suite: $suite" >&2; exit 2 ;;
  esac
done

echo
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
