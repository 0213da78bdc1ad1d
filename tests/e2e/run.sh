#!/usr/bin/env bash
# End-to-end suite: the module inside the real sshd, ssh, sudo, su and login
# (tests/e2e/README.md). Starts the local Twilio stand-in, then hands over to
# e2e.py, which changes this machine (users, /etc/pam.d, sudoers) and undoes
# every change when it ends, however it ends.
#   tests/e2e/run.sh [test [NAME...] | bench [RUNS] | demo]      (default: test)
# Needs root and the packages of `make deps`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
case "$BUILD" in /*) ;; *) BUILD="$root/$BUILD" ;; esac
export BUILD

fail() { echo "[  FAILED  ] 1 test(s): $*"; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
  # A developer's `make check` without root still runs every other suite.
  [ "${1:-test}" = test ] && { echo "e2e: skipped: needs root (it adds users and PAM services, and runs sshd)"; exit 0; }
  echo "$0 ${1:-}: needs root (it adds a user and a PAM service, and runs sshd)" >&2
  exit 1
fi
for tool in /usr/sbin/sshd ssh ssh-keygen sudo visudo su login runuser useradd; do
  command -v "$tool" >/dev/null || fail "$tool is missing (make deps)"
done
/usr/bin/python3 -c 'import pexpect' 2>/dev/null || fail "python3-pexpect is missing (make deps)"
[ -f "$BUILD/pam_twilio_otp.so" ] || fail "no $BUILD/pam_twilio_otp.so (make all)"

work=$(mktemp -d /tmp/twotp-e2e-twilio.XXXXXX)
# shellcheck source=../fake_twilio/fake_env.sh
source "$root/tests/fake_twilio/fake_env.sh"
pid=
# TERM, INT or HUP for this script go on to e2e.py, which undoes its changes.
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null' TERM INT HUP
trap 'fake_twilio_stop; rm -rf "$work"' EXIT
fake_twilio_start "$work/twilio" >/dev/null || fail "the Twilio stand-in did not start"

/usr/bin/python3 -B "$here/e2e.py" "$@" &
pid=$!
while :; do
  wait "$pid"
  rc=$?
  kill -0 "$pid" 2>/dev/null || break  # a trapped signal ends `wait` early
done
exit "$rc"
