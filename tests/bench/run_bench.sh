#!/usr/bin/env bash
# make bench: wall time and peak memory of one full login (send + prompt +
# check, real PAM via pamtester under pam_wrapper, real TLS to the local
# stand-in), median of RUNS (default 20), in each mode, beside a baseline
# stack of pam_permit alone. The code is typed by feed_code.py as soon as the
# stand-in records it (it polls every 5 ms, so the figures include up to 5 ms
# of "typing"). Last, verify mode again with the users file padded to
# USERS_LINES (default 1000000) lines, the user on the last: what a large
# file adds to a whole login.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
case "$BUILD" in /*) ;; *) BUILD="$root/$BUILD" ;; esac
runs=${RUNS:-20}
users_lines=${USERS_LINES:-1000000}
number=+15550104567
work=$(mktemp -d /tmp/twotp-bench.XXXXXX)
# shellcheck source=../fake_twilio/fake_env.sh
source "$root/tests/fake_twilio/fake_env.sh"
source "$root/tests/common/pam_wrapper.sh"
trap 'fake_twilio_stop; rm -rf "$work"' EXIT
fake_twilio_start "$work/twilio" >/dev/null
wrapper=$(pam_wrapper_lib)
nss=$(nss_wrapper_lib)
nss_wrapper_files "$work" bench  # the module refuses users NSS doesn't know
mkdir -p "$work/pam.d"
# What every pamtester here runs under: real PAM behind pam_wrapper, NSS
# behind nss_wrapper, our services.
pam_env=(LD_PRELOAD="$wrapper:$nss" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$work/pam.d")
echo "auth required pam_deny.so" >"$work/pam.d/other"
echo "auth required pam_permit.so" >"$work/pam.d/bench-baseline"

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
records_now() {
  if [ -f "$FAKE_TWILIO_DIR/records.jsonl" ]; then wc -l <"$FAKE_TWILIO_DIR/records.jsonl"; else echo 0; fi
}

# login SERVICE: one pamtester login; appends "wall_ms peak_rss_kib" to $work/times.
login() {
  local service=$1 start end
  local typist=(cat /dev/null)
  [ "$service" = bench-baseline ] || typist=("$root/tests/demo/feed_code.py" "$FAKE_TWILIO_DIR" "$number" "$(records_now)")
  start=$EPOCHREALTIME
  "${typist[@]}" | env "${pam_env[@]}" \
    /usr/bin/time -o "$work/rss" -f '%M %U %S' pamtester "$service" bench authenticate >/dev/null 2>&1
  end=$EPOCHREALTIME
  local rss user sys
  read -r rss user sys <"$work/rss"
  echo "$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f", (e - s) * 1000}') $rss" \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.0f", (u + s) * 1000}')" >>"$work/times"
}

report() {  # report LABEL
  echo "bench $1: $(wc -l <"$work/times") logins, median wall $(awk '{print $1}' "$work/times" | median) ms," \
    "median CPU $(awk '{print $3}' "$work/times" | median) ms (10 ms ticks)," \
    "median peak RSS $(awk '{print $2}' "$work/times" | median) KiB (max $(awk '{print $2}' "$work/times" | sort -n | tail -1) KiB)"
}

: >"$work/times"
for _ in $(seq "$runs"); do login bench-baseline; done
report "baseline (pam_permit only)"

# users_file LINES: the bench user on the last of LINES lines.
users_file() {
  awk -v n="$1" -v number="$number" 'BEGIN {
    for (i = 0; i < n - 1; i++) printf "user%07d +1555%07d sms 2026-11-23T19:00:00Z\n", i, i
    printf "bench %s sms -\n", number
  }' >"$FAKE_TWILIO_DIR/users"
  chmod 600 "$FAKE_TWILIO_DIR/users"
}

# service NAME MODE [LINE...]: a PAM service NAME through the module, with a
# config for MODE (and LINEs) pointing at the stand-in.
service() {
  local name=$1 mode=$2
  shift 2
  fake_twilio_write_config "$work/$name.conf" "$mode" "$@"
  echo "auth required $BUILD/pam_twilio_otp.so config=$work/$name.conf" >"$work/pam.d/$name"
}

# first_login_ever: the bench user alone in the users file, with no state
# (no sends, no failures), as on its first login.
first_login_ever() {
  users_file 1
  rm -rf "$FAKE_TWILIO_DIR/state"
}

# bench_mode MODE LINES LABEL
bench_mode() {
  # Back-to-back logins of one user: lift the per-user send limits for the bench.
  service "bench-$1" "$1" \
    'limits = { resend_cooldown = 0; sends_per_window = 100; send_window = 60; global_sends_per_hour = 100000; };'
  users_file "$2"
  : >"$work/times"
  for _ in $(seq "$runs"); do login "bench-$1"; done
  report "$3"
}

bench_mode verify 1 "verify (send + check over TLS)"
bench_mode messaging 1 "messaging (send + check over TLS)"
bench_mode verify "$users_lines" "verify, users file of $users_lines lines"

# state_writes MODE: the state writes of one whole login, from its system
# calls (strace): renames (every state write is one) and fsyncs (a durable
# write makes two: the file, then its directory). The user's state is
# cleared first, so the login sends a code of its own.
state_writes() {
  service "writes-$1" "$1"
  first_login_ever
  # env inside strace: the wrappers are preloaded into pamtester, not strace.
  "$root/tests/demo/feed_code.py" "$FAKE_TWILIO_DIR" "$number" "$(records_now)" |
    strace -f -qq -o "$work/strace" -e trace=rename,renameat,renameat2,fsync,fdatasync \
      env "${pam_env[@]}" pamtester "writes-$1" bench authenticate >"$work/writes.out" 2>&1 || true
  grep -q "successfully authenticated" "$work/writes.out" || { cat "$work/writes.out"; return 1; }
  echo "bench state writes $1: one successful login: $(grep -c 'rename' "$work/strace") state file(s) replaced," \
    "$(grep -Ec 'fsync|fdatasync' "$work/strace") fsync(s)"
}

# crowd MODE: 50 logins of one user at once with the shipped limits, as 50
# terminals opened together: each waits at its prompt (pamtester reading a
# FIFO) until all are there or have ended, then each types the code the
# stand-in sent last. How they ended, and how many codes went out.
crowd() {
  local n=50 i since code pids=()
  service "crowd-$1" "$1"
  first_login_ever
  since=$(records_now)
  for i in $(seq "$n"); do
    # A runtime dir each: pam_wrapper's default names run out at 36 processes.
    mkdir -p "$work/pw.$i"
    mkfifo "$work/in.$i"
    # The typist: holds the FIFO open until the gate opens, types the code
    # once and closes it (a second prompt then reads end of input).
    (while [ ! -e "$work/gate" ]; do sleep 0.05; done; cat "$work/gate") >"$work/in.$i" &
    pids+=($!)
    (
      rc=0
      env "${pam_env[@]}" PAM_WRAPPER_RUNTIME_DIR="$work/pw.$i" \
        pamtester "crowd-$1" bench authenticate <"$work/in.$i" >"$work/crowd.$i" 2>&1 || rc=$?
      echo "rc=$rc" >>"$work/crowd.$i"
    ) &
    pids+=($!)
  done
  # The gate: every login at its prompt or ended (bounded only against a hang).
  local waited=0
  until [ "$( (grep -lE 'Verification code:|^rc=' "$work"/crowd.* || true) | wc -l)" -ge "$n" ] || [ $waited -ge 600 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  code=$(fake_twilio_last_code "$number" 2>/dev/null || true)
  echo "$code" >"$work/gate.new"
  mv "$work/gate.new" "$work/gate"
  wait "${pids[@]}"
  local ok cooldown locked other sent
  # ended_with TEXT: how many logins that failed showed TEXT.
  ended_with() { (grep -L '^rc=0$' "$work"/crowd.* | xargs -r grep -l "$1" || true) | wc -l; }
  ok=$( (grep -l '^rc=0$' "$work"/crowd.* || true) | wc -l)
  cooldown=$(ended_with 'A code was just sent')
  locked=$(ended_with 'Too many failed codes')
  other=$((n - ok - cooldown - locked))
  sent=$(tail -n "+$((since + 1))" "$FAKE_TWILIO_DIR/records.jsonl" | python3 -c '
import json, sys
print(sum(1 for line in sys.stdin for r in [json.loads(line)]
          if r.get("kind") in ("verification", "message", "call") and (r.get("status") or 500) < 300))')
  echo "bench crowd $1: $n logins of one user at once, shipped limits: $ok succeeded, $cooldown refused by the" \
    "cooldown, $locked locked out, $other otherwise refused; $sent code(s) sent"
  rm -rf "$work"/crowd.* "$work"/pw.* "$work"/in.* "$work/gate"
}

state_writes verify
state_writes messaging
crowd verify
crowd messaging
