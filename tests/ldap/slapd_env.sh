# shellcheck shell=bash
# slapd_env.sh — a bash library for test scripts: runs throwaway OpenLDAP
# slapd instances (Debian's slapd package) on loopback, each with its own
# slapd.conf and mdb database in a temp dir. Never touches /etc/ldap/slapd.d
# or the system service. Source it, don't run it:
#
#   . tests/ldap/slapd_env.sh
#   ldap_start "$work/a" A        # exports SLAPD_URI_A, SLAPD_LDAPS_URI_A, ...
#   ldap_start "$work/b" B        # a second instance with the same data (failover)
#   ldap_free_port                # prints a loopback port nobody listens on
#   ldap_stop B                   # one instance; `ldap_stop` stops them all
#
# Exported by ldap_start DIR [NAME] (NAME defaults to MAIN):
#   SLAPD_URI_NAME        ldap://127.0.0.1:PORT   (StartTLS offered)
#   SLAPD_LDAPS_URI_NAME  ldaps://127.0.0.1:PORT2
#   SLAPD_PID_NAME        the slapd process
# and, the same for every instance:
#   SLAPD_CA              the test CA (ca_file); from tests/fake_twilio/make_test_ca.sh
#   SLAPD_SUFFIX          dc=example,dc=com
#   SLAPD_BASE            ou=people,dc=example,dc=com
#   SLAPD_ROOT_DN         cn=admin,dc=example,dc=com (may write everything)
#   SLAPD_PW_FILE         its password (0600, random per start, no newline)
# Anonymous binds may read everything and write nothing (slapd's default ACL).
#
# The directory (_ldap_data below), under ou=people:
#   alice  mobile +15550104567          bob    no mobile (not enrolled)
#   carol  mobile "555-CALL-ME"         dave   two entries (duplicate)
#   erin   two mobile values            frank  no mobile (for enroll tests)
#   uid "*)(uid=*"  mobile +15550100001 (filter-injection bait)
#   uid "back\slash" mobile +15550100002
#   grace  mobile +15550104005, phoneNumberVerified FALSE
#   heidi  mobile +15550104006, phoneNumberVerified TRUE, otpChannel call
#   ivan   mobile +15550104007, phoneNumberVerified TRUE, otpChannel "pigeon"
# Every entry above has the auxiliary class twotpTestPhone
# (tests/ldap/twotp-test.schema), so the CLI can set those two attributes.
# With SLAPD_EXTRA_USERS=N set, ldap_start also loads N more users
# user000000.. with mobile +1555NNNNNNN (paging tests, the lookup benchmark).

SLAPD_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SLAPD_BIN=${SLAPD_BIN:-/usr/sbin/slapd}
SLAPD_SUFFIX="dc=example,dc=com"
SLAPD_BASE="ou=people,$SLAPD_SUFFIX"
SLAPD_ROOT_DN="cn=admin,$SLAPD_SUFFIX"
declare -gA SLAPD_PIDS=()
export SLAPD_SUFFIX SLAPD_BASE SLAPD_ROOT_DN

