#!/usr/bin/env bash
# Runs the test suites and prints one closing line "check: N passed, N failed".
#   tests/run_all.sh [unit|symbols|layout|integration|cli|ldap|contract|e2e|fuzz|package ...]   (default: all)
# Each suite reports cmocka-style "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)"
# lines; this script adds them up and exits non-zero if anything failed.
# Before the closing line (which CI greps, so it stays last and as it is):
# one line per suite run ("  unit: 367 passed, 0 failed") and, if anything
# failed, the failed tests by name, from their "[  FAILED  ] name" lines:
# the output above is long, and the failures would be far up in it.
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
declare -A suite_passed suite_failed
suites_run=()     # in the order they ran, for the summary
failed_names=()   # "SUITE: test name", in the order they failed
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# failed_test_names: the names in $log's "[  FAILED  ] name" lines, once
# each. Left out: the count lines ("[  FAILED  ] 2 test(s), listed below:",
# whose list repeats names already seen), e2e's "(1.2 s)" after a name, a
# layout rule's closing colon, and a bare "name" once "name: why" was seen.
# Long reasons are cut: the full line is in the output above.
failed_test_names() {
  sed -n 's/^\[  FAILED  \] //p' "$log" |
    grep -Ev '^[0-9]+ test\(s\)(\.|, listed below:)?$' |
    sed -E -e 's/ \([0-9.]+ m?s\)$//' -e 's/:$//' |
    awk '{ if (length($0) > 150) $0 = substr($0, 1, 147) "..."; if (!seen[$0]++) names[++n] = $0 }
         END { for (i = 1; i <= n; i++) { dup = 0
                 for (j = 1; j <= n; j++) if (j != i && index(names[j], names[i] ": ") == 1) dup = 1
                 if (!dup) print names[i] } }'
}

# tally LABEL CMD...: runs part of the current $suite, shows its output, adds
# up its counts; failed tests are listed as "LABEL: name". A part that exits
# non-zero without reporting a failure counts as one failure.
tally() {
  local label=$1
  shift
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local p f name
  p=$(grep -Eo '\[  PASSED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
  f=$(grep -Eo '\[  FAILED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
  while IFS= read -r name; do failed_names+=("$label: $name"); done < <(failed_test_names)
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    echo "suite failed (exit $rc): $*"
    failed_names+=("$label: exited $rc without naming a failed test: $*")
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  suite_passed[$suite]=$((${suite_passed[$suite]:-0} + p))
  suite_failed[$suite]=$((${suite_failed[$suite]:-0} + f))
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

declare -A suite_seconds  # wall time per suite, for the summary (where CI's minutes go)
for suite in "${suites[@]}"; do
  suite_start=$SECONDS
  case "$suite" in
    unit)
      for t in "$BUILD"/tests/unit/test_*; do
        [ -x "$t" ] && [ "${t%.o}" = "$t" ] && [ "${t%.d}" = "$t" ] && tally "unit/${t##*/}" "$t"
      done ;;
    symbols)  # what the module and its parts (engine, LDAP backend) export, link and load
      tally symbols bash "$here/symbols/check_exports.sh"
      tally symbols bash "$here/symbols/check_module_parts.sh" ;;
    layout) tally layout bash "$here/layout/check_layout.sh" ;;  # folders, include direction, library confinement
    integration) [ -f "$here/integration/run.sh" ] && tally integration bash "$here/integration/run.sh" ;;
    cli) tally cli bash "$here/cli/run.sh" ;;
    ldap)  # the backend against slapd; the shipped schema's forms; the two-provider fixture
      tally ldap bash "$here/ldap/run.sh"
      tally ldap bash "$here/ldap/schema_forms_test.sh"
      tally ldap bash "$here/ldap/replication_fixture_test.sh" ;;
    contract) [ -f "$here/contract/run.sh" ] && tally contract bash "$here/contract/run.sh" ;;
    e2e) tally e2e bash "$here/e2e/run.sh" ;;  # real sshd, ssh, sudo, su, login (root)
    fuzz) tally fuzz bash "$here/fuzz/run_fuzz.sh" --regress ;;  # every seed and past crash, once
    package) tally package bash "$here/../packaging/ci_package_test.sh" ;;  # .deb build, dpkg -i, a login, purge; RPM, SELinux
    *) echo "unknown suite: $suite" >&2; exit 2 ;;
  esac
  suite_seconds[$suite]=$((${suite_seconds[$suite]:-0} + SECONDS - suite_start))
  [[ " ${suites_run[*]} " == *" $suite "* ]] || suites_run+=("$suite")
done

echo
echo "suites:"
for suite in "${suites_run[@]}"; do
  echo "  $suite: ${suite_passed[$suite]:-0} passed, ${suite_failed[$suite]:-0} failed (${suite_seconds[$suite]} s)"
done
if [ ${#failed_names[@]} -gt 0 ]; then
  echo "failed:"
  printf '  %s\n' "${failed_names[@]}"
fi
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
