#!/usr/bin/env bash
# Runs the libFuzzer targets that tests/fuzz/fuzz.mk builds (it builds nothing).
#
#   tests/fuzz/run_fuzz.sh [SECONDS] [TARGET...]   fuzz each target for SECONDS (default 60), one after another
#   tests/fuzz/run_fuzz.sh --regress [TARGET...]   run each target once over corpus/<target>/ and regressions/<target>/
#
# Fuzzing starts from a temporary copy of corpus/<target>/ and
# regressions/<target>/, so the repository is never written to. Per target it
# prints the executions and exec/s (libFuzzer's -print_final_stats=1); a crash,
# leak, timeout or broken invariant fails the run and prints where libFuzzer
# saved the input (under $FUZZ_ARTIFACTS, default build/fuzz/artifacts/<target>/).
# Copy that file into tests/fuzz/regressions/<target>/ to keep it as a
# regression test.
#
# --regress prints cmocka-style "[  PASSED  ] N" / "[  FAILED  ] N" lines (one
# test per target) for tests/run_all.sh; both modes end with
# "fuzz: N passed, N failed". Exit status 0 only when every target passed.
#
# Environment: FUZZ_BUILD (binaries; default ${BUILD:-build}/fuzz), FUZZ_ARTIFACTS,
# FUZZ_NICE (niceness of the fuzzing processes, default 10).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

