#!/usr/bin/env bash
# The LDAP backend against real slapd: starts two throwaway instances with
# the same data (tests/ldap/slapd_env.sh), a listener that accepts and never
# answers, an unrelated CA, and runs BUILD/tests/unit/test_ldap_directory
# (built by the Makefile; this script compiles nothing). Run as root; needs
# Debian's slapd package. Prints cmocka's lines for tests/run_all.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
case "$BUILD" in /*) ;; *) BUILD="$root/$BUILD" ;; esac
bin="$BUILD/tests/unit/test_ldap_directory"

if [ ! -x "$bin" ]; then
  echo "[  FAILED  ] 1 test(s): $bin is not built (make)"
  exit 1
fi
if [ ! -x /usr/sbin/slapd ]; then
  echo "[  FAILED  ] 1 test(s): /usr/sbin/slapd missing (apt-get install slapd)"
  exit 1
fi

work=$(mktemp -d /tmp/twotp-ldap.XXXXXX)
stall_pids=()
cleanup() {
  declare -F ldap_stop >/dev/null && ldap_stop
  local pid
  for pid in "${stall_pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/ldap/slapd_env.sh
. "$here/slapd_env.sh"
ldap_start "$work/a" A || { echo "[  FAILED  ] 1 test(s): slapd A did not start"; exit 1; }
# B also has 600 more users: listing them crosses pages and slapd's default
# size limit (500).
SLAPD_EXTRA_USERS=600 ldap_start "$work/b" B || { echo "[  FAILED  ] 1 test(s): slapd B did not start"; exit 1; }
bash "$root/tests/fake_twilio/make_test_ca.sh" "$work/other-ca" || exit 1

# Servers that misbehave (tests/ldap/stall_server.py): one accepts and never
# answers, one never completes a connect, one resets after the bind.
silent_port=$(ldap_free_port) && full_port=$(ldap_free_port) && reset_port=$(ldap_free_port) || exit 1
for mode in silent full reset; do
  port_var=${mode}_port
  /usr/bin/python3 "$here/stall_server.py" "$mode" "${!port_var}" "$work/$mode.ready" &
  stall_pids+=($!)
  for ((i = 0; i < 50; i++)); do [ -e "$work/$mode.ready" ] && break; sleep 0.1; done
done

export TWOTP_LDAP_URI=$SLAPD_URI_A TWOTP_LDAPS_URI=$SLAPD_LDAPS_URI_A TWOTP_LDAP_URI2=$SLAPD_URI_B \
  TWOTP_LDAPS_URI2=$SLAPD_LDAPS_URI_B
closed=$(ldap_free_port) && closed2=$(ldap_free_port) || exit 1
export TWOTP_LDAP_CLOSED_URI="ldap://127.0.0.1:$closed" TWOTP_LDAP_CLOSED_URI2="ldap://127.0.0.1:$closed2"
export TWOTP_LDAP_SILENT_URI="ldap://127.0.0.1:$silent_port" \
  TWOTP_LDAP_SILENT_LDAPS_URI="ldaps://127.0.0.1:$silent_port" \
  TWOTP_LDAP_NO_CONNECT_URI="ldap://127.0.0.1:$full_port" TWOTP_LDAP_RESET_URI="ldap://127.0.0.1:$reset_port"
export TWOTP_LDAP_CA=$SLAPD_CA TWOTP_LDAP_WRONG_CA=$work/other-ca/ca.pem
export TWOTP_LDAP_BASE=$SLAPD_BASE TWOTP_LDAP_ROOT_DN=$SLAPD_ROOT_DN TWOTP_LDAP_PW_FILE=$SLAPD_PW_FILE
# The host's ldap.conf and ~/.ldaprc must not steer the tests.
export LDAPNOINIT=1

timeout 300 "$bin"
