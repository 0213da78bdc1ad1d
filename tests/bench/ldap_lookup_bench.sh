#!/usr/bin/env bash
# make bench (second part): the time LdapDirectory::Lookup takes to find one
# user among USERS (default 100000) entries, median of RUNS (default 100)
# lookups of users spread over the directory, against a throwaway slapd on
# loopback (tests/ldap/slapd_env.sh). Each lookup is what a login pays: one
# new connection, TLS, bind, search, unbind. Two ways:
#   ldap://   anonymous, no TLS        (the floor)
#   ldaps://  the test CA, simple bind as the root DN (a real deployment)
# Run as root with Debian's slapd (make deps), like tests/ldap/run.sh; the
# program is BUILD/tests/bench/ldap_lookup_bench (built by make bench; this
# script compiles nothing).
#   USERS=100000 RUNS=100 bash tests/bench/ldap_lookup_bench.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
case "$BUILD" in /*) ;; *) BUILD="$root/$BUILD" ;; esac
bin="$BUILD/tests/bench/ldap_lookup_bench"
users=${USERS:-100000}
runs=${RUNS:-100}

if [ ! -x "$bin" ]; then
  echo "ldap_lookup_bench.sh: $bin is not built (make bench)" >&2
  exit 1
fi
if [ ! -x /usr/sbin/slapd ]; then
  echo "ldap_lookup_bench.sh: /usr/sbin/slapd missing (make deps)" >&2
  exit 1
fi

script_start=$EPOCHREALTIME
work=$(mktemp -d /tmp/twotp-ldap-bench.XXXXXX)
cleanup() {
  # shellcheck disable=SC2119  # no NAME: stop every instance we started
  declare -F ldap_stop >/dev/null && ldap_stop
  rm -rf "$work"
}
trap cleanup EXIT

# The host's ldap.conf and ~/.ldaprc must not steer the figures.
export LDAPNOINIT=1

# shellcheck source=tests/ldap/slapd_env.sh
. "$root/tests/ldap/slapd_env.sh"
# slapadd of the whole directory dominates the script's run time: say how long.
load_start=$EPOCHREALTIME
SLAPD_EXTRA_USERS=$users ldap_start "$work/slapd" BENCH
load_end=$EPOCHREALTIME
echo "ldap bench: slapd loaded $users entries (slapadd) and listening in" \
  "$(awk -v s="$load_start" -v e="$load_end" 'BEGIN {printf "%.1f", e - s}') s"

"$bin" --uri "$SLAPD_URI_BENCH" --base "$SLAPD_BASE" --users "$users" --runs "$runs"
"$bin" --uri "$SLAPD_LDAPS_URI_BENCH" --base "$SLAPD_BASE" --users "$users" --runs "$runs" \
  --ca "$SLAPD_CA" --bind-dn "$SLAPD_ROOT_DN" --password-file "$SLAPD_PW_FILE"

echo "ldap bench: whole script $(awk -v s="$script_start" -v e="$EPOCHREALTIME" 'BEGIN {printf "%.1f", e - s}') s"