FUZZ_BUILD=${FUZZ_BUILD:-${BUILD:-build}/fuzz}
case "$FUZZ_BUILD" in /*) ;; *) FUZZ_BUILD="$root/$FUZZ_BUILD" ;; esac
FUZZ_ARTIFACTS=${FUZZ_ARTIFACTS:-$FUZZ_BUILD/artifacts}
case "$FUZZ_ARTIFACTS" in /*) ;; *) FUZZ_ARTIFACTS="$root/$FUZZ_ARTIFACTS" ;; esac
FUZZ_NICE=${FUZZ_NICE:-10}

mode=fuzz
seconds=60
if [ "${1:-}" = "--regress" ]; then
  mode=regress
  shift
elif [ -n "${1:-}" ] && [[ "$1" =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
if [ "$mode" = fuzz ] && [ "$seconds" -lt 1 ]; then
  echo "run_fuzz.sh: SECONDS must be at least 1" >&2
  exit 2
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in "$here"/fuzz_*.cc; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .cc)
    targets+=("$name")
  done
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "run_fuzz.sh: no fuzz targets in $here" >&2
  exit 2
fi

# Longest input worth trying, per target: a real config is a few KiB, a
# users file line at most 1 KiB (longer lines are malformed), a typed code
# or number a handful of characters.
max_len_of() {
  case "$1" in
    fuzz_config) echo 8192 ;;
    fuzz_users_file) echo 4096 ;;
    fuzz_twilio_reply) echo 4096 ;;
    fuzz_message_template) echo 2048 ;;
    fuzz_code_input) echo 256 ;;
    fuzz_phone) echo 128 ;;
    *) echo 4096 ;;
  esac
}

# Extra libFuzzer options while fuzzing. fuzz_config: libconfig 1.5 leaks a
# few bytes on most syntax errors (see lsan.supp), and libFuzzer then runs a
# full leak check after each such input, a tenth of the speed. Leaks are still
# caught: LeakSanitizer checks the whole process at exit (a leak in our code
# fails the run, without naming the input), and --regress checks each input.
extra_args_of() {
  case "$1" in
    fuzz_config) echo -detect_leaks=0 ;;
  esac
}

# On tmpfs when there is one: the users-file target's atomic rewrites fsync.
scratch_root=${TMPDIR:-/tmp}
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && scratch_root=/dev/shm
work=$(mktemp -d "$scratch_root/twotp-fuzz-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Scratch files of the targets (fuzz_util.h's ScratchDir) go here, and go with it.
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"
# Sanitizer reports end the process (UBSan is built with -fno-sanitize-recover).
export ASAN_OPTIONS="abort_on_error=0:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"

passed=0
failed=0
failures=()

# The inputs of one target: its seeds and its saved crash inputs (README
# files are notes, not inputs).
inputs_of() {
  local dir
  for dir in "$here/corpus/$1" "$here/regressions/$1"; do
    [ -d "$dir" ] || continue
    find "$dir" -maxdepth 1 -type f ! -name 'README*' ! -name '.*' -print
  done | LC_ALL=C sort
}

# final_stat NAME LOG: a number from libFuzzer's final stats, 0 when absent.
final_stat() {
  awk -v key="stat::$1:" '$1 == key { v = $2 } END { print v + 0 }' "$2"
}

report_failure() {
  local target=$1 log=$2 rc=$3
  echo "FAIL $target (exit $rc); the last lines of $log:"
  # The verdict lines, and the stack frames in our own code.
  grep -E 'ERROR:|FUZZ INVARIANT|runtime error|SUMMARY|#[0-9]+ 0x.* (/[^ ]*)?(pam_module|tests)/' "$log" | head -20 |
    sed 's/^/    /'
  local unit
  unit=$(grep -Eo 'Test unit written to .*' "$log" | tail -1 | sed 's/^Test unit written to //')
  if [ -n "$unit" ] && [ ! -s "$unit" ] && grep -q 'LeakSanitizer' "$log"; then
    echo "    a leak found when the process ended, not tied to one input; find it with"
    echo "    $FUZZ_BUILD/$target -detect_leaks=1 -runs=0 <corpus dir>, or tests/fuzz/run_fuzz.sh --regress $target"
  elif [ -n "$unit" ]; then
    echo "    crash input: $unit"
    echo "    keep it:     cp '$unit' tests/fuzz/regressions/$target/"
    echo "    reproduce:   $FUZZ_BUILD/$target '$unit'"
  fi
}

run_regress() {
  local target=$1 bin=$2 log=$3
  mapfile -t files < <(inputs_of "$target")
  echo "[ RUN      ] $target (${#files[@]} inputs)"
  if [ ${#files[@]} -eq 0 ]; then
    echo "[  FAILED  ] $target: no inputs in tests/fuzz/corpus/$target/"
    return 1
  fi
  # Each file once (libFuzzer's "run these inputs" mode writes nothing).
  local rc=0
  nice -n "$FUZZ_NICE" "$bin" -timeout=30 -artifact_prefix="$FUZZ_ARTIFACTS/$target/" "${files[@]}" >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    report_failure "$target" "$log" "$rc"
    # libFuzzer stops at the first failing file: name every one that fails.
    local f
    for f in "${files[@]}"; do
      nice -n "$FUZZ_NICE" "$bin" -timeout=30 -artifact_prefix="$work/" "$f" >/dev/null 2>&1 ||
        echo "    fails: ${f#"$root"/}"
    done
    return 1
  fi
  echo "[       OK ] $target"
}

run_fuzz() {
  local target=$1 bin=$2 log=$3
  local corpus="$work/corpus/$target"
  mkdir -p "$corpus"
  local f known=0
  while IFS= read -r f; do
    # A saved crash input whose bug is not fixed yet would stop libFuzzer while
    # it loads the corpus: report it, leave it out, and fuzz on.
    if [[ "$f" == "$here/regressions/"* ]] &&
       ! nice -n "$FUZZ_NICE" "$bin" -timeout=30 -artifact_prefix="$work/" "$f" >"$log.regression" 2>&1; then
      echo "FAIL $target: regression input still fails: ${f#"$root"/}"
      grep -E 'ERROR:|FUZZ INVARIANT|runtime error' "$log.regression" | head -4 | sed 's/^/    /'
      known=$((known + 1))
      continue
    fi
    # Regressions may share a name with a seed.
    cp "$f" "$corpus/$(basename "$(dirname "$f")")-$(basename "$f")"
  done < <(inputs_of "$target")
  rm -f "$log.regression"
  local seeds
  seeds=$(find "$corpus" -type f | wc -l)
  local args=(-max_total_time="$seconds" -max_len="$(max_len_of "$target")" -timeout=10
              -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$FUZZ_ARTIFACTS/$target/")
  [ -f "$here/dict/$target.dict" ] && args+=(-dict="$here/dict/$target.dict")
  local extra
  extra=$(extra_args_of "$target")
  [ -n "$extra" ] && args+=($extra)
  echo "== $target: ${seconds}s from $seeds seeds (max_len $(max_len_of "$target"))"
  local rc=0 start end
  start=$(date +%s)
  nice -n "$FUZZ_NICE" "$bin" "${args[@]}" "$corpus" >"$log" 2>&1 || rc=$?
  end=$(date +%s)
  local execs rate
  execs=$(final_stat number_of_executed_units "$log")
  # libFuzzer's own average is 0 for a run that ends within its first second.
  rate=$(final_stat average_exec_per_sec "$log")
  [ "$rate" -eq 0 ] && rate=$((execs / ((end - start) > 0 ? (end - start) : 1)))
  printf '%-24s %12s executions %8s exec/s  %5s new units  %4ss  peak rss %s MB\n' "$target" "$execs" "$rate" \
    "$(final_stat new_units_added "$log")" "$((end - start))" "$(final_stat peak_rss_mb "$log")"
  if [ "$rc" -ne 0 ]; then
    report_failure "$target" "$log" "$rc"
    return 1
  fi
  [ "$known" -eq 0 ]
}

mkdir -p "$FUZZ_ARTIFACTS"
for target in "${targets[@]}"; do
  bin="$FUZZ_BUILD/$target"
  mkdir -p "$FUZZ_ARTIFACTS/$target"
  log="$FUZZ_ARTIFACTS/$target.log"
  if [ ! -x "$bin" ]; then
    echo "FAIL $target: $bin is missing; build it with 'make fuzz-build' (tests/fuzz/fuzz.mk)"
    failed=$((failed + 1))
    failures+=("$target")
    continue
  fi
  if "run_$mode" "$target" "$bin" "$log"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$target")
  fi
done

echo
if [ "$mode" = regress ]; then
  [ "$passed" -gt 0 ] && echo "[  PASSED  ] $passed test(s)."
  [ "$failed" -gt 0 ] && echo "[  FAILED  ] $failed test(s), listed below:" && printf '[  FAILED  ] %s\n' "${failures[@]}"
fi
[ "$failed" -gt 0 ] && echo "failed: ${failures[*]} (logs and inputs under $FUZZ_ARTIFACTS)"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
