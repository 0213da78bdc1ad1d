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
#   ldap_start_providers "$work/p" "$work/q" P Q   # two multi-provider replicas
#   ldap_stop Q; ...; ldap_restart Q               # Q catches up from P
#   ldap_wait_replicated P Q      # until both have each other's changes
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
#   SLAPD_STATE_DN        cn=pam-state,ou=services,dc=example,dc=com: the PAM
#                         module's account for fleet state (see the ACL below)
#   SLAPD_STATE_PW_FILE   its password (0600, random, no newline; made
#                         next to DIR, like SLAPD_PW_FILE, unless set)
#
# ldap_start_providers DIR_A DIR_B NAME_A NAME_B: two providers of the same
# suffix in multi-provider replication (serverID 1 and 2, delta-syncrepl:
# syncprov and accesslog overlays, the changes in a cn=accesslog database
# only the root DN may read; each one's syncrepl, rid 001 on A and 002 on B,
# binds as the root DN to the other over ldap:// on loopback,
# refreshAndPersist, retry every second forever). Both start from the same
# data, to the entryCSN. Exports for each NAME what ldap_start does.
# ldap_restart NAME: starts a stopped instance (either kind; a running one
# is stopped first) again on its ports and its database, so a provider that
# was down catches up by syncrepl.
# ldap_wait_replicated NAME_A NAME_B [TIMEOUT_S]: returns 0 once both
# providers have the same contextCSN values on the suffix (read as the root
# DN with ldapsearch: ldap-utils), 1 (and says so on stderr) if they still
# differ after TIMEOUT_S whole seconds (default 20: a bound for a hang, not
# a wait; one of them down also ends there).
#
# Every instance loads conf/ldap/twilio-otp.schema (and the test schema
# below). The ACL, in this order:
#   userPassword                     anonymous may bind with it; nobody reads it
#   objectClass value twilioOtpState SLAPD_STATE_DN may add and delete it
#   twilioOtpFailure, twilioOtpGrace SLAPD_STATE_DN may write; nobody else
#                                    (not self, not anonymous) may read them
#   twilioOtpBackupCode              SLAPD_STATE_DN may read and delete (a
#                                    login consumes a code), not add: codes
#                                    are made by an administrator's bind
#   everything else                  all may read, nobody writes
# The root DN is above the ACL: it reads and writes everything.
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
# None has twilioOtpState yet: SLAPD_STATE_DN may add it. Beside
# ou=people, ou=services holds SLAPD_STATE_DN (applicationProcess,
# simpleSecurityObject).
# With SLAPD_EXTRA_USERS=N set, ldap_start (and ldap_start_providers) also
# loads N more users user000000.. with mobile +1555NNNNNNN (paging tests,
# the lookup benchmark).

SLAPD_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SLAPD_BIN=${SLAPD_BIN:-/usr/sbin/slapd}
SLAPD_SUFFIX="dc=example,dc=com"
SLAPD_BASE="ou=people,$SLAPD_SUFFIX"
SLAPD_ROOT_DN="cn=admin,$SLAPD_SUFFIX"
SLAPD_STATE_DN="cn=pam-state,ou=services,$SLAPD_SUFFIX"
declare -gA SLAPD_PIDS=()
# Kept after ldap_stop, for ldap_restart: each instance's DIR and ports.
declare -gA _SLAPD_DIRS=() _SLAPD_PORTS=()
export SLAPD_SUFFIX SLAPD_BASE SLAPD_ROOT_DN SLAPD_STATE_DN

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

# _ldap_service_data HASH: the service account (userPassword HASH) the LDIF
# of every instance ends with.
_ldap_service_data() {
  cat <<EOF
dn: ou=services,$SLAPD_SUFFIX
objectClass: organizationalUnit
ou: services

dn: $SLAPD_STATE_DN
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: ${SLAPD_STATE_DN%%,*}
userPassword: $1
description: pam_twilio_otp fleet state: writes the twilioOtpState attributes

EOF
}

