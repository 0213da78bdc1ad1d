#!/usr/bin/env bash
# Self-test of tests/ldap/slapd_env.sh's fleet-state parts, against real
# slapd (run as root; Debian's slapd and ldap-utils): the twilio-otp schema
# and ACL on a plain instance, and two providers in multi-provider
# replication (ldap_start_providers, ldap_restart, ldap_wait_replicated):
# values added on both at once all stay, a provider that was down catches
# up, a value deleted on one is gone on the other (deleting it there again
# is LDAP result 16), and nobody but the state account reads the failure
# and backup-code values. Compiles nothing. Prints "[       OK ] name" /
# "[  FAILED  ] name: why" per test, then the cmocka-style totals that
# tests/run_all.sh adds up.
set -uo pipefail
shopt -s lastpipe
here=$(cd "$(dirname "$0")" && pwd)

# shellcheck source=../common/result_lines.sh
. "$here/../common/result_lines.sh"
why=""
for tool in /usr/sbin/slapd /usr/bin/ldapmodify /usr/bin/ldapsearch /usr/bin/ldapcompare; do
  if [ ! -x "$tool" ]; then
    echo "[  FAILED  ] 1 test(s): $tool missing (apt-get install slapd ldap-utils)"
    exit 1
  fi
done
work=$(mktemp -d /tmp/twotp-ldap-repl.XXXXXX)
cleanup() {
  declare -F ldap_stop >/dev/null && ldap_stop
  rm -rf "$work"
}
trap cleanup EXIT
# The host's ldap.conf and ~/.ldaprc must not steer the tests.
export LDAPNOINIT=1

# shellcheck source=tests/ldap/slapd_env.sh
. "$here/slapd_env.sh"


alice="uid=alice,$SLAPD_BASE"

# modify NAME WHO: ldapmodify on instance NAME of the LDIF on stdin, bound as
# WHO (state, root or anonymous); 10 s at most. Sets $rc and $out (the
# last part of a pipeline runs in this shell: lastpipe) and returns $rc.
modify() {
  local uri_var=SLAPD_URI_$1 bind=()
  case "$2" in
    state) bind=(-D "$SLAPD_STATE_DN" -y "$SLAPD_STATE_PW_FILE") ;;
    root) bind=(-D "$SLAPD_ROOT_DN" -y "$SLAPD_PW_FILE") ;;
  esac
  out=$(timeout 10 ldapmodify -x -o nettimeout=5 -H "${!uri_var}" "${bind[@]}" 2>&1)
  rc=$?
  return "$rc"
}

# change OP ATTR VALUE [DN]: the LDIF of one single-value modify (OP add or
# delete) of DN (default alice).
change() {
  printf 'dn: %s\nchangetype: modify\n%s: %s\n%s: %s\n-\n' "${4:-$alice}" "$1" "$2" "$2" "$3"
}

# values NAME ATTR [WHO [DN]]: ATTR's values on DN (default alice), sorted,
# as read by WHO (default root).
values() {
  local uri_var=SLAPD_URI_$1 bind=()
  case "${3:-root}" in
    state) bind=(-D "$SLAPD_STATE_DN" -y "$SLAPD_STATE_PW_FILE") ;;
    root) bind=(-D "$SLAPD_ROOT_DN" -y "$SLAPD_PW_FILE") ;;
  esac
  timeout 10 ldapsearch -x -LLL -o ldif-wrap=no -o nettimeout=5 -H "${!uri_var}" "${bind[@]}" \
    -b "${4:-$alice}" -s base '(objectClass=*)' "$2" | sed -n "s/^$2: //p" | sort
}

expect_rc() {
  [ "$rc" -eq "$1" ] && return 0
  why="$3: ldapmodify exited $rc, wanted $1 ($2): ${out//$'\n'/ }"
  return 1
}

# has_values NAME ATTR VALUE...: NAME shows exactly these values of ATTR on
# alice (as root).
has_values() {
  local name=$1 attr=$2
  shift 2
  local want got
  want=$(printf '%s\n' "$@" | sort)
  got=$(values "$name" "$attr")
  [ "$got" = "$want" ] && return 0
  why="$name has $attr [${got//$'\n'/ | }], wanted [${want//$'\n'/ | }]"
  return 1
}

wait_replicated() {
  local err
  err=$(ldap_wait_replicated P Q 20 2>&1) && return 0
  why="not replicated: $err"
  return 1
}

# --- one plain instance (ldap_start): the schema and the ACL

