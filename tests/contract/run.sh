#!/usr/bin/env bash
# tests/contract/run.sh — the contract suite: do our Twilio client and our
# Twilio stand-in both agree with Twilio's published OpenAPI specs?
#
#   1. the stand-in's own tests (tests/fake_twilio/test_fake_twilio.py);
#   2. Twilio's specs (specs/, copied from twilio/twilio-oai) served as
#      validating mocks (serve_specs.sh: Stoplight Prism from npm, installed
#      into ~/.cache/twilio-contract on first use) behind a TLS front
#      (stunnel4, test CA), probed with curl;
#   3. ${BUILD:-build}/tests/contract/contract_client VERIFY_URL API_URL CA_FILE
#      LOOKUP_URL: every request our client can make, through its production
#      TLS path;
#   4. tests/contract/check_fake_shapes.py: every reply fake_twilio.py serves
#      validated against the spec's schema for that path and status.
#
# Each part prints "[       OK ]" / "[  FAILED  ]" lines and a
# "[  PASSED  ] N test(s)." line (tests/run_all.sh adds them up). Everything
# listens on 127.0.0.1 on free ports; every process started here is stopped on
# exit. Exit status 1 if anything failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$root/$BUILD ;; esac
PYTHON=/usr/bin/python3  # Debian's, with python3-jsonschema; not a pyenv shim
client=$BUILD/tests/contract/contract_client

specs=$here/specs  # Twilio's OpenAPI specs, as published (specs/README.md)

# shellcheck source=tests/fake_twilio/fake_env.sh
. "$root/tests/fake_twilio/fake_env.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/twotp-contract.XXXXXX")
serve_pid=
stunnel_pid=
failures=0