# _ldap_secrets DIR: the shared CA and the two password files, next to DIR
# unless the caller named them; sets the caller's tls_dir.
_ldap_secrets() {
  local dir=$1 pw_file
  # The CA is shared by all instances: one ca_file trusts them all.
  tls_dir=${SLAPD_TLS_DIR:-$(dirname "$dir")/ldap-tls}
  bash "$SLAPD_HOME/../fake_twilio/make_test_ca.sh" "$tls_dir" || return 1
  SLAPD_CA=$tls_dir/ca.pem
  SLAPD_PW_FILE=${SLAPD_PW_FILE:-$(dirname "$dir")/ldap-root.pw}
  SLAPD_STATE_PW_FILE=${SLAPD_STATE_PW_FILE:-$(dirname "$dir")/ldap-state.pw}
  for pw_file in "$SLAPD_PW_FILE" "$SLAPD_STATE_PW_FILE"; do
    if [ ! -s "$pw_file" ]; then
      (umask 077 && printf '%s' "$(openssl rand -hex 16)" >"$pw_file") || return 1
    fi
    chmod 0600 "$pw_file" || return 1
  done
  export SLAPD_CA SLAPD_PW_FILE SLAPD_STATE_PW_FILE
}

# _ldap_write_conf DIR TLS_DIR [SERVER_ID PEER_URI RID]: DIR/slapd.conf; with
# the last three, a multi-provider (delta-syncrepl) provider replicating
# from and to PEER_URI.
_ldap_write_conf() {
  local dir=$1 tls_dir=$2 sid=${3:-} peer=${4:-} rid=${5:-}
  local hash
  hash=$(/usr/sbin/slappasswd -h '{SSHA}' -T "$SLAPD_PW_FILE") || return 1
  local global="" logdb="" repl=""
  if [ -n "$sid" ]; then
    global="moduleload syncprov
moduleload accesslog
serverID $sid"
    # Delta-syncrepl: the providers send each other the changes (from
    # cn=accesslog), not whole entries, so two values added to one entry at
    # the same time on both sides both stay (plain syncrepl keeps the entry
    # with the later entryCSN and drops the other side's value).
    logdb="database mdb
maxsize 104857600
suffix cn=accesslog
directory $dir/accesslog
index entryCSN,objectClass,reqEnd,reqResult,reqStart,reqDN eq
limits dn.exact=\"$SLAPD_ROOT_DN\" size=unlimited time=unlimited
access to * by dn.exact=\"$SLAPD_ROOT_DN\" read by * none
overlay syncprov
syncprov-nopresent TRUE
syncprov-reloadhint TRUE
"
    # No timeout= on the syncrepl line: slapd 2.5 then waits that long for
    # the persistent search before it stops.
    repl="index entryCSN,entryUUID eq
syncrepl rid=$rid provider=$peer bindmethod=simple binddn=\"$SLAPD_ROOT_DN\"
  credentials=\"$(cat "$SLAPD_PW_FILE")\" searchbase=\"$SLAPD_SUFFIX\"
  logbase=\"cn=accesslog\" logfilter=\"(&(objectClass=auditWriteObject)(reqResult=0))\"
  syncdata=accesslog type=refreshAndPersist retry=\"1 +\"
multiprovider on"
  fi
  local state_dn=$SLAPD_STATE_DN
  (umask 077 && cat >"$dir/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $SLAPD_HOME/twotp-test.schema
include $SLAPD_HOME/../../conf/ldap/twilio-otp.schema
pidfile $dir/slapd.pid
argsfile $dir/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
$global
TLSCACertificateFile $tls_dir/ca.pem
TLSCertificateFile $tls_dir/server.pem
TLSCertificateKeyFile $tls_dir/server.key
$logdb
database mdb
maxsize 104857600
suffix "$SLAPD_SUFFIX"
rootdn "$SLAPD_ROOT_DN"
rootpw $hash
directory $dir/db
index objectClass,uid eq
$repl
access to attrs=userPassword
  by anonymous auth
  by * none
access to attrs=objectClass val=twilioOtpState
  by dn.exact="$state_dn" write
  by * read
access to attrs=twilioOtpFailure
  by dn.exact="$state_dn" write
  by * none
access to attrs=twilioOtpBackupCode
  by dn.exact="$state_dn" delete
  by * none
access to attrs=twilioOtpGrace
  by dn.exact="$state_dn" write
  by * none
access to * by * read
EOF
  ) || return 1
  if [ -n "$sid" ]; then
    printf 'overlay syncprov\noverlay accesslog\nlogdb cn=accesslog\nlogops writes\nlogsuccess TRUE\nlogpurge 07+00:00 01+00:00\n' \
      >>"$dir/slapd.conf" || return 1
  fi
}

