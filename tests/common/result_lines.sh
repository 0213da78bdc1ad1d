# shellcheck shell=bash
# result_lines.sh — the cmocka-style lines tests/run_all.sh counts, for the
# suites written in bash. Source it, don't run it:
#
#   check NAME FUNCTION   runs FUNCTION: "[       OK ] NAME", or
#                         "[  FAILED  ] NAME: $why" (FUNCTION sets why)
#   result_ok NAME        one passed test, counted
#   result_failed NAME WHY
#   result_summary        the totals; exits 1 when any test failed, else 0
#
# A script that defines check_setup NAME before calling check gets it run
# first (tests/cli/run.sh makes each test a fresh directory there).
passed=0
failed=0

result_ok() {
  echo "[       OK ] $1"
  passed=$((passed + 1))
}

result_failed() {
  echo "[  FAILED  ] $1: $2"
  failed=$((failed + 1))
}

check() {
  local name=$1
  why="returned non-zero"
  if declare -F check_setup >/dev/null; then check_setup "$name"; fi
  if "$2"; then
    result_ok "$name"
  else
    result_failed "$name" "$why"
  fi
}

result_summary() {
  echo "[  PASSED  ] $passed test(s)."
  if [ "$failed" -gt 0 ]; then
    echo "[  FAILED  ] $failed test(s)"
    exit 1
  fi
  exit 0
}
