#!/usr/bin/env bash
# make demo: one administrator's first hour, on loopback. Starts the local
# Twilio stand-in (HTTPS, throwaway CA), writes a config pointing at it,
# enrolls a demo user with the CLI (a code is sent and typed back), then runs
# one full login through real Linux-PAM (pamtester under pam_wrapper, so
# /etc/pam.d is never touched), printing the prompts and the message the
# stand-in received. DEMO_MODE=messaging shows Programmable Messaging instead
# of Verify.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
case "$BUILD" in /*) ;; *) BUILD="$root/$BUILD" ;; esac
mode=${DEMO_MODE:-verify}
user=demo
number=+15550104567
work=$(mktemp -d /tmp/twotp-demo.XXXXXX)
# shellcheck source=../fake_twilio/fake_env.sh
source "$root/tests/fake_twilio/fake_env.sh"
trap 'fake_twilio_stop; rm -rf "$work"' EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
records_now() {
  if [ -f "$FAKE_TWILIO_DIR/records.jsonl" ]; then wc -l <"$FAKE_TWILIO_DIR/records.jsonl"; else echo 0; fi
}

say "Starting the local Twilio stand-in ($mode mode)"
fake_twilio_start "$work/twilio" >/dev/null
echo "stand-in: $FAKE_TWILIO_URL (CA: $FAKE_TWILIO_CA)"
conf=$work/pam_twilio_otp.conf
fake_twilio_write_config "$conf" "$mode"
echo "config:   $conf"
"$BUILD/twilio-otp" --config "$conf" check-config --online

# The demo user exists only for NSS under nss_wrapper: enroll refuses
# accounts the system doesn't know, and so does the module.
source "$root/tests/common/pam_wrapper.sh"
wrapper=$(pam_wrapper_lib)
nss=$(nss_wrapper_lib)
nss_wrapper_files "$work" "$user"

say "Enrolling $user at $number (the CLI sends a code and waits for it)"
since=$(records_now)
"$here/feed_code.py" "$FAKE_TWILIO_DIR" "$number" "$since" |
  LD_PRELOAD="$nss" "$BUILD/twilio-otp" --config "$conf" enroll "$user" "$number"
"$BUILD/twilio-otp" --config "$conf" list

say "Logging in as $user through PAM (service twilio-otp-demo)"
services=$work/pam.d
mkdir -p "$services"
echo "auth required $BUILD/pam_twilio_otp.so config=$conf" >"$services/twilio-otp-demo"
echo "auth required pam_deny.so" >"$services/other"
echo "PAM stack: $(cat "$services/twilio-otp-demo")"
since=$(records_now)
"$here/feed_code.py" "$FAKE_TWILIO_DIR" "$number" "$since" |
  LD_PRELOAD="$wrapper:$nss" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$services \
    stdbuf -o0 pamtester -v twilio-otp-demo "$user" authenticate
echo "(the code was typed from the message below; the prompt does not echo it)"

say "What the stand-in received for that login"
/usr/bin/python3 - "$FAKE_TWILIO_DIR/records.jsonl" "$since" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").readlines()[int(sys.argv[2]):]
for line in lines:
    r = json.loads(line)
    what = r.get("body") or ("code " + r["code"] if r.get("code") else "")
    print(f'{r["kind"]:<20} to={r.get("to") or "-":<14} HTTP {r["status"]}  {what}')
PY
say "Login succeeded"