# _ldap_load DIR [LDIF]: a fresh database loaded from LDIF (default: the
# test data and the service account, kept as DIR/data.ldif).
_ldap_load() {
  local dir=$1 ldif=${2:-$1/data.ldif}
  rm -rf "$dir/db" "$dir/accesslog" && mkdir -p "$dir/db" || return 1
  grep -q '^suffix cn=accesslog$' "$dir/slapd.conf" && { mkdir -p "$dir/accesslog" || return 1; }
  if [ $# -lt 2 ]; then
    local hash
    hash=$(/usr/sbin/slappasswd -h '{SSHA}' -T "$SLAPD_STATE_PW_FILE") || return 1
    { _ldap_data && _ldap_service_data "$hash"; } >"$dir/data.ldif" || return 1
  fi
  # A provider's suffix gets the contextCSN of the data (-w), so that both
  # start with the same one instead of each making up its own.
  local w=()
  grep -q '^serverID ' "$dir/slapd.conf" && w=(-w)
  if ! /usr/sbin/slapadd -q "${w[@]}" -b "$SLAPD_SUFFIX" -f "$dir/slapd.conf" -l "$ldif" >"$dir/slapadd.log" 2>&1; then
    echo "ldap_start: slapadd failed:" >&2
    cat "$dir/slapadd.log" >&2
    return 1
  fi
}

# _ldap_launch DIR NAME PORT PORT2: runs DIR's slapd on the two ports, waits
# until it listens, exports its variables.
_ldap_launch() {
  local dir=$1 name=$2 port=$3 port2=$4
  # Foreground (-d) in the background, so $! is slapd itself and its log is
  # ours; root (no -u/-g), loopback only. A restart appends to the log;
  # providers log their replication too.
  local debug=stats
  grep -q '^serverID ' "$dir/slapd.conf" && debug=stats,sync
  "$SLAPD_BIN" -d "$debug" -f "$dir/slapd.conf" -n "slapd-twotp-$name" \
    -h "ldap://127.0.0.1:$port/ ldaps://127.0.0.1:$port2/" >>"$dir/slapd.log" 2>&1 &
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
  _SLAPD_DIRS[$name]=$dir
  _SLAPD_PORTS[$name]="$port $port2"
  export "SLAPD_URI_$name=ldap://127.0.0.1:$port" "SLAPD_LDAPS_URI_$name=ldaps://127.0.0.1:$port2" \
    "SLAPD_PID_$name=$pid"
}

# _ldap_new_dir DIR NAME: DIR made and absolute on stdout; fails if NAME runs.
_ldap_new_dir() {
  if [ -n "${SLAPD_PIDS[$2]:-}" ]; then
    echo "ldap_start: $2 already running (pid ${SLAPD_PIDS[$2]})" >&2
    return 1
  fi
  mkdir -p "$1" && (cd "$1" && pwd)
}

# ldap_start DIR [NAME]
ldap_start() {
  local dir=${1:?usage: ldap_start DIR [NAME]} name=${2:-MAIN}
  dir=$(_ldap_new_dir "$dir" "$name") || return 1
  local tls_dir
  _ldap_secrets "$dir" || return 1
  rm -f "$dir/slapd.log"
  _ldap_write_conf "$dir" "$tls_dir" && _ldap_load "$dir" || return 1
  local port port2
  port=$(ldap_free_port) && port2=$(ldap_free_port) || return 1
  _ldap_launch "$dir" "$name" "$port" "$port2"
}

# ldap_start_providers DIR_A DIR_B NAME_A NAME_B
ldap_start_providers() {
  local usage="usage: ldap_start_providers DIR_A DIR_B NAME_A NAME_B"
  local dir_a=${1:?$usage} dir_b=${2:?$usage} name_a=${3:?$usage} name_b=${4:?$usage}
  if [ "$name_a" = "$name_b" ]; then
    echo "ldap_start_providers: two names, please ($name_a)" >&2
    return 1
  fi
  dir_a=$(_ldap_new_dir "$dir_a" "$name_a") && dir_b=$(_ldap_new_dir "$dir_b" "$name_b") || return 1
  if [ "$dir_a" = "$dir_b" ]; then
    echo "ldap_start_providers: two directories, please ($dir_a)" >&2
    return 1
  fi
  local tls_dir
  _ldap_secrets "$dir_a" || return 1
  # Each provider names the other in its config: all four ports first.
  local ports=() p
  while [ ${#ports[@]} -lt 4 ]; do
    p=$(ldap_free_port) || return 1
    [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
  done
  rm -f "$dir_a/slapd.log" "$dir_b/slapd.log"
  _ldap_write_conf "$dir_a" "$tls_dir" 1 "ldap://127.0.0.1:${ports[2]}" 001 &&
    _ldap_write_conf "$dir_b" "$tls_dir" 2 "ldap://127.0.0.1:${ports[0]}" 002 || return 1
  # The same data on both, to the entryUUID and entryCSN: A's database as
  # slapcat prints it (with the suffix's contextCSN) is B's.
  _ldap_load "$dir_a" || return 1
  /usr/sbin/slapcat -b "$SLAPD_SUFFIX" -f "$dir_a/slapd.conf" -l "$dir_b/data.ldif" >"$dir_b/slapcat.log" 2>&1 || {
    echo "ldap_start_providers: slapcat failed:" >&2
    cat "$dir_b/slapcat.log" >&2
    return 1
  }
  _ldap_load "$dir_b" "$dir_b/data.ldif" || return 1
  _ldap_launch "$dir_a" "$name_a" "${ports[0]}" "${ports[1]}" || return 1
  _ldap_launch "$dir_b" "$name_b" "${ports[2]}" "${ports[3]}" || { ldap_stop "$name_a"; return 1; }
}

# ldap_restart NAME: NAME again (stopped first if it runs), same ports, same
# database.
ldap_restart() {
  local name=${1:?usage: ldap_restart NAME}
  local dir=${_SLAPD_DIRS[$name]:-} ports
  if [ -z "$dir" ]; then
    echo "ldap_restart: $name was never started" >&2
    return 1
  fi
  ldap_stop "$name"
  read -ra ports <<<"${_SLAPD_PORTS[$name]}"
  _ldap_launch "$dir" "$name" "${ports[0]}" "${ports[1]}"
}

# _ldap_context_csn NAME: the suffix's contextCSN values, sorted, one a line.
_ldap_context_csn() {
  local uri_var=SLAPD_URI_$1
  LDAPNOINIT=1 timeout 5 /usr/bin/ldapsearch -x -LLL -o ldif-wrap=no -o nettimeout=2 -H "${!uri_var}" \
    -D "$SLAPD_ROOT_DN" -y "$SLAPD_PW_FILE" -b "$SLAPD_SUFFIX" -s base contextCSN 2>/dev/null |
    sed -n 's/^contextCSN: //p' | sort
}

# ldap_wait_replicated NAME_A NAME_B [TIMEOUT_S]
ldap_wait_replicated() {
  local usage="usage: ldap_wait_replicated NAME_A NAME_B [TIMEOUT_S]"
  local a=${1:?$usage} b=${2:?$usage} limit=${3:-20}
  if [ ! -x /usr/bin/ldapsearch ]; then
    echo "ldap_wait_replicated: /usr/bin/ldapsearch missing (apt-get install ldap-utils)" >&2
    return 1
  fi
  local deadline=$((${EPOCHREALTIME/./} + limit * 1000000)) csn_a csn_b
  while :; do
    csn_a=$(_ldap_context_csn "$a") && csn_b=$(_ldap_context_csn "$b")
    [ -n "$csn_a" ] && [ "$csn_a" = "$csn_b" ] && return 0
    if ((${EPOCHREALTIME/./} > deadline)); then
      echo "ldap_wait_replicated: $a and $b still differ after $limit s:" \
        "$a contextCSN [${csn_a//$'\n'/ }], $b [${csn_b//$'\n'/ }]" >&2
      return 1
    fi
    sleep 0.1
  done
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