t_plain_instance_has_the_schema_and_the_acl() {
  change add objectClass twilioOtpState "uid=frank,$SLAPD_BASE" | modify S state
  expect_rc 0 success "adding twilioOtpState as the state DN" || return 1
  change add twilioOtpFailure "20261205122256Z 0123456789abcdef host1" "uid=frank,$SLAPD_BASE" | modify S state
  expect_rc 0 success "adding a twilioOtpFailure value as the state DN" || return 1
  change add objectClass pkiUser "uid=frank,$SLAPD_BASE" | modify S state
  expect_rc 50 "insufficient access" "adding pkiUser as the state DN" || return 1
  [ -n "$(values S twilioOtpFailure state "uid=frank,$SLAPD_BASE")" ] ||
    { why="the state DN can't read the value it added"; return 1; }
  [ -z "$(values S twilioOtpFailure anonymous "uid=frank,$SLAPD_BASE")" ] ||
    { why="anonymous reads twilioOtpFailure"; return 1; }
  # What the existing suites rely on: anonymous reads the rest.
  [ "$(values S mobile anonymous)" = "+15550104567" ] || { why="anonymous can't read alice's mobile"; return 1; }
  change add twilioOtpFailure "20261205122256Z 0123456789abcdef host2" "uid=frank,$SLAPD_BASE" | modify S anonymous
  expect_rc 8 "modifications require authentication" "adding a value anonymously"
}

# --- two providers

t_providers_start_in_step() {
  wait_replicated || return 1
  local c
  c=$(_ldap_context_csn P)
  [ -n "$c" ] || { why="no contextCSN on P"; return 1; }
}

t_state_dn_may_add_only_twilioOtpState_to_objectClass() {
  change add objectClass twilioOtpState | modify P state
  expect_rc 0 success "adding twilioOtpState to alice on P" || return 1
  change add objectClass pkiUser "uid=bob,$SLAPD_BASE" | modify Q state
  expect_rc 50 "insufficient access" "adding pkiUser to bob on Q" || return 1
  printf 'dn: %s\nchangetype: modify\nreplace: mobile\nmobile: +15550109999\n-\n' "$alice" | modify P state
  expect_rc 50 "insufficient access" "replacing alice's mobile as the state DN" || return 1
  wait_replicated || return 1
  values Q objectClass | grep -qx twilioOtpState || { why="Q lacks alice's twilioOtpState"; return 1; }
}

t_values_added_on_both_at_once_all_stay() {
  # Three rounds of one value added on each provider at the same moment.
  local i pids=() want=()
  for i in 1 2 3; do
    change add twilioOtpFailure "2026120512225${i}Z 00000000000000a$i hostP" | modify P state >"$work/p$i" &
    pids+=($!)
    change add twilioOtpFailure "2026120512225${i}Z 00000000000000b$i hostQ" | modify Q state >"$work/q$i" &
    pids+=($!)
    wait "${pids[@]}" || { why="round $i: an ldapmodify failed"; return 1; }
    pids=()
    want+=("2026120512225${i}Z 00000000000000a$i hostP" "2026120512225${i}Z 00000000000000b$i hostQ")
  done
  wait_replicated || return 1
  has_values P twilioOtpFailure "${want[@]}" && has_values Q twilioOtpFailure "${want[@]}"
}

t_wait_replicated_says_when_a_provider_is_down() {
  ldap_stop Q
  change add twilioOtpFailure "20261205122260Z 00000000000000c1 hostP" | modify P state
  expect_rc 0 success "adding a value on P while Q is down" || return 1
  local start=$SECONDS
  if ldap_wait_replicated P Q 1 2>"$work/wait.err"; then
    why="ldap_wait_replicated returned 0 with Q down"
    return 1
  fi
  ((SECONDS - start <= 5)) || { why="ldap_wait_replicated took $((SECONDS - start)) s for a 1 s limit"; return 1; }
  grep -q 'still differ after 1 s' "$work/wait.err" || { why="stderr: $(cat "$work/wait.err")"; return 1; }
}

t_stopped_provider_catches_up_after_restart() {
  # Q was stopped by the test before; one more change on P meanwhile.
  [ -z "${SLAPD_PIDS[Q]:-}" ] || ldap_stop Q
  change add twilioOtpFailure "20261205122261Z 00000000000000c2 hostP" | modify P state
  expect_rc 0 success "adding a value on P while Q is down" || return 1
  local old_uri=$SLAPD_URI_Q
  ldap_restart Q 2>"$work/restart.err" || { why="ldap_restart Q: $(cat "$work/restart.err")"; return 1; }
  [ "$SLAPD_URI_Q" = "$old_uri" ] || { why="Q came back on $SLAPD_URI_Q, not $old_uri"; return 1; }
  wait_replicated || return 1
  local got
  got=$(values Q twilioOtpFailure)
  if ! grep -qx "20261205122260Z 00000000000000c1 hostP" <<<"$got" ||
    ! grep -qx "20261205122261Z 00000000000000c2 hostP" <<<"$got"; then
    why="Q lacks what P got while Q was down: ${got//$'\n'/ | }"
    return 1
  fi
  # And Q's own changes reach P again.
  change add twilioOtpFailure "20261205122262Z 00000000000000c3 hostQ" | modify Q state
  expect_rc 0 success "adding a value on the restarted Q" || return 1
  wait_replicated || return 1
  values P twilioOtpFailure | grep -qx "20261205122262Z 00000000000000c3 hostQ" ||
    { why="P lacks the restarted Q's value"; return 1; }
}

