#!/usr/bin/env bash
# Integration suite: the built module loaded by real Linux-PAM (pam_wrapper,
# libpamtest) with a private service directory, against the local Twilio
# stand-in over real TLS, in verify mode and in messaging mode, with the
# numbers in a users file and then in a real slapd (ldaps://, root bind;
# tests/ldap/slapd_env.sh): the same scenarios on both backends.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
work=$(mktemp -d /tmp/twotp-integration.XXXXXX)
# shellcheck source=../fake_twilio/fake_env.sh
source "$root/tests/fake_twilio/fake_env.sh"
cleanup() {
  fake_twilio_stop
  declare -F ldap_stop >/dev/null && ldap_stop
  rm -rf "$work"
}
trap cleanup EXIT

fake_twilio_start "$work/fake" >/dev/null || { echo "[  FAILED  ] 1 test(s): the Twilio stand-in did not start"; exit 1; }
source "$root/tests/common/pam_wrapper.sh"
wrapper=$(pam_wrapper_lib) || { echo "[  FAILED  ] 1 test(s): no pam_wrapper"; exit 1; }
nss=$(nss_wrapper_lib) || { echo "[  FAILED  ] 1 test(s): no nss_wrapper"; exit 1; }
items=$(dirname "$wrapper")/pam_wrapper/pam_set_items.so
[ -f "$items" ] || { echo "[  FAILED  ] 1 test(s): no $items"; exit 1; }
# shellcheck source=../ldap/slapd_env.sh
source "$root/tests/ldap/slapd_env.sh"
ldap_start "$work/slapd" IT >"$work/slapd-start.log" 2>&1 || {
  cat "$work/slapd-start.log"
  echo "[  FAILED  ] 1 test(s): slapd did not start"
  exit 1
}
# The host's ldap.conf must not steer the module or the harness.
export LDAPNOINIT=1 TWOTP_LDAPS_URI=$SLAPD_LDAPS_URI_IT TWOTP_LDAP_CA=$SLAPD_CA TWOTP_LDAP_BASE=$SLAPD_BASE \
  TWOTP_LDAP_ROOT_DN=$SLAPD_ROOT_DN TWOTP_LDAP_PW_FILE=$SLAPD_PW_FILE
# TWOTP_VALGRIND=1: one run (file backend, verify mode) under valgrind
# memcheck; any error or definitely-lost byte fails it.
# TWOTP_INTEGRATION_RUNS: a subset of the runs (CI's sanitizer pass takes
# the users file only; the LDAP backend's own suite runs there too).
runs=${TWOTP_INTEGRATION_RUNS:-"file:verify file:messaging ldap:verify ldap:messaging"}
runner=()
# TWOTP_SOAK=N: only the memory soak, N logins in one process (messaging
# mode: the quickest full login).
[ -n "${TWOTP_SOAK:-}" ] && runs="file:messaging"
if [ -n "${TWOTP_VALGRIND:-}" ]; then
  runs="file:verify"
  runner=(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite
    --errors-for-leak-kinds=definite --track-origins=yes --log-file="$work/valgrind.%p.log")
fi
# The fleet state's tests (fleet_test.cc) run in the ldap:verify run, against
# two providers in multi-provider replication.
if [[ " $runs " == *" ldap:verify "* ]]; then
  ldap_start_providers "$work/fleet-a" "$work/fleet-b" FA FB >"$work/fleet-start.log" 2>&1 || {
    cat "$work/fleet-start.log"
    echo "[  FAILED  ] 1 test(s): the two slapd providers did not start"
    exit 1
  }
  export TWOTP_FLEET_URI_A=$SLAPD_LDAPS_URI_FA TWOTP_FLEET_URI_B=$SLAPD_LDAPS_URI_FB TWOTP_FLEET_PID_B=$SLAPD_PID_FB \
    TWOTP_FLEET_SUFFIX=$SLAPD_SUFFIX TWOTP_FLEET_ROOT_DN=$SLAPD_ROOT_DN TWOTP_FLEET_ROOT_PW_FILE=$SLAPD_PW_FILE \
    TWOTP_FLEET_STATE_DN=$SLAPD_STATE_DN TWOTP_FLEET_STATE_PW_FILE=$SLAPD_STATE_PW_FILE
fi
rc=0
for run in $runs; do
  backend=${run%%:*} mode=${run#*:}
  dir="$work/$backend-$mode"
  mkdir -p "$dir/services"  # state/ is made by the module itself (0700)
  chmod 700 "$dir"
  # pam_wrapper reads the service directory once, at start: one service per
  # config slot, each test writing its slot's config (see harness.cc).
  slots=80
  for n in $(seq 0 $((slots - 1))); do
    echo "auth required $BUILD/pam_twilio_otp.so config=$dir/slot$n.conf" >"$dir/services/twotp_slot$n"
    # The same behind pam_wrapper's pam_set_items, which copies PAM_RHOST/PAM_TTY
    # from the environment into the handle, as sshd and login would set them.
    printf 'auth required %s\nauth required %s config=%s\n' "$items" "$BUILD/pam_twilio_otp.so" \
      "$dir/items_slot$n.conf" >"$dir/services/twotp_items_slot$n"
  done
  echo "auth required pam_deny.so" >"$dir/services/other"
  # The module refuses users NSS doesn't know: the harness adds each user a
  # test logs in as to this passwd file (harness.h, EnsureAccount).
  nss_wrapper_files "$dir"
  LD_PRELOAD="$wrapper:$nss" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$dir/services" \
    TWOTP_SERVICE_SLOTS=$slots TWOTP_TEST_DIR="$dir" TWOTP_MODE="$mode" TWOTP_BACKEND="$backend" TWOTP_CLI="$BUILD/twilio-otp" \
    "${runner[@]}" "$BUILD/tests/integration/pam_login_test" || rc=1
done
if [ -n "${TWOTP_VALGRIND:-}" ]; then
  for log in "$work"/valgrind.*.log; do
    [ -s "$log" ] || continue
    echo "valgrind: $log"
    cat "$log"
    rc=1
  done
fi
exit $rc
