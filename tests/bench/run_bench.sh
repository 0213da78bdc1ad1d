#!/usr/bin/env bash
# make bench: wall time and peak memory of one full login (send + prompt +
# check, real PAM via pamtester under pam_wrapper, real TLS to the local
# stand-in), median of RUNS (default 20), in each mode, beside a baseline
# stack of pam_permit alone. The code is typed by feed_code.py as soon as the
# stand-in records it (it polls every 5 ms, so the figures include up to 5 ms
# of "typing").
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
source "$root/tests/common/pam_wrapper.sh"
trap 'fake_twilio_stop; rm -rf "$work"' EXIT
fake_twilio_start "$work/twilio" >/dev/null
wrapper=$(pam_wrapper_lib)
nss=$(nss_wrapper_lib)
nss_wrapper_files "$work" bench  # the module refuses users NSS doesn't know
mkdir -p "$work/pam.d"
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
  "${typist[@]}" | LD_PRELOAD="$wrapper:$nss" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$work/pam.d \
    /usr/bin/time -o "$work/rss" -f '%M' pamtester "$service" bench authenticate >/dev/null 2>&1
  end=$EPOCHREALTIME
  echo "$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f", (e - s) * 1000}') $(cat "$work/rss")" >>"$work/times"
}

report() {  # report LABEL
  echo "bench $1: $(wc -l <"$work/times") logins, median wall $(awk '{print $1}' "$work/times" | median) ms," \
    "median peak RSS $(awk '{print $2}' "$work/times" | median) KiB (max $(awk '{print $2}' "$work/times" | sort -n | tail -1) KiB)"
}

: >"$work/times"
for _ in $(seq "$runs"); do login bench-baseline; done
report "baseline (pam_permit only)"

for mode in verify messaging; do
  # Back-to-back logins of one user: lift the per-user send limits for the bench.
  fake_twilio_write_config "$work/$mode.conf" "$mode" \
    'limits = { resend_cooldown = 0; sends_per_window = 100; send_window = 60; global_sends_per_hour = 100000; };'
  printf 'bench %s sms -\n' "$number" >"$FAKE_TWILIO_DIR/users"
  chmod 600 "$FAKE_TWILIO_DIR/users"
  echo "auth required $BUILD/pam_twilio_otp.so config=$work/$mode.conf" >"$work/pam.d/bench-$mode"
  : >"$work/times"
  for _ in $(seq "$runs"); do login "bench-$mode"; done
  report "$mode (send + check over TLS)"
done