t_deleting_one_value_twice_fails_the_second_time() {
  local v="20261205122251Z 00000000000000a1 hostP"
  change delete twilioOtpFailure "$v" | modify P state
  expect_rc 0 success "deleting a value on P" || return 1
  wait_replicated || return 1
  values Q twilioOtpFailure | grep -qx "$v" && { why="Q still has the value P deleted"; return 1; }
  values Q twilioOtpFailure | grep -qx "20261205122251Z 00000000000000b1 hostQ" ||
    { why="Q lost a value nobody deleted"; return 1; }
  change delete twilioOtpFailure "$v" | modify Q state
  expect_rc 16 "no such attribute" "deleting the same value on Q" || return 1
  grep -q 'No such attribute' <<<"$out" || { why="Q's answer: $out"; return 1; }
}

t_only_the_state_dn_reads_backup_codes_and_failures() {
  local code="scrypt 00112233445566778899aabbccddeeff 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
  # The hosts' account may consume a backup code, never make one: root on
  # one host could otherwise let itself in as anyone, anywhere.
  change add twilioOtpBackupCode "$code" | modify P state
  expect_rc 50 "insufficient access" "the state DN adding a backup code on P" || return 1
  change add twilioOtpBackupCode "$code" | modify P root
  expect_rc 0 success "adding a backup code on P (an administrator)" || return 1
  change add twilioOtpGrace "0123456789abcdef0123456789abcdef 20261205122256Z" | modify P state
  expect_rc 0 success "adding a grace stamp on P" || return 1
  wait_replicated || return 1
  local n attr
  for n in P Q; do
    [ "$(values "$n" twilioOtpBackupCode state)" = "$code" ] || { why="the state DN can't read the code on $n"; return 1; }
    [ -n "$(values "$n" twilioOtpFailure state)" ] || { why="the state DN can't read failures on $n"; return 1; }
    for attr in twilioOtpBackupCode twilioOtpFailure; do
      [ -z "$(values "$n" "$attr" anonymous)" ] || { why="anonymous reads $attr on $n"; return 1; }
    done
    [ -z "$(values "$n" twilioOtpGrace anonymous)" ] || { why="anonymous reads twilioOtpGrace on $n"; return 1; }
    local uri_var=SLAPD_URI_$n
    # Neither by a filter, a compare, nor the change log.
    local hits
    hits=$(timeout 10 ldapsearch -x -LLL -o nettimeout=5 -H "${!uri_var}" -b "$SLAPD_SUFFIX" \
      '(|(twilioOtpBackupCode=*)(twilioOtpFailure=*))' dn 2>&1 | grep -c '^dn:')
    [ "$hits" -eq 0 ] || { why="an anonymous filter on the secrets finds $hits entries on $n"; return 1; }
    timeout 10 ldapcompare -x -o nettimeout=5 -H "${!uri_var}" "$alice" "twilioOtpBackupCode:$code" >"$work/cmp" 2>&1
    [ $? -ne 6 ] || { why="an anonymous compare confirms the code on $n"; return 1; }
    hits=$(timeout 10 ldapsearch -x -LLL -o nettimeout=5 -H "${!uri_var}" -b cn=accesslog 2>&1 | grep -c '^dn:')
    [ "$hits" -eq 0 ] || { why="anonymous reads $hits entries of cn=accesslog on $n"; return 1; }
  done
  # The state DN, a bind with a password: still no code in the change log for it.
  hits=$(timeout 10 ldapsearch -x -LLL -o nettimeout=5 -H "$SLAPD_URI_P" -D "$SLAPD_STATE_DN" -y "$SLAPD_STATE_PW_FILE" \
    -b cn=accesslog 2>&1 | grep -c '^dn:')
  [ "$hits" -eq 0 ] || { why="the state DN reads $hits entries of cn=accesslog"; return 1; }
}

if ldap_start "$work/s" S >"$work/s.log" 2>&1; then
  check plain_instance_has_the_schema_and_the_acl t_plain_instance_has_the_schema_and_the_acl
  ldap_stop S
else
  result_failed plain_instance_has_the_schema_and_the_acl "ldap_start failed: $(tail -n 5 "$work/s.log")"
fi

if ldap_start_providers "$work/p" "$work/q" P Q >"$work/providers.log" 2>&1; then
  for t_fn in t_providers_start_in_step t_state_dn_may_add_only_twilioOtpState_to_objectClass \
    t_values_added_on_both_at_once_all_stay t_wait_replicated_says_when_a_provider_is_down \
    t_stopped_provider_catches_up_after_restart t_deleting_one_value_twice_fails_the_second_time \
    t_only_the_state_dn_reads_backup_codes_and_failures; do
    check "${t_fn#t_}" "$t_fn"
  done
else
  result_failed providers_start_in_step "ldap_start_providers failed: $(tail -n 5 "$work/providers.log")"
fi

result_summary
