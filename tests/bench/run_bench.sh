#!/usr/bin/env bash
# make bench: wall time and peak memory of one full login (send + prompt +
# check, real PAM via pamtester under pam_wrapper, real TLS to the local
# stand-in), median of RUNS (default 20), in each mode. The code is typed by
# feed_code.py as soon as the stand-in records it (it polls every 5 ms, so
# the figures include up to 5 ms of "typing").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
case "$BUILD" in /*) ;; *) BUILD="$root/$BUILD" ;; esac
runs=${RUNS:-20}
number=+15550104567
work=$(mktemp -d /tmp/twotp-bench.XXXXXX)
# shellcheck source=../fake_twilio/fake_env.sh
source "$root/tests/fake_twilio/fake_env.sh"
trap 'fake_twilio_stop; rm -rf "$work"' EXIT
fake_twilio_start "$work/twilio" >/dev/null
source "$root/tests/common/pam_wrapper.sh"
wrapper=$(pam_wrapper_lib)
mkdir -p "$work/pam.d"

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

for mode in verify messaging; do
  conf=$work/$mode.conf
  fake_twilio_write_config "$conf" "$mode" 'limits = { resend_cooldown = 0; };'
  printf 'bench %s sms -\n' "$number" >"$FAKE_TWILIO_DIR/users"
  chmod 600 "$FAKE_TWILIO_DIR/users"
  echo "auth required $BUILD/pam_twilio_otp.so config=$conf" >"$work/pam.d/bench-$mode"
  : >"$work/times"
  for _ in $(seq "$runs"); do
    since=$(wc -l <"$FAKE_TWILIO_DIR/records.jsonl" 2>/dev/null || echo 0)
    "$root/tests/demo/feed_code.py" "$FAKE_TWILIO_DIR" "$number" "$since" |
      LD_PRELOAD=$wrapper PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$work/pam.d \
        /usr/bin/time -a -o "$work/times" -f '%e %M' pamtester "bench-$mode" bench authenticate >/dev/null 2>&1
  done
  ok=$(wc -l <"$work/times")
  wall=$(awk '{print $1 * 1000}' "$work/times" | median)
  rss=$(awk '{print $2}' "$work/times" | median)
  peak=$(awk '{print $2}' "$work/times" | sort -n | tail -1)
  echo "bench $mode: $ok logins, median wall ${wall} ms, median peak RSS ${rss} KiB (max ${peak} KiB)"
done
