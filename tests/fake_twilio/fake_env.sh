# shellcheck shell=bash
# fake_env.sh — a bash library for test scripts: runs the local Twilio
# stand-in (fake_twilio.py) for one test account and writes module configs
# that point at it. Source it, don't run it:
#
#   . tests/fake_twilio/fake_env.sh
#   fake_twilio_start "$work/twilio"       # CA, credentials, server; exports FAKE_TWILIO_*
#   fake_twilio_write_config "$work/pam_twilio_otp.conf" verify
#   fake_twilio_control '{"fault": "http503", "times": 1}'
#   code=$(fake_twilio_last_code +15550104567)
#   fake_twilio_stop
#
# Exported by fake_twilio_start:
#   FAKE_TWILIO_URL                  https://127.0.0.1:PORT (both APIs, one port)
#   FAKE_TWILIO_DIR                  the state dir: port, records.jsonl, control.json, users, state/
#   FAKE_TWILIO_CA                   the test CA certificate (ca_file)
#   FAKE_TWILIO_ACCOUNT_SID          AC… of the fixed test account
#   FAKE_TWILIO_TOKEN_FILE           its auth token (0600, owned by the caller)
#   FAKE_TWILIO_API_KEY_SID          SK… an API key of the account
#   FAKE_TWILIO_API_KEY_SECRET_FILE  its secret (0600)
#   FAKE_TWILIO_VERIFY_SID           VA… the Verify service
#   FAKE_TWILIO_MESSAGING_SID        MG… a Messaging Service
#   FAKE_TWILIO_FROM                 +15005550006, the account's number
#   FAKE_TWILIO_PID                  the server's PID
# Secrets are random per start and live only in files.

FAKE_TWILIO_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's interpreter on purpose: a pyenv shim in PATH must not pick another.
FAKE_TWILIO_PYTHON=${FAKE_TWILIO_PYTHON:-/usr/bin/python3}

# The fixed test account (SIDs are not secrets; fixed values make logs readable).
FAKE_TWILIO_ACCOUNT_SID=ACf4ce0000000000000000000000000001
FAKE_TWILIO_VERIFY_SID=VAf4ce0000000000000000000000000002
FAKE_TWILIO_MESSAGING_SID=MGf4ce0000000000000000000000000003
FAKE_TWILIO_API_KEY_SID=SKf4ce0000000000000000000000000004
FAKE_TWILIO_FROM=+15005550006