# ldap_free_port: a loopback TCP port that was free a moment ago.
ldap_free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# _ldap_data: the LDIF both instances load.
_ldap_data() {
  cat <<EOF
dn: $SLAPD_SUFFIX
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: $SLAPD_BASE
objectClass: organizationalUnit
ou: people

dn: ou=staff,$SLAPD_BASE
objectClass: organizationalUnit
ou: staff

EOF
  local u
  # NAME|RDN|MOBILE...|EXTRA: MOBILE may be empty or several, comma-separated;
  # EXTRA is optional "attr: value" lines separated by ";".
  for u in "alice|uid=alice|+15550104567" "bob|uid=bob|" "carol|uid=carol|555-CALL-ME" \
           "dave|uid=dave|+15550104001" "dave|uid=dave,ou=staff|+15550104002" \
           "erin|uid=erin|+15550104003,+15550104004" "frank|uid=frank|" \
           "*)(uid=*|cn=bait1|+15550100001" 'back\slash|cn=bait2|+15550100002' \
           "grace|uid=grace|+15550104005|phoneNumberVerified: FALSE" \
           "heidi|uid=heidi|+15550104006|phoneNumberVerified: TRUE;otpChannel: call" \
           "ivan|uid=ivan|+15550104007|phoneNumberVerified: TRUE;otpChannel: pigeon"; do
    local name=${u%%|*} rest=${u#*|}
    local rdn=${rest%%|*}
    rest=${rest#*|}
    local mobiles=${rest%%|*} extra=""
    [ "$rest" != "$mobiles" ] && extra=${rest#*|}
    printf 'dn: %s,%s\nobjectClass: inetOrgPerson\nobjectClass: twotpTestPhone\ncn: %s\nsn: %s\nuid: %s\n' \
      "$rdn" "$SLAPD_BASE" "${rdn#*=}" "${rdn#*=}" "$name"
    local m
    IFS=, read -ra m <<<"$mobiles"
    local one
    for one in "${m[@]}"; do printf 'mobile: %s\n' "$one"; done
    IFS=';' read -ra m <<<"$extra"
    for one in "${m[@]}"; do printf '%s\n' "$one"; done
    printf '\n'
  done
  awk -v n="${SLAPD_EXTRA_USERS:-0}" -v base="$SLAPD_BASE" 'BEGIN {
    for (i = 0; i < n; i++)
      printf "dn: uid=user%06d,%s\nobjectClass: inetOrgPerson\ncn: user%06d\nsn: user%06d\nuid: user%06d\nmobile: +1555%07d\n\n", i, base, i, i, i, i
  }'
}

# ldap_start DIR [NAME]
ldap_start() {
  local dir=${1:?usage: ldap_start DIR [NAME]} name=${2:-MAIN}
  if [ -n "${SLAPD_PIDS[$name]:-}" ]; then
    echo "ldap_start: $name already running (pid ${SLAPD_PIDS[$name]})" >&2
    return 1
  fi
  mkdir -p "$dir" || return 1
  dir=$(cd "$dir" && pwd) || return 1
  # The CA is shared by all instances: one ca_file trusts them all.
  local tls_dir=${SLAPD_TLS_DIR:-$(dirname "$dir")/ldap-tls}
  bash "$SLAPD_HOME/../fake_twilio/make_test_ca.sh" "$tls_dir" || return 1
  SLAPD_CA=$tls_dir/ca.pem
  SLAPD_PW_FILE=${SLAPD_PW_FILE:-$(dirname "$dir")/ldap-root.pw}
  if [ ! -s "$SLAPD_PW_FILE" ]; then
    (umask 077 && printf '%s' "$(openssl rand -hex 16)" >"$SLAPD_PW_FILE") || return 1
  fi
  chmod 0600 "$SLAPD_PW_FILE"
  export SLAPD_CA SLAPD_PW_FILE

  rm -rf "$dir/db" && mkdir -p "$dir/db" || return 1
  local hash
  hash=$(/usr/sbin/slappasswd -h '{SSHA}' -T "$SLAPD_PW_FILE") || return 1
  (umask 077 && cat >"$dir/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $SLAPD_HOME/twotp-test.schema
pidfile $dir/slapd.pid
argsfile $dir/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile $tls_dir/ca.pem
TLSCertificateFile $tls_dir/server.pem
TLSCertificateKeyFile $tls_dir/server.key
database mdb
maxsize 104857600
suffix "$SLAPD_SUFFIX"
rootdn "$SLAPD_ROOT_DN"
rootpw $hash
directory $dir/db
index objectClass,uid eq
access to * by * read
EOF
  ) || return 1
  _ldap_data >"$dir/data.ldif"
  if ! /usr/sbin/slapadd -q -f "$dir/slapd.conf" -l "$dir/data.ldif" >"$dir/slapadd.log" 2>&1; then
    echo "ldap_start: slapadd failed:" >&2
    cat "$dir/slapadd.log" >&2
    return 1
  fi

  local port port2
  port=$(ldap_free_port) && port2=$(ldap_free_port) || return 1
  # Foreground (-d) in the background, so $! is slapd itself and its log is
  # ours; root (no -u/-g), loopback only.
  "$SLAPD_BIN" -d stats -f "$dir/slapd.conf" -n "slapd-twotp-$name" \
    -h "ldap://127.0.0.1:$port/ ldaps://127.0.0.1:$port2/" >"$dir/slapd.log" 2>&1 &
  local pid=$!
  local i
  for ((i = 0; i < 100; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port2") 2>/dev/null; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "ldap_start: slapd $name exited; its log:" >&2
      tail -n 20 "$dir/slapd.log" >&2
      return 1
    fi
    sleep 0.1
  done
  if ((i == 100)); then
    echo "ldap_start: slapd $name did not listen within 10 s" >&2
    kill "$pid" 2>/dev/null
    return 1
  fi
  SLAPD_PIDS[$name]=$pid
  export "SLAPD_URI_$name=ldap://127.0.0.1:$port" "SLAPD_LDAPS_URI_$name=ldaps://127.0.0.1:$port2" \
    "SLAPD_PID_$name=$pid"
}

# ldap_stop [NAME]: stops one instance, or every one this shell started.
ldap_stop() {
  local names=("$@") name
  [ ${#names[@]} -gt 0 ] || names=("${!SLAPD_PIDS[@]}")
  for name in "${names[@]}"; do
    local pid=${SLAPD_PIDS[$name]:-}
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null
    local i
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    unset "SLAPD_PIDS[$name]"
  done
}