cleanup() {
  local rc=$?
  if [ -n "$stunnel_pid" ]; then
    kill "$stunnel_pid" 2>/dev/null
  fi
  if [ -n "$serve_pid" ]; then
    # serve_specs.sh's own trap stops its Prism processes on TERM; its
    # children are also signalled directly (by parent PID) in case it is
    # stuck in npm.
    pkill -TERM -P "$serve_pid" 2>/dev/null
    kill -TERM "$serve_pid" 2>/dev/null
  fi
  fake_twilio_stop
  wait 2>/dev/null
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ok NAME / failed NAME WHY: one line per harness check.
harness_passed=0
ok() { echo "[       OK ] $1"; harness_passed=$((harness_passed + 1)); }
failed() { echo "[  FAILED  ] $1${2:+: $2}"; failures=$((failures + 1)); }

# free_ports N: the first of N consecutive free loopback ports, picked at
# random in 20000-59999 (serve needs three in a row, stunnel three more).
free_ports() {
  "$PYTHON" - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(500):
    base = random.randint(20000, 60000 - n)
    held = []
    try:
        for port in range(base, base + n):
            s = socket.socket()
            held.append(s)
            s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        for s in held:
            s.close()
    print(base)
    sys.exit(0)
sys.exit("no block of %d free ports" % n)
EOF
}

# wait_for_line FILE REGEX SECONDS PID: until FILE has a line matching REGEX,
# PID dies, or time runs out.
wait_for_line() {
  local i
  for ((i = 0; i < $3 * 5; i++)); do
    grep -Eq "$2" "$1" 2>/dev/null && return 0
    kill -0 "$4" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

# --- 1. the stand-in's own tests ---------------------------------------------------
echo "== contract: the Twilio stand-in's own tests"
"$PYTHON" "$root/tests/fake_twilio/test_fake_twilio.py" || failures=$((failures + 1))

# --- 2. the spec mocks behind TLS --------------------------------------------------
echo "== contract: Twilio's OpenAPI specs as validating mocks (Prism) behind TLS (stunnel4)"
if ! fake_twilio_start "$work/fake" >/dev/null; then
  failed "fake_twilio: the stand-in did not start"
  exit 1
fi
ca=$FAKE_TWILIO_CA
base=$(free_ports 6) || { failed "ports" "no free loopback ports"; exit 1; }
verify_tls=$((base + 3))
api_tls=$((base + 4))
lookup_tls=$((base + 5))

bash "$here/serve_specs.sh" "$base" >"$work/serve.log" 2>&1 &
serve_pid=$!
# The first run installs Prism from npm: allow a few minutes.
if ! wait_for_line "$work/serve.log" '^ready ' 300 "$serve_pid"; then
  failed "serve" "the spec mocks did not start; last lines:"
  tail -n 15 "$work/serve.log" | sed 's/^/    /'
  exit 1
fi

cat >"$work/stunnel.conf" <<EOF
; TLS front for the plain-HTTP spec mocks, with the test CA's server certificate.
foreground = yes
pid = $work/stunnel.pid
syslog = no
debug = notice

[verify]
accept = 127.0.0.1:$verify_tls
connect = 127.0.0.1:$base
cert = $FAKE_TWILIO_DIR/tls/server.pem
key = $FAKE_TWILIO_DIR/tls/server.key

[api]
accept = 127.0.0.1:$api_tls
connect = 127.0.0.1:$((base + 1))
cert = $FAKE_TWILIO_DIR/tls/server.pem
key = $FAKE_TWILIO_DIR/tls/server.key

[lookups]
accept = 127.0.0.1:$lookup_tls
connect = 127.0.0.1:$((base + 2))
cert = $FAKE_TWILIO_DIR/tls/server.pem
key = $FAKE_TWILIO_DIR/tls/server.key
EOF
stunnel4 "$work/stunnel.conf" >"$work/stunnel.log" 2>&1 &
stunnel_pid=$!

verify_url=https://127.0.0.1:$verify_tls
api_url=https://127.0.0.1:$api_tls
lookup_url=https://127.0.0.1:$lookup_tls
up=no
for ((i = 0; i < 50; i++)); do
  if curl -s -o /dev/null --cacert "$ca" --max-time 2 "$verify_url/" &&
     curl -s -o /dev/null --cacert "$ca" --max-time 2 "$api_url/" &&
     curl -s -o /dev/null --cacert "$ca" --max-time 2 "$lookup_url/"; then
    up=yes
    break
  fi
  kill -0 "$stunnel_pid" 2>/dev/null || break
  sleep 0.2
done
if [ "$up" != yes ]; then
  failed "stunnel" "the TLS front did not come up; its log:"
  sed 's/^/    /' "$work/stunnel.log"
  exit 1
fi

# probe NAME EXPECTED_HTTP URL [curl args...]: the mock through the front.
probe() {
  local name=$1 want=$2 url=$3
  shift 3
  local got
  got=$(curl -sS -o "$work/probe.out" -w '%{http_code}' --cacert "$ca" --max-time 10 \
    -u "$FAKE_TWILIO_ACCOUNT_SID:not-a-real-token" "$@" "$url" 2>"$work/probe.err")
  if [ "$got" = "$want" ]; then
    ok "$name"
  else
    failed "$name" "HTTP ${got:-none}, expected $want: $(head -c 300 "$work/probe.out" "$work/probe.err")"
  fi
}
VA=$FAKE_TWILIO_VERIFY_SID
AC=$FAKE_TWILIO_ACCOUNT_SID
probe "tls front: Verify mock accepts a valid Verifications create" 201 \
  "$verify_url/v2/Services/$VA/Verifications" --data-urlencode To=+15550104567 --data-urlencode Channel=sms
probe "tls front: Verify mock refuses a create without Channel" 422 \
  "$verify_url/v2/Services/$VA/Verifications" --data-urlencode To=+15550104567
probe "tls front: API mock accepts a valid Messages create" 201 \
  "$api_url/2010-04-01/Accounts/$AC/Messages.json" --data-urlencode To=+15550104567 \
  --data-urlencode From=+15005550006 --data-urlencode "Body=123456 is your code"
probe "tls front: API mock refuses JSON instead of a form" 415 \
  "$api_url/2010-04-01/Accounts/$AC/Messages.json" -H 'Content-Type: application/json' \
  --data '{"To": "+15550104567", "From": "+15005550006", "Body": "x"}'
probe "tls front: Lookup mock answers a line type lookup" 200 \
  "$lookup_url/v2/PhoneNumbers/%2B15550104567?Fields=line_type_intelligence"
echo "[  PASSED  ] $harness_passed test(s)."

# --- 3. our client against the spec ----------------------------------------------
echo "== contract: our client ($client) against the spec mocks"
if [ -x "$client" ]; then
  "$client" "$verify_url" "$api_url" "$ca" "$lookup_url" || failures=$((failures + 1))
else
  echo "[  FAILED  ] contract_client: $client is missing (not written or not built: make)"
  failures=$((failures + 1))
fi

# --- 4. our stand-in against the spec --------------------------------------------
echo "== contract: fake_twilio.py replies against the spec's schemas"
"$PYTHON" "$here/check_fake_shapes.py" --specs "$specs" || failures=$((failures + 1))

if [ "$failures" -ne 0 ]; then
  echo "contract: $failures part(s) failed"
  exit 1
fi
echo "contract: all parts passed"