# fake_twilio_start DIR [EXTRA fake_twilio.py ARGS...]
#   e.g. fake_twilio_start "$dir" --verify-ttl 2 --verify-code-length 8
fake_twilio_start() {
  local dir=${1:?usage: fake_twilio_start DIR [fake_twilio.py args...]}
  shift
  if [ -n "${FAKE_TWILIO_PID:-}" ] && kill -0 "$FAKE_TWILIO_PID" 2>/dev/null; then
    echo "fake_twilio_start: already running (pid $FAKE_TWILIO_PID)" >&2
    return 1
  fi
  mkdir -p "$dir" || return 1
  dir=$(cd "$dir" && pwd) || return 1
  bash "$FAKE_TWILIO_HOME/make_test_ca.sh" "$dir/tls" || return 1

  # Credentials: created by the caller with umask 077, so 0600 and owned by
  # the user running the tests (the module checks both).
  (
    umask 077
    openssl rand -hex 16 >"$dir/auth_token.tmp" && mv -f "$dir/auth_token.tmp" "$dir/auth_token" &&
      openssl rand -hex 16 >"$dir/api_key_secret.tmp" && mv -f "$dir/api_key_secret.tmp" "$dir/api_key_secret"
  ) || return 1
  chmod 0600 "$dir/auth_token" "$dir/api_key_secret"

  rm -f "$dir/port" "$dir/control.json"
  "$FAKE_TWILIO_PYTHON" "$FAKE_TWILIO_HOME/fake_twilio.py" \
    --cert "$dir/tls/server.pem" --key "$dir/tls/server.key" --state-dir "$dir" \
    --wrong-ca-cert "$dir/tls/wrong_ca.pem" --wrong-ca-key "$dir/tls/wrong_ca.key" \
    --wrong-host-cert "$dir/tls/wrong_host.pem" --wrong-host-key "$dir/tls/wrong_host.key" \
    --account-sid "$FAKE_TWILIO_ACCOUNT_SID" --auth-token-file "$dir/auth_token" \
    --api-key-sid "$FAKE_TWILIO_API_KEY_SID" --api-key-secret-file "$dir/api_key_secret" \
    --verify-service-sid "$FAKE_TWILIO_VERIFY_SID" \
    --messaging-service-sid "$FAKE_TWILIO_MESSAGING_SID" --from "$FAKE_TWILIO_FROM" \
    "$@" >>"$dir/fake_twilio.log" 2>&1 &
  local pid=$!

  # Bounded wait for the port file (written once the server listens).
  local i
  for ((i = 0; i < 100; i++)); do
    [ -s "$dir/port" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "fake_twilio_start: the stand-in exited; its log:" >&2
      tail -n 20 "$dir/fake_twilio.log" >&2
      return 1
    fi
    sleep 0.1
  done
  if [ ! -s "$dir/port" ]; then
    echo "fake_twilio_start: no port after 10 s; its log:" >&2
    tail -n 20 "$dir/fake_twilio.log" >&2
    kill "$pid" 2>/dev/null
    return 1
  fi

  local port
  port=$(cat "$dir/port") || return 1
  export FAKE_TWILIO_PID=$pid
  export FAKE_TWILIO_DIR=$dir
  export FAKE_TWILIO_URL="https://127.0.0.1:$port"
  export FAKE_TWILIO_CA=$dir/tls/ca.pem
  export FAKE_TWILIO_TOKEN_FILE=$dir/auth_token
  export FAKE_TWILIO_API_KEY_SECRET_FILE=$dir/api_key_secret
  export FAKE_TWILIO_ACCOUNT_SID FAKE_TWILIO_VERIFY_SID FAKE_TWILIO_MESSAGING_SID
  export FAKE_TWILIO_API_KEY_SID FAKE_TWILIO_FROM
}

# fake_twilio_stop: TERM, then KILL after 5 s. Safe to call twice (e.g. from a trap).
fake_twilio_stop() {
  local pid=${FAKE_TWILIO_PID:-}
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    local i
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  unset FAKE_TWILIO_PID
  return 0
}

# fake_twilio_control JSON — replaces control.json atomically (the server
# re-reads it on every request and restarts its `times` count). An empty
# argument clears every fault. The JSON is checked first, so a typo fails here
# rather than silently injecting nothing.
#   fake_twilio_control '{"fault": "twilio_error", "error_http": 403, "error_code": 60410, "only": "verification"}'
#   fake_twilio_control '{"fault": "wrong_ca"}'   # TLS faults: same port, another certificate
fake_twilio_control() {
  local json=${1-}
  local dir=${FAKE_TWILIO_DIR:?fake_twilio_control: call fake_twilio_start first}
  [ -n "$json" ] || json='{}'
  printf '%s\n' "$json" | "$FAKE_TWILIO_PYTHON" -B -c '
import json, sys
sys.path.insert(0, sys.argv[1])
from fake_twilio import FAULTS
try:
    c = json.load(sys.stdin)
except ValueError as e:
    sys.exit("fake_twilio_control: not JSON (%s)" % e)
if not isinstance(c, dict):
    sys.exit("fake_twilio_control: not a JSON object")
if c.get("fault", "none") not in FAULTS:
    sys.exit("fake_twilio_control: fault must be one of " + ", ".join(FAULTS))
' "$FAKE_TWILIO_HOME" || return 1
  printf '%s\n' "$json" >"$dir/control.json.tmp.$$" && mv -f "$dir/control.json.tmp.$$" "$dir/control.json"
}

# fake_twilio_last_code NUMBER — the latest code sent to NUMBER (see records.py).
fake_twilio_last_code() {
  "$FAKE_TWILIO_PYTHON" "$FAKE_TWILIO_HOME/records.py" "${FAKE_TWILIO_DIR:?}" last-code "${1:?usage: fake_twilio_last_code NUMBER}"
}

# fake_twilio_write_config PATH MODE [LINE...]
#   MODE: verify             Verify v2 (verify_service_sid)
#         messaging          Programmable Messaging from FAKE_TWILIO_FROM (SMS and calls)
#         messaging-service  SMS through the Messaging Service, calls from FAKE_TWILIO_FROM
#   LINEs are appended verbatim as top-level settings, e.g.
#     'policy = { failmode = "safe"; channels = ["sms", "call"]; };'
#   FAKE_TWILIO_AUTH=apikey uses the API key instead of the auth token;
#   FAKE_TWILIO_TIMEOUT sets twilio.timeout (default 5 s).
# Writes a pam_twilio_otp config (libconfig, schema in DESIGN.md) whose
# api_url and verify_url are the stand-in, ca_file the test CA,
# directory.file DIR/users (created empty if missing) and state_dir DIR/state.
# The config is root-owned 0600 (tests run as root; the module insists).
fake_twilio_write_config() {
  local path=${1:?usage: fake_twilio_write_config PATH verify|messaging|messaging-service [LINE...]}
  local mode=${2:?usage: fake_twilio_write_config PATH verify|messaging|messaging-service [LINE...]}
  shift 2
  local dir=${FAKE_TWILIO_DIR:?fake_twilio_write_config: call fake_twilio_start first}
  local mode_lines credentials
  case "$mode" in
    verify)
      mode_lines="  mode = \"verify\";
  verify_service_sid = \"$FAKE_TWILIO_VERIFY_SID\";" ;;
    messaging)
      mode_lines="  mode = \"messaging\";
  from = \"$FAKE_TWILIO_FROM\";" ;;
    messaging-service)
      mode_lines="  mode = \"messaging\";
  messaging_service_sid = \"$FAKE_TWILIO_MESSAGING_SID\";
  from = \"$FAKE_TWILIO_FROM\";" ;;
    *) echo "fake_twilio_write_config: MODE must be verify, messaging or messaging-service" >&2; return 2 ;;
  esac
  if [ "${FAKE_TWILIO_AUTH:-token}" = apikey ]; then
    credentials="  api_key_sid = \"$FAKE_TWILIO_API_KEY_SID\";
  api_key_secret_file = \"$FAKE_TWILIO_API_KEY_SECRET_FILE\";"
  else
    credentials="  auth_token_file = \"$FAKE_TWILIO_TOKEN_FILE\";"
  fi

  (umask 077 && mkdir -p "$dir/state") || return 1
  if [ ! -e "$dir/users" ]; then
    (umask 077 && printf '# pam_twilio_otp users (test directory)\n' >"$dir/users") || return 1
  fi

  local tmp
  tmp=$(mktemp "$(dirname "$path")/.conf.XXXXXX") || return 1
  {
    echo "# Written by tests/fake_twilio/fake_env.sh: the local Twilio stand-in at $FAKE_TWILIO_URL"
    echo "twilio = {"
    echo "$mode_lines"
    echo "  account_sid = \"$FAKE_TWILIO_ACCOUNT_SID\";"
    echo "$credentials"
    echo "  api_url = \"$FAKE_TWILIO_URL\";"
    echo "  verify_url = \"$FAKE_TWILIO_URL\";"
    echo "  ca_file = \"$FAKE_TWILIO_CA\";"
    echo "  timeout = ${FAKE_TWILIO_TIMEOUT:-5};"
    echo "};"
    echo "directory = {"
    echo "  backend = \"file\";"
    echo "  file = \"$dir/users\";"
    echo "};"
    echo "state_dir = \"$dir/state\";"
    local line
    for line in "$@"; do
      echo "$line"
    done
  } >"$tmp" || { rm -f "$tmp"; return 1; }
  chmod 0600 "$tmp"
  if [ "$(id -u)" -eq 0 ]; then
    chown root:root "$tmp" "$dir/users" "$dir/state"
  else
    echo "fake_twilio_write_config: not root, so $path is not root-owned (the module will refuse it)" >&2
  fi
  mv -f "$tmp" "$path"
}
