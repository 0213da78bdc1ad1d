#!/usr/bin/env bash
# make bench, in one run: one side-by-side table of whole logins (rows.py:
# pamtester + pam_permit, pamtester + pam_google_authenticator, a minimal
# libcurl client doing our two Verify requests, the same client loading the
# system CA bundle, our verify and messaging logins, our cold start), then
# the users-file lookup at 1 to 1M lines, the state writes of one login, 50
# logins of one user at once, 200 users logging in at once, and the LDAP
# lookup bench; every figure goes to tests/bench/results/bench-*.json.
#
# Everything runs against the local stand-in (real TLS, its own CA) through
# real Linux-PAM behind pam_wrapper/nss_wrapper: nothing on the host touched.
#   RUNS=15                 timed runs per row and delay (at least 15)
#   BENCH_BASELINE=FILE.so  adds rows for an older module, same configs
#   BENCH_LDAP=0            skips the LDAP lookup bench (slapadd of 100k entries)
# Run as root (the module insists on root-owned configs), after make bench's
# build: BUILD/pam_twilio_otp.so and BUILD/tests/bench/*.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
case "$BUILD" in /*) ;; *) BUILD="$root/$BUILD" ;; esac
runs=${RUNS:-15}
baseline=${BENCH_BASELINE:-}
python=/usr/bin/python3
number=+15550104567
crowd_users=200
client="$BUILD/tests/bench/minimal_curl_client"
measure="$BUILD/tests/bench/measure"
for f in "$BUILD/pam_twilio_otp.so" "$client" "$measure" "$BUILD"/tests/bench/{private_tmp,users_file_bench}; do
  [ -f "$f" ] || { echo "run_bench.sh: $f is not built (make bench)" >&2; exit 1; }
done
if [ -n "$baseline" ]; then
  case "$baseline" in /*) ;; *) baseline="$PWD/$baseline" ;; esac
  [ -f "$baseline" ] || { echo "run_bench.sh: BENCH_BASELINE=$baseline: no such file" >&2; exit 1; }
fi
work=$(mktemp -d /tmp/twotp-bench.XXXXXX)
mkdir "$work/json"  # one JSON fragment per figure; results.py joins them
# shellcheck source=../fake_twilio/fake_env.sh
source "$root/tests/fake_twilio/fake_env.sh"
source "$root/tests/common/pam_wrapper.sh"
trap 'fake_twilio_stop; rm -rf "$work"' EXIT
fake_twilio_start "$work/twilio" >/dev/null
wrapper=$(pam_wrapper_lib)
nss=$(nss_wrapper_lib)
# The module refuses users NSS doesn't know: bench, and the crowd's c001…
nss_wrapper_files "$work" bench $(seq -f 'c%03g' "$crowd_users")
mkdir -p "$work/pam.d"
# What every pamtester here runs under: real PAM behind pam_wrapper, NSS
# behind nss_wrapper, our services.
pam_env=(LD_PRELOAD="$wrapper:$nss" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$work/pam.d")
echo "auth required pam_deny.so" >"$work/pam.d/other"

records_now() {
  if [ -f "$FAKE_TWILIO_DIR/records.jsonl" ]; then wc -l <"$FAKE_TWILIO_DIR/records.jsonl"; else echo 0; fi
}

# users_file LINE...: the users file, exactly these lines.
users_file() {
  printf '%s\n' "$@" >"$FAKE_TWILIO_DIR/users"
  chmod 600 "$FAKE_TWILIO_DIR/users"
}

# service NAME MODE [LINE...]: a PAM service NAME through the module (or
# $MODULE), with a config for MODE (and LINEs) pointing at the stand-in.
service() {
  local name=$1 mode=$2
  shift 2
  fake_twilio_write_config "$work/$name.conf" "$mode" "$@"
  echo "auth required ${MODULE:-$BUILD/pam_twilio_otp.so} config=$work/$name.conf" >"$work/pam.d/$name"
}

# first_login_ever: the bench user alone in the users file, with no state
# (no sends, no failures), as on its first login.
first_login_ever() {
  users_file "bench $number sms -"
  rm -rf "$FAKE_TWILIO_DIR/state"
}

# --- The table's services ---------------------------------------------------
echo "auth required pam_permit.so" >"$work/pam.d/bench-permit"
# Google Authenticator: a TOTP secret for bench in its home directory. As
# root under pam_wrapper the module would switch to bench's uid, which can't
# enter this 0700 work dir; user=root keeps root, and with user= the secret
# is named by its path (the module refuses ${HOME} there).
mkdir -p "$work/home/bench"
sed -i "s|^bench:\(.*\):/nonexistent:|bench:\1:$work/home/bench:|" "$work/passwd"
secret=$("$python" -c 'import base64, os; print(base64.b32encode(os.urandom(10)).decode())')
echo "$secret" >"$work/ga_secret"
(umask 077 && printf '%s\n" TOTP_AUTH\n' "$secret" >"$work/home/bench/.google_authenticator")
chmod 0400 "$work/home/bench/.google_authenticator"
echo "auth required pam_google_authenticator.so secret=$work/home/bench/.google_authenticator user=root" \
  >"$work/pam.d/bench-ga"
# The naive client's CA file: the whole system bundle, the stand-in's CA last.
cat /etc/ssl/certs/ca-certificates.crt "$FAKE_TWILIO_CA" >"$work/system-bundle.pem"

# our_services SUFFIX: verify, messaging and cold start through $MODULE.
# Back-to-back logins of one user: the per-user send limits lifted (a
# window of 1 s), and the global cap.
our_services() {
  local lifted='limits = { resend_cooldown = 0; sends_per_window = 100; send_window = 1; global_sends_per_hour = 100000; };'
  service "bench-verify$1" verify "$lifted"
  service "bench-messaging$1" messaging "$lifted"
  # The cold start: bench is a break-glass account, so the module loads,
  # reads its config and returns PAM_IGNORE without a request. The stack
  # lets only PAM_IGNORE through to pam_permit: anything else fails the login.
  fake_twilio_write_config "$work/bench-exempt$1.conf" verify 'policy = { exempt_users = ["bench"]; };'
  printf 'auth [ignore=ignore default=die] %s config=%s\nauth required pam_permit.so\n' \
    "${MODULE:-$BUILD/pam_twilio_otp.so}" "$work/bench-exempt$1.conf" >"$work/pam.d/bench-exempt$1"
}
first_login_ever
our_services ""
if [ -n "$baseline" ]; then
  # Its own state dir: an older module need not read a newer one's files.
  MODULE=$baseline our_services -baseline
  (umask 077 && mkdir -p "$FAKE_TWILIO_DIR/state-baseline")
  sed -i "s|^state_dir = .*|state_dir = \"$FAKE_TWILIO_DIR/state-baseline\";|" "$work"/bench-*-baseline.conf
fi

"$python" "$here/rows.py" --work "$work" --runs "$runs" --client "$client" --measure "$measure" \
  --bundle "$work/system-bundle.pem" \
  --preload "$wrapper:$nss" --out "$work/json/table.json" ${baseline:+--baseline}
echo

# --- The users-file lookup, 1 to 1M lines (users_file_bench.cc) -------------
"$BUILD/tests/bench/users_file_bench" --runs "$runs" | tee "$work/users_file.txt"

# --- The state writes of one whole login ------------------------------------
# state_writes MODE: from its system calls (strace): renames (every state
# write is one) and fsyncs (a durable write makes two: the file, then its
# directory). The user's state is cleared first, so the login sends a code
# of its own.
state_writes() {
  service "writes-$1" "$1"
  first_login_ever
  # env inside strace: the wrappers are preloaded into pamtester, not strace.
  "$root/tests/demo/feed_code.py" "$FAKE_TWILIO_DIR" "$number" "$(records_now)" |
    strace -f -qq -o "$work/strace" -e trace=rename,renameat,renameat2,fsync,fdatasync \
      env "${pam_env[@]}" pamtester "writes-$1" bench authenticate >"$work/writes.out" 2>&1 || true
  grep -q "successfully authenticated" "$work/writes.out" || { cat "$work/writes.out"; return 1; }
  local renames fsyncs
  renames=$(grep -c 'rename' "$work/strace" || true)
  fsyncs=$(grep -Ec 'fsync|fdatasync' "$work/strace" || true)
  echo "bench state writes $1: one successful login: $renames state file(s) replaced, $fsyncs fsync(s)"
  printf '{"renames": %d, "fsyncs": %d}\n' "$renames" "$fsyncs" >"$work/json/state_writes_$1.json"
}

# --- 50 logins of one user at once -------------------------------------------
# crowd MODE: 50 logins of one user at once with the shipped limits, as 50
# terminals opened together: each waits at its prompt (pamtester reading a
# FIFO) until all are there or have ended, then each types the code the
# stand-in sent last. How they ended, and how many codes went out.
crowd() {
  local n=50 i since code pids=()
  service "crowd-$1" "$1"
  first_login_ever
  since=$(records_now)
  # 50 fit in pam_wrapper's copies of the services (/tmp/pam.X, one per
  # process, X one character; it reads no PAM_WRAPPER_RUNTIME_DIR): 200
  # don't, see concurrent_logins.py.
  for i in $(seq "$n"); do
    mkfifo "$work/in.$i"
    # The typist: holds the FIFO open until the gate opens, types the code
    # once and closes it (a second prompt then reads end of input).
    (while [ ! -e "$work/gate" ]; do sleep 0.05; done; cat "$work/gate") >"$work/in.$i" &
    pids+=($!)
    (
      rc=0
      env "${pam_env[@]}" pamtester "crowd-$1" bench authenticate <"$work/in.$i" >"$work/crowd.$i" 2>&1 || rc=$?
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
  sent=$(tail -n "+$((since + 1))" "$FAKE_TWILIO_DIR/records.jsonl" | "$python" -c '
import json, sys
print(sum(1 for line in sys.stdin for r in [json.loads(line)]
          if r.get("kind") in ("verification", "message", "call") and (r.get("status") or 500) < 300))')
  echo "bench crowd $1: $n logins of one user at once, shipped limits: $ok succeeded, $cooldown refused by the" \
    "cooldown, $locked locked out, $other otherwise refused; $sent code(s) sent"
  printf '{"logins": %d, "succeeded": %d, "cooldown": %d, "locked_out": %d, "other": %d, "codes_sent": %d}\n' \
    "$n" "$ok" "$cooldown" "$locked" "$other" "$sent" >"$work/json/crowd_one_user_$1.json"
  rm -rf "$work"/crowd.* "$work"/in.* "$work/gate"
}

state_writes verify
state_writes messaging
crowd verify
crowd messaging

# --- 200 users logging in at once --------------------------------------------
# c001… each with a number of its own; shipped per-user limits, the global
# send cap lifted (200 sends in a minute would otherwise meet it).
lines=()
for i in $(seq "$crowd_users"); do lines+=("$(printf 'c%03d +1555020%04d sms -' "$i" "$i")"); done
users_file "${lines[@]}"
for mode in verify messaging; do
  rm -rf "$FAKE_TWILIO_DIR/state"
  service "many-$mode" "$mode" 'limits = { global_sends_per_hour = 100000; };'
  "$python" "$here/concurrent_logins.py" --work "$work" --service "many-$mode" --users "$crowd_users" \
    --preload "$wrapper:$nss" --private-tmp "$BUILD/tests/bench/private_tmp" --out "$work/json/concurrent_$mode.json"
done

# --- The LDAP lookup bench (its own slapd) -----------------------------------
if [ "${BENCH_LDAP:-1}" != 0 ]; then
  echo
  BUILD=$BUILD bash "$here/ldap_lookup_bench.sh" | tee "$work/ldap.txt"
fi

echo
"$python" "$here/results.py" --work "$work" --root "$root" --runs "$runs" ${baseline:+--baseline "$baseline"}
