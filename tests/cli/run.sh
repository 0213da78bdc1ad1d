#!/usr/bin/env bash
# Shell tests of the built twilio-otp CLI (BUILD/twilio-otp), run as root:
# usage and exit codes, the --no-verify flows against a users file in a temp
# dir, backup codes, status and unlock against a state_dir there,
# check-config, two enroll loops at once, the verified enroll flow
# against the local Twilio stand-in (tests/fake_twilio) in both modes, and
# the same commands on the LDAP backend against a real slapd
# (tests/ldap/slapd_env.sh). The CLI runs under nss_wrapper, so that the
# host's NSS knows the tests' users (alice, bob, ...) and not others (carol).
# Prints "[       OK ] name" / "[  FAILED  ] name: why" per test, then the
# cmocka-style totals that tests/run_all.sh adds up.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
case "$BUILD" in /*) ;; *) BUILD="$root/$BUILD" ;; esac
bin="$BUILD/twilio-otp"
cli="$bin"  # main: a wrapper that runs $bin under nss_wrapper

# shellcheck source=../common/result_lines.sh
. "$here/../common/result_lines.sh"
why=""
work=$(mktemp -d /tmp/twilio-otp-cli.XXXXXX)
cleanup() {
  declare -F fake_twilio_stop >/dev/null && fake_twilio_stop
  declare -F ldap_stop >/dev/null && ldap_stop
  rm -rf "$work"
}
trap cleanup EXIT

# --- helpers: each returns 1 with $why set, so a test reads as a list of steps

# run ARGS...: runs the CLI (60 s at most); sets $rc, $out, $err.
run() {
  timeout 60 "$cli" "$@" >"$work/out" 2>"$work/err" </dev/null
  rc=$?
  out=$(cat "$work/out")
  err=$(cat "$work/err")
}
expect_rc() {
  [ "$rc" -eq "$1" ] && return 0
  why="exit $rc, wanted $1; stdout: ${out:0:200}; stderr: ${err:0:300}"
  return 1
}
expect_out() { grep -qE -- "$1" <<<"$out" && return 0; why="stdout lacks /$1/: ${out:0:300}"; return 1; }
expect_err() { grep -qE -- "$1" <<<"$err" && return 0; why="stderr lacks /$1/: ${err:0:300}"; return 1; }
expect_line() { grep -qE -- "$2" "$1" 2>/dev/null && return 0; why="$1 lacks /$2/: $(head -c 300 "$1" 2>&1)"; return 1; }
expect_no_line() { ! grep -qE -- "$2" "$1" 2>/dev/null && return 0; why="$1 has /$2/"; return 1; }
expect_same() { cmp -s "$1" "$2" && return 0; why="$1 changed: $(diff "$2" "$1" | head -5)"; return 1; }

# Each test (check, tests/common/result_lines.sh) runs in a fresh directory $t.
check_setup() {
  t="$work/$1"
  mkdir -p "$t"
}

# write_config DIR [LINE...]: a verify-mode config (root, 0600) using DIR/users
# (or $directory, a whole directory group) and a secret DIR/secret; LINEs are
# appended as top-level settings.
write_config() {
  local dir=$1
  shift
  (umask 077 && echo "0123456789abcdef0123456789abcdef" >"$dir/secret")
  {
    echo 'twilio = {'
    # Not the example config's SIDs, which check-config refuses as placeholders.
    echo '  account_sid = "ACfedcba9876543210fedcba9876543210";'
    echo "  auth_token_file = \"$dir/secret\";"
    echo '  verify_service_sid = "VAfedcba9876543210fedcba9876543210";'
    echo '};'
    if [ -n "${directory:-}" ]; then echo "$directory"; else echo "directory = { file = \"$dir/users\"; };"; fi
    echo "state_dir = \"$dir/state\";"
    local line
    for line in "$@"; do echo "$line"; done
  } >"$dir/conf"
  chmod 0600 "$dir/conf"
}

# write_ldap_config DIR BIND [LINE...]: write_config with the LDAP backend on
# the test slapd over ldaps; BIND "root" (may write) or "anonymous".
write_ldap_config() {
  local dir=$1 bind=$2
  shift 2
  local bind_lines=""
  [ "$bind" = root ] && bind_lines="bind_dn = \"$SLAPD_ROOT_DN\"; bind_password_file = \"$SLAPD_PW_FILE\";"
  directory="directory = { backend = \"ldap\"; ldap = { uri = [\"$SLAPD_LDAPS_URI_CLI\"];
    ca_file = \"$SLAPD_CA\"; base = \"$SLAPD_BASE\"; channel_attribute = \"otpChannel\"; $bind_lines }; };" \
    write_config "$dir" "$@"
}

count_json_users() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$out"; }

# --- usage

t_help_exits_0_everywhere() {
  run --help && expect_rc 0 && expect_out '^usage: twilio-otp' || return 1
  local c
  for c in enroll remove list show check-config backup-codes status unlock; do
    run "$c" --help && expect_rc 0 && expect_out "usage: twilio-otp $c" || { why="$c --help: $why"; return 1; }
  done
  run enroll alice --help && expect_rc 0  # help wins over missing arguments
}

t_unknown_subcommand_exits_2() {
  run frobnicate && expect_rc 2 && expect_err "unknown command 'frobnicate'" || return 1
  run && expect_rc 2
}

t_bad_usage_exits_2() {
  run enroll alice && expect_rc 2 && expect_err 'NUMBER is missing' || return 1
  run list --bogus && expect_rc 2 && expect_err "unknown option '--bogus'" || return 1
  run show && expect_rc 2 || return 1
  run enroll alice +15550104567 --channel && expect_rc 2 && expect_err 'needs a value' || return 1
  run enroll alice +15550104567 --channel fax && expect_rc 2 && expect_err 'sms, call, whatsapp or email'
}

t_top_level_h_and_version() {
  run -h && expect_rc 0 && expect_out '^usage: twilio-otp' && expect_out '-V, --version' || return 1
  local want
  want=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$root/packaging/debian/changelog")
  [ -n "$want" ] || { why="no version in the changelog"; return 1; }
  local flag
  for flag in --version -V; do
    run "$flag" && expect_rc 0 || return 1
    [ "$out" = "twilio-otp $want" ] || { why="$flag printed '$out', wanted 'twilio-otp $want'"; return 1; }
  done
}

# Every option of the synopsis has a line of its own in --help, with text.
t_every_help_lists_every_option_with_its_text() {
  local c opt options
  for c in enroll remove list show check-config backup-codes status unlock probe; do
    run "$c" --help && expect_rc 0 || { why="$c --help: $why"; return 1; }
    options=$(sed -n '/^options:$/,$p' <<<"$out" | tail -n +2)
    [ -n "$options" ] || { why="$c --help has no options section: $out"; return 1; }
    # Each line: an option and its text, or more of the text, indented.
    local row='^  (-h, )?--[a-z-]+( [^ ]+)?  +[^ ]|^ {3,}[^ ]'
    if grep -vqE -- "$row" <<<"$options"; then
      why="$c --help: an option without its text: $(grep -vE -- "$row" <<<"$options")"
      return 1
    fi
    for opt in $(head -n 1 <<<"$out" | grep -oE -- '--[a-z-]+') --help; do
      grep -qE -- "^  (-h, )?$opt( [^ ]+)?  +[^ ]" <<<"$options" || { why="$c --help does not list $opt"; return 1; }
    done
  done
}

t_writers_refuse_non_root() {
  write_config "$t"
  local nobody_run="setpriv --reuid=65534 --regid=65534 --clear-groups"
  # $bin itself: the wrapper is in a directory only root may enter.
  $nobody_run "$bin" --config "$t/conf" enroll alice +15550104567 --no-verify >"$work/out" 2>"$work/err"
  rc=$? out="" err=$(cat "$work/err")
  expect_rc 1 && expect_err 'must run as root' && expect_no_line "$t/users" alice
}

# --- the --no-verify flows

t_enroll_no_verify_writes_the_record() {
  write_config "$t"
  run --config "$t/conf" enroll alice '+1 (555) 010-4567' --no-verify && expect_rc 0 || return 1
  expect_out 'enrolled alice: \+15550104567 by sms' || return 1
  expect_line "$t/users" '^alice \+15550104567 sms -$' || return 1
  [ "$(stat -c %a "$t/users")" = 600 ] || { why="mode $(stat -c %a "$t/users")"; return 1; }
  run enroll --config "$t/conf" bob +447700900123 --channel call --no-verify && expect_rc 0 &&
    expect_line "$t/users" '^bob \+447700900123 call -$'
}

t_list_and_show_print_numbers_in_full() {
  write_config "$t"
  run --config "$t/conf" list && expect_rc 0 && expect_err 'nobody is enrolled' || return 1
  run --config "$t/conf" enroll alice +15550104567 --no-verify && expect_rc 0 || return 1
  run --config "$t/conf" enroll bob +447700900123 --channel call --no-verify && expect_rc 0 || return 1
  run --config "$t/conf" list && expect_rc 0 && expect_out '^USER +NUMBER' &&
    expect_out '^alice +\+15550104567 +sms +no' && expect_out '^bob +\+447700900123 +call' || return 1
  run --config "$t/conf" show bob && expect_rc 0 && expect_out '^number: +\+447700900123$' &&
    expect_out '^channel: +call$'
}

t_list_json_parses() {
  write_config "$t"
  run --config "$t/conf" enroll alice +15550104567 --no-verify && expect_rc 0 || return 1
  run --config "$t/conf" list --json && expect_rc 0 || return 1
  python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d == [{"user": "alice", "number": "+15550104567", "channel": "sms",
              "verified": False, "verified_at": None, "email": None}], d
' <<<"$out" 2>"$work/py" || { why="list --json: $(cat "$work/py")"; return 1; }
  run --config "$t/conf" show alice --json && expect_rc 0 || return 1
  python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["number"] == "+15550104567", d' <<<"$out" ||
    { why="show --json: $out"; return 1; }
}

t_show_unknown_user_exits_1() {
  write_config "$t"
  run --config "$t/conf" enroll alice +15550104567 --no-verify && expect_rc 0 || return 1
  run --config "$t/conf" show carol && expect_rc 1 && expect_err 'carol has no record' &&
    expect_err 'carol is not an account this host knows \(NSS\) either: check the spelling' || return 1
  # bob is an account, just not enrolled: no hint of a typo.
  run --config "$t/conf" show bob && expect_rc 1 && expect_err 'bob has no record' || return 1
  if grep -q 'NSS' <<<"$err"; then why="show bob: $err"; return 1; fi
  # A record NSS doesn't know is shown, with a note that this host refuses it.
  run --config "$t/conf" enroll carol +15550104568 --no-verify --force && expect_rc 0 || return 1
  run --config "$t/conf" show carol && expect_rc 0 && expect_out '^number: +\+15550104568$' &&
    expect_err 'carol is not an account this host knows \(NSS\): its logins here are refused'
}

t_enroll_refuses_a_user_the_system_does_not_know() {
  write_config "$t"
  run --config "$t/conf" enroll alcie +15550104567 --no-verify && expect_rc 1 &&
    expect_err 'alcie is not an account this host knows \(NSS\): check the spelling, or give --force' || return 1
  expect_no_line "$t/users" alcie || return 1
  run --config "$t/conf" enroll "$(printf 'a\033[2Jb')" +15550104567 --no-verify && expect_rc 1 || return 1
  if grep -q $'\033' <<<"$err"; then why="an escape sequence reached the terminal: $err"; return 1; fi
  expect_err 'a\\x1b\[2Jb is not an account' || return 1
  # --force: an account only other hosts see (LDAP), taken as typed.
  run --config "$t/conf" enroll alcie +15550104567 --no-verify --force && expect_rc 0 &&
    expect_err 'enrolling alcie as typed \(--force\)' && expect_line "$t/users" '^alcie \+15550104567 sms -$' || return 1
  run --config "$t/conf" enroll alice +15550104568 --no-verify && expect_rc 0 && expect_line "$t/users" '^alice '
}

t_enroll_keeps_comments_and_other_lines() {
  write_config "$t"
  printf '# our users\n\nbob +447700900123 call -   # desk\nalice +15550100000 sms - # old phone\n' >"$t/users"
  chmod 0600 "$t/users"
  run --config "$t/conf" enroll alice +15550104567 --no-verify && expect_rc 0 || return 1
  printf '# our users\n\nbob +447700900123 call -   # desk\nalice +15550104567 sms - # old phone\n' >"$t/want"
  expect_same "$t/users" "$t/want"
}

t_bad_number_is_refused_clearly() {
  write_config "$t"
  printf 'bob +447700900123 call -\n' >"$t/users"
  chmod 0600 "$t/users"
  cp "$t/users" "$t/before"
  run --config "$t/conf" enroll alice 5550104567 --no-verify && expect_rc 1 &&
    expect_err "must start with '\\+' and the country calling code" || return 1
  run --config "$t/conf" enroll alice 0044 20 --no-verify && expect_rc 2 || return 1
  run --config "$t/conf" enroll alice '0044 20 7946 0018' --no-verify && expect_rc 1 && expect_err 'starts with 00' ||
    return 1
  run --config "$t/conf" enroll alice +1-800-FLOWERS --no-verify && expect_rc 1 && expect_err 'letters' || return 1
  # --force skips only the NSS check, never the users file's rules.
  run --config "$t/conf" enroll 'bad:name' +15550104567 --no-verify --force && expect_rc 1 &&
    expect_err "contains ':'" || return 1
  expect_same "$t/users" "$t/before"
}

t_policy_limits_are_enforced() {
  write_config "$t" 'limits = { allowed_countries = ["1"]; };'
  run --config "$t/conf" enroll bob +447700900123 --no-verify && expect_rc 1 &&
    expect_err 'country calling code \+44 is not in limits.allowed_countries \(\+1\)' || return 1
  run --config "$t/conf" enroll bob +15550104567 --channel whatsapp --no-verify && expect_rc 1 &&
    expect_err 'not in policy.channels' || return 1
  expect_no_line "$t/users" bob
}

t_remove_deletes_the_record() {
  write_config "$t"
  run --config "$t/conf" enroll alice +15550104567 --no-verify || return 1
  run --config "$t/conf" enroll bob +447700900123 --no-verify || return 1
  run --config "$t/conf" remove alice && expect_rc 0 && expect_out 'removed alice' || return 1
  expect_no_line "$t/users" '^alice' && expect_line "$t/users" '^bob ' || return 1
  run --config "$t/conf" remove alice && expect_rc 1 && expect_err 'alice has no record'
}

t_bad_config_is_refused() {
  write_config "$t" 'bogus_key = 1;'
  run --config "$t/conf" list && expect_rc 1 && expect_err "$t/conf:[0-9]+" || return 1
  run --config "$t/missing.conf" list && expect_rc 1 && expect_err "$t/missing.conf"
}

# write_config's state_dir is on line 7, its first extra line on 8.
t_config_errors_name_the_setting() {
  write_config "$t" 'limits = { max_failure = 3; };'
  run --config "$t/conf" list && expect_rc 1 &&
    expect_err "$t/conf:8: limits.max_failure: unknown key; did you mean \"limits.max_failures\"\?" || return 1
  write_config "$t" 'state_dir = "/tmp/elsewhere";'
  run --config "$t/conf" list && expect_rc 1 &&
    expect_err "$t/conf:8: duplicate setting \"state_dir\" \(already set on line 7\)" || return 1
  write_config "$t" 'limits = { lockout = ; };'
  run --config "$t/conf" list && expect_rc 1 && expect_err "$t/conf:8: syntax error near \"limits = \{ lockout = ; \};\""
}

# --- backup codes, status, unlock (the per-user state under state_dir)

code_re='^[abcdefghjkmnpqrstuvwxyz2-9]{4}-[abcdefghjkmnpqrstuvwxyz2-9]{4}$'

# edit_state DIR USER PYTHON: loads DIR/state/users/USER.json as `s`, runs
# PYTHON on it (`now` is the epoch time), and writes it back (0600).
edit_state() {
  python3 - "$1/state/users/$2.json" "$3" <<'PY' 2>"$work/py" || { why="edit_state: $(cat "$work/py")"; return 1; }
import json, os, sys, time
path, code = sys.argv[1], sys.argv[2]
s = json.load(open(path))
now = int(time.time())
exec(code)
with open(path, "w") as f:
    json.dump(s, f)
os.chmod(path, 0o600)
PY
}

# status_json PYTHON: runs PYTHON as an assertion on `d`, the parsed $out.
status_json() {
  python3 -c "import json,sys; d=json.load(sys.stdin); assert $1, d" <<<"$out" 2>"$work/py" ||
    { why="status --json: $(tail -1 "$work/py")"; return 1; }
}

t_backup_codes_prints_n_codes_and_status_counts_them() {
  write_config "$t"
  run --config "$t/conf" enroll alice +15550104567 --no-verify || return 1
  run --config "$t/conf" backup-codes alice --count 7 && expect_rc 0 && expect_err 'stored' || return 1
  local n distinct
  n=$(grep -cE "$code_re" <<<"$out")
  distinct=$(sort -u <<<"$out" | wc -l)
  [ "$n" = 7 ] && [ "$(wc -l <<<"$out")" = 7 ] && [ "$distinct" = 7 ] ||
    { why="wanted 7 distinct codes alone on stdout: $out"; return 1; }
  local first=${out%%$'\n'*}
  expect_no_line "$t/state/users/alice.json" "${first/-/-?}" || return 1  # hashes only
  run --config "$t/conf" status alice && expect_rc 0 && expect_out '^backup codes: +7 left$' || return 1
  run --config "$t/conf" backup-codes alice && expect_rc 0 || return 1
  [ "$(grep -cE "$code_re" <<<"$out")" = 10 ] || { why="default count: $out"; return 1; }
  run --config "$t/conf" status alice && expect_out '^backup codes: +10 left$'  # replaced, not added
}

t_backup_codes_refused_for_bad_count_or_unenrolled_user() {
  write_config "$t"
  run --config "$t/conf" enroll alice +15550104567 --no-verify || return 1
  local c
  for c in 0 21 -1 abc ''; do
    run --config "$t/conf" backup-codes alice --count "$c" && expect_rc 2 && expect_err '1 to 20' ||
      { why="--count '$c': $why"; return 1; }
  done
  run --config "$t/conf" backup-codes carol && expect_rc 1 && expect_err 'carol has no record' || return 1
  [ -z "$out" ] && [ ! -e "$t/state/users/carol.json" ] || { why="codes or state for carol"; return 1; }
}

t_unlock_clears_a_lockout_and_keeps_backup_codes() {
  write_config "$t"
  run --config "$t/conf" enroll alice +15550104567 --no-verify || return 1
  run --config "$t/conf" backup-codes alice --count 3 || return 1
  edit_state "$t" alice 's["locked_until"] = now + 600; s["failures"] = [now - 20, now - 10]
s["sends"] = [now - 30]; s["grace"] = {"sshd|rhost:192.0.2.7": now - 60}' || return 1
  run --config "$t/conf" status alice && expect_rc 0 && expect_out '^locked out: +until .*Z \((10 min|[0-9]+ s) from now\)$' &&
    expect_out '^failed codes: +2 ' && expect_out '^grace: +sshd\|rhost:192.0.2.7 since ' || return 1
  run --config "$t/conf" unlock alice && expect_rc 0 &&
    expect_out '^unlocked alice: cleared lockout until .*, 2 failed code\(s\), 1 send\(s\), 1 grace entry; 3 backup code\(s\) kept$' ||
    return 1
  run --config "$t/conf" status alice && expect_rc 0 && expect_out '^locked out: +no$' &&
    expect_out '^failed codes: +0 ' && expect_out '^backup codes: +3 left$' && expect_out '^grace: +none$' || return 1
  run --config "$t/conf" unlock bob && expect_rc 0 && expect_out 'nothing to unlock' || return 1
  [ ! -e "$t/state/users/bob.json" ] || { why="unlock of an unknown user wrote a file"; return 1; }
}

t_status_json_parses() {
  write_config "$t" 'limits = { send_window = 600; max_failures = 4; };'
  run --config "$t/conf" enroll alice +15550104567 --no-verify || return 1
  run --config "$t/conf" backup-codes alice --count 2 || return 1
  edit_state "$t" alice 's["locked_until"] = now + 300; s["failures"] = [now - 5]
s["sends"] = [now - 900, now - 100, now - 50]' || return 1
  run --config "$t/conf" status alice --json && expect_rc 0 || return 1
  status_json 'd["user"] == "alice" and d["locked"] is True and d["locked_until"].endswith("Z")' || return 1
  status_json 'd["failures"] == 1 and d["max_failures"] == 4 and d["backup_codes_left"] == 2' || return 1
  status_json 'd["sends_in_window"] == 2 and d["send_window"] == 600 and d["last_send"].endswith("Z")' || return 1
  run --config "$t/conf" status bob --json && expect_rc 0 || return 1  # an account with no state: all empty
  status_json 'd["locked"] is False and d["last_send"] is None and d["backup_codes_left"] == 0'
}

t_status_of_unknown_user_exits_1() {
  write_config "$t"
  run --config "$t/conf" status alcie && expect_rc 1 &&
    expect_err "alcie is not an account this host knows \(NSS\) and has no state in $t/state: check the spelling" ||
    return 1
  [ -z "$out" ] && [ ! -e "$t/state/users/alcie.json" ] || { why="status alcie printed or wrote state"; return 1; }
  run --config "$t/conf" status alcie --json && expect_rc 1 && [ -z "$out" ] || { why="--json: $why"; return 1; }
  # An account with no state yet is no typo.
  run --config "$t/conf" status bob && expect_rc 0 && expect_out '^locked out: +no$' || return 1
  # State outlives a removed account: still shown, with a note.
  run --config "$t/conf" enroll gone +15550104569 --no-verify --force || return 1
  run --config "$t/conf" backup-codes gone --count 2 && expect_rc 0 || return 1
  run --config "$t/conf" status gone && expect_rc 0 && expect_out '^backup codes: +2 left$' &&
    expect_err 'gone is not an account this host knows \(NSS\); showing the state it left'
}

# lock_user DIR USER SECONDS: USER's state (made with backup codes) locked
# for SECONDS more (negative: a lockout that is over), with 2 failures.
lock_user() {
  run --config "$1/conf" backup-codes "$2" --count 1 && expect_rc 0 || return 1
  edit_state "$1" "$2" "s[\"locked_until\"] = now + $3; s[\"failures\"] = [now - 20, now - 10]"
}

t_list_locked_shows_who_is_locked_out_now() {
  write_config "$t"
  run --config "$t/conf" list --locked && expect_rc 0 && [ -z "$out" ] && expect_err 'nobody is locked out' ||
    return 1
  run --config "$t/conf" list --locked --json && expect_rc 0 && [ "$out" = "[]" ] || { why="empty json: $out"; return 1; }
  run --config "$t/conf" enroll alice +15550104567 --no-verify || return 1
  run --config "$t/conf" enroll bob +447700900123 --no-verify || return 1
  lock_user "$t" alice 600 && lock_user "$t" bob -10 || return 1
  # A name that is not plain is stored hex-encoded; the list decodes it.
  # Locks, temporary files and names the store never writes are no users.
  cp "$t/state/users/alice.json" "$t/state/users/%6f27627269656e.json"
  cp "$t/state/users/alice.json" "$t/state/users/.alice.json.AbC123"
  cp "$t/state/users/alice.json" "$t/state/users/%zz.json"
  cp "$t/state/users/alice.json" "$t/state/users/%616c696365.json"  # "alice" is plain: never encoded
  run --config "$t/conf" list --locked && expect_rc 0 || return 1
  expect_out '^USER +LOCKED UNTIL +LEFT +FAILED CODES$' &&
    expect_out '^alice +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +(10 min|[0-9]+ s) +2$' && expect_out "^o'brien +" ||
    return 1
  [ "$(wc -l <<<"$out")" = 3 ] || { why="wanted a header and 2 users: $out"; return 1; }
  # status --all is the same list; it takes no USER.
  local listed=$out
  run --config "$t/conf" status --all && expect_rc 0 && [ "$out" = "$listed" ] ||
    { why="status --all differs from list --locked: $out"; return 1; }
  run --config "$t/conf" status --all alice && expect_rc 2 && expect_err 'takes no USER' || return 1
  run --config "$t/conf" status && expect_rc 2 && expect_err 'name a USER, or --all' || return 1
  run --config "$t/conf" list --locked --json && expect_rc 0 || return 1
  python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [u["user"] for u in d] == ["alice", "o'"'"'brien"], d
assert d[0]["locked_until"].endswith("Z") and d[0]["failures"] == 2, d
assert d[0]["state_file"].endswith("/state/users/alice.json"), d
' <<<"$out" 2>"$work/py" || { why="list --locked --json: $(tail -1 "$work/py")"; return 1; }
  # A state file that can't be read refuses that user's logins: said, exit 1.
  printf '{"version": 1, "sends": [' >"$t/state/users/bob.json"
  run --config "$t/conf" list --locked && expect_rc 1 && expect_out '^alice ' && expect_err "$t/state/users/bob.json" &&
    expect_err '1 state file\(s\) could not be read'
}

t_rate_limits_takes_one_action() {
  write_config "$t"
  run --config "$t/conf" rate-limits bogus && expect_rc 2 && expect_err 'unknown action .*only "setup"' || return 1
  run --config "$t/conf" rate-limits && expect_rc 2 || return 1
}

t_corrupt_state_is_reported_and_unlock_replaces_it() {
  write_config "$t"
  run --config "$t/conf" enroll alice +15550104567 --no-verify || return 1
  run --config "$t/conf" backup-codes alice --count 2 || return 1
  printf '{"version": 1, "sends": [' >"$t/state/users/alice.json"
  run --config "$t/conf" status alice && expect_rc 1 && expect_err "$t/state/users/alice.json" &&
    expect_err 'twilio-otp unlock alice' || return 1
  run --config "$t/conf" status alice --json && expect_rc 1 && [ -z "$out" ] || { why="json on a corrupt file: $why"; return 1; }
  run --config "$t/conf" unlock alice && expect_rc 0 && expect_out 'replaced the unreadable' || return 1
  run --config "$t/conf" status alice && expect_rc 0 && expect_out '^backup codes: +0 left$'
}

t_state_writers_refuse_non_root() {
  write_config "$t"
  run --config "$t/conf" enroll alice +15550104567 --no-verify || return 1
  run --config "$t/conf" backup-codes alice --count 2 || return 1
  edit_state "$t" alice 's["locked_until"] = now + 600' || return 1
  cp "$t/state/users/alice.json" "$t/before"
  local nobody_run="setpriv --reuid=65534 --regid=65534 --clear-groups" c
  for c in backup-codes unlock; do
    $nobody_run "$bin" --config "$t/conf" "$c" alice >"$work/out" 2>"$work/err"
    rc=$? out=$(cat "$work/out") err=$(cat "$work/err")
    expect_rc 1 && expect_err 'must run as root' && [ -z "$out" ] || { why="$c: $why"; return 1; }
  done
  expect_same "$t/state/users/alice.json" "$t/before"
}

# --- check-config

t_check_config_good() {
  write_config "$t"
  # No users file yet: the module would refuse every login, so this is an error.
  run --config "$t/conf" check-config && expect_rc 1 && expect_err 'does not exist: the module refuses every login' ||
    return 1
  run --config "$t/conf" enroll alice +15550104567 --no-verify || return 1
  run check-config --config "$t/conf" && expect_rc 0 && expect_out "^OK: $t/conf$"
}

t_check_config_warns_when_root_would_be_locked_out() {
  write_config "$t" 'policy = { unenrolled = "deny"; };'
  run --config "$t/conf" enroll alice +15550104567 --no-verify || return 1
  run --config "$t/conf" check-config && expect_rc 0 && expect_err 'root has no number and is not exempt' || return 1
  # A break-glass exemption (or a number for root) answers the warning.
  write_config "$t" 'policy = { unenrolled = "deny"; exempt_users = ["root"]; };'
  run --config "$t/conf" check-config && expect_rc 0 || return 1
  if grep -q 'root has no number' <<<"$err"; then echo "warned although root is exempt"; return 1; fi
  write_config "$t" 'policy = { unenrolled = "allow"; };'
  run --config "$t/conf" check-config && expect_rc 0 || return 1
  if grep -q 'root has no number' <<<"$err"; then echo "warned under unenrolled = allow"; return 1; fi
}

t_check_config_bad() {
  write_config "$t" 'policy = { code_length = 99; };'
  run --config "$t/conf" check-config && expect_rc 1 && expect_err 'code_length' || return 1
  write_config "$t"
  rm "$t/secret"
  run --config "$t/conf" check-config && expect_rc 1 && expect_err "$t/secret" || return 1
  write_config "$t"
  printf 'alice +15550104567 sms -\nbob +4477 call -\nalice +15550109999 sms -\n' >"$t/users"
  chmod 0600 "$t/users"
  run --config "$t/conf" check-config && expect_rc 1 && expect_err "$t/users:2: number is not E.164" &&
    expect_err "$t/users:3: second record for alice" && expect_err '2 problem' || return 1
  chmod 0666 "$t/users"
  run --config "$t/conf" check-config && expect_rc 1 && expect_err "$t/users"
}

# --- concurrency

t_two_enroll_loops_lose_nothing() {
  write_config "$t"
  local loop
  for loop in 1 2; do
    (
      for i in $(seq 1 25); do
        "$cli" --config "$t/conf" enroll "l${loop}u$i" "+1555${loop}00$(printf %04d "$i")" --no-verify >/dev/null ||
          exit 1
      done
    ) &
  done
  local bad=0
  wait %1 || bad=1
  wait %2 || bad=1
  [ "$bad" -eq 0 ] || { why="an enroll failed"; return 1; }
  run --config "$t/conf" list --json && expect_rc 0 || return 1
  local n
  n=$(count_json_users)
  [ "$n" = 50 ] || { why="$n records, wanted 50"; return 1; }
}

# --- the verified flow against the stand-in

# wait_for FILE PATTERN: up to 15 s.
wait_for() {
  local i
  for ((i = 0; i < 150; i++)); do
    grep -qE -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  why="timed out waiting for /$2/ in $1: $(tail -c 300 "$1" 2>&1)"
  return 1
}

# wait_for_code NUMBER: sets $code to the first code sent to NUMBER (15 s).
wait_for_code() {
  local i
  for ((i = 0; i < 150; i++)); do
    code=$(fake_twilio_last_code "$1" 2>/dev/null) && [ -n "$code" ] && return 0
    sleep 0.1
  done
  why="no code was sent to $1"
  return 1
}

# verified_enroll MODE: a wrong code first (nothing written), then the right
# one (written with the time); no secret or code on the CLI's output.
verified_enroll() {
  local mode=$1 users conf="$t/conf" pid
  fake_twilio_start "$t/twilio" >"$t/start.log" 2>&1 || { why="stand-in: $(tail -3 "$t/start.log")"; return 1; }
  fake_twilio_write_config "$conf" "$mode" || { why="fake_twilio_write_config failed"; return 1; }
  users=$FAKE_TWILIO_DIR/users
  mkfifo "$t/in"
  timeout 60 "$cli" --config "$conf" enroll alice +15550104567 <"$t/in" >"$t/out" 2>"$t/err" &
  pid=$!
  exec 7>"$t/in"
  wait_for_code +15550104567 || { exec 7>&-; wait "$pid"; return 1; }
  local wrong=000000
  [ "$code" = "$wrong" ] && wrong=111111
  printf '%s\n' "$wrong" >&7
  wait_for "$t/err" 'not right' || { exec 7>&-; wait "$pid"; return 1; }
  expect_no_line "$users" '^alice' || { why="written after a wrong code"; exec 7>&-; wait "$pid"; return 1; }
  printf '%s\n' "$code" >&7
  exec 7>&-
  wait "$pid"
  rc=$? out=$(cat "$t/out") err=$(cat "$t/err")
  expect_rc 0 || return 1
  expect_line "$users" '^alice \+15550104567 sms [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' || return 1
  expect_err 'Sent a code to \+1 ••• ••• 4567' || return 1
  local token
  token=$(cat "$FAKE_TWILIO_TOKEN_FILE")
  if grep -qF -e "$code" -e "$token" "$t/out" "$t/err"; then why="a code or the token was printed"; return 1; fi
}

# wrong_codes_only MODE: every try wrong, then nothing written and (verify
# mode) the verification cancelled.
wrong_codes_only() {
  local mode=$1
  fake_twilio_start "$t/twilio" >"$t/start.log" 2>&1 || { why="stand-in: $(tail -3 "$t/start.log")"; return 1; }
  fake_twilio_write_config "$t/conf" "$mode" || return 1
  cp "$FAKE_TWILIO_DIR/users" "$t/before"
  timeout 60 "$cli" --config "$t/conf" enroll alice +15550104567 >"$t/out" 2>"$t/err" \
    < <(printf '12\nabcdef\n0000000000\n')
  rc=$? out=$(cat "$t/out") err=$(cat "$t/err")
  expect_rc 1 && expect_err 'no right code after 3 tries' && expect_same "$FAKE_TWILIO_DIR/users" "$t/before" || return 1
  if [ "$mode" = verify ]; then
    local n
    n=$(/usr/bin/python3 "$here/../fake_twilio/records.py" "$FAKE_TWILIO_DIR" count verification_update)
    [ "${n:-0}" -ge 1 ] || { why="the verification was not cancelled"; return 1; }
  fi
}

# probe: Twilio answering is recorded as reachable, a 503 as unreachable
# (exit 1), a wrong CA as a fault that is never recorded as an outage.
t_probe_records_what_root_saw() {
  local record
  fake_twilio_start "$t/twilio" >"$t/start.log" 2>&1 || { why="stand-in: $(tail -3 "$t/start.log")"; return 1; }
  fake_twilio_write_config "$t/conf" verify || return 1
  record=$(sed -n 's/^state_dir = "\(.*\)";$/\1/p' "$t/conf")/twilio-probe.json
  [ "$record" != /twilio-probe.json ] || { why="no state_dir in the config"; return 1; }
  run --config "$t/conf" probe
  expect_rc 0 && expect_out '^reachable: ' && expect_line "$record" '"reachable":true' || return 1
  [ "$(stat -c %a "$record")" = 600 ] || { why="probe record mode $(stat -c %a "$record")"; return 1; }
  fake_twilio_control '{"fault": "http503"}'
  run --config "$t/conf" probe
  expect_rc 1 && expect_line "$record" '"reachable":false' || return 1
  fake_twilio_control '{"fault": "wrong_ca"}'
  run --config "$t/conf" probe
  expect_rc 1 && expect_line "$record" '"reachable":true' || return 1
  [ "$(/usr/bin/python3 "$here/../fake_twilio/records.py" "$FAKE_TWILIO_DIR" count verification --ok)" = 0 ] ||
    { why="the probe started a verification"; return 1; }
}

# check-config --online against the stand-in: each problem found by reads
# alone (no verification started, no message sent), each with its Console page.
t_check_config_online_finds_each_problem() {
  fake_twilio_start "$t/twilio" >"$t/start.log" 2>&1 || { why="stand-in: $(tail -3 "$t/start.log")"; return 1; }
  fake_twilio_write_config "$t/conf" verify || return 1
  run --config "$t/conf" enroll alice +15550104567 --no-verify && expect_rc 0 || return 1
  run --config "$t/conf" check-config --online
  expect_rc 0 && expect_out 'credentials +ok: .*Full, active' && expect_out 'Verify service +ok' &&
    expect_out 'geo permissions +not checked: .*\+1 \(1 user\)' || return 1
  # A trial account whose enrolled number is not a verified caller ID (21608).
  fake_twilio_control '{"account_type": "Trial", "verified_numbers": ["+15550109999"]}'
  run --config "$t/conf" check-config --online
  expect_rc 1 && expect_out 'trial account +warning' && expect_err 'alice .*not a verified caller ID.*21608' &&
    expect_err 'Console: https://console.twilio.com/us1/develop/phone-numbers/manage/verified' || return 1
  fake_twilio_control '{"account_type": "Trial", "verified_numbers": ["+15550104567"]}'
  run --config "$t/conf" check-config --online
  expect_rc 0 && expect_out 'trial numbers +ok' || return 1
  fake_twilio_control '{}'
  # Custom codes and dynamic linking are features of the Verify service.
  cp "$t/conf" "$t/conf.plain"
  sed -i 's/^\( *verify_service_sid = .*\)$/\1\n  verify_custom_code = true; amount = "{command}"; payee = "{user}@{host}";/' \
    "$t/conf"
  run --config "$t/conf" check-config --online
  expect_rc 0 && expect_out 'custom codes +ok' && expect_out 'amount and payee +ok' || return 1
  fake_twilio_control '{"custom_code_enabled": false, "psd2_enabled": false}'
  run --config "$t/conf" check-config --online
  expect_rc 1 && expect_err 'custom codes +FAILED: .*60204' && expect_err 'Enable Custom Verification Code' &&
    expect_err 'amount and payee +FAILED: .*PSD2' || return 1
  fake_twilio_control '{}'
  mv "$t/conf.plain" "$t/conf"
  # A Verify service that doesn't exist, then a sender the account doesn't own.
  sed -i 's/VAf4ce0000000000000000000000000002/VAf4ce0000000000000000000000000999/' "$t/conf"
  run --config "$t/conf" check-config --online
  expect_rc 1 && expect_err 'Verify service +FAILED: .*not found' && expect_err 'develop/verify/services' || return 1
  fake_twilio_write_config "$t/conf" messaging || return 1
  sed -i 's/from = "+15005550006"/from = "+15005550099"/' "$t/conf"
  run --config "$t/conf" check-config --online
  expect_rc 1 && expect_err 'sender +FAILED: .*not a number of this account' || return 1
  # Wrong credentials (20003), and a CA that doesn't verify Twilio's certificate.
  fake_twilio_write_config "$t/conf" verify || return 1
  fake_twilio_control '{"fault": "http401"}'
  run --config "$t/conf" check-config --online
  expect_rc 1 && expect_err 'credentials +FAILED: .*credentials' && expect_err 'Console: https://console.twilio.com/' ||
    return 1
  fake_twilio_control '{"fault": "wrong_ca"}'
  run --config "$t/conf" check-config --online
  expect_rc 1 && expect_err 'TLS +FAILED: .*(certificate|verify)' && expect_err 'twilio.ca_file' || return 1
  fake_twilio_control '{}'
  [ "$(/usr/bin/python3 "$here/../fake_twilio/records.py" "$FAKE_TWILIO_DIR" count verification)" = 0 ] &&
    [ "$(/usr/bin/python3 "$here/../fake_twilio/records.py" "$FAKE_TWILIO_DIR" count message)" = 0 ] ||
    { why="an online check sent something"; return 1; }
}

# The shipped examples' placeholder SIDs are refused, offline and online.
t_check_config_refuses_the_example_sids() {
  fake_twilio_start "$t/twilio" >"$t/start.log" 2>&1 || { why="stand-in: $(tail -3 "$t/start.log")"; return 1; }
  fake_twilio_write_config "$t/conf" verify || return 1
  sed -i 's/VAf4ce0000000000000000000000000002/VA0123456789abcdef0123456789abcdef/' "$t/conf"
  run --config "$t/conf" check-config
  expect_rc 1 && expect_err "twilio.verify_service_sid is the example's placeholder" || return 1
  run --config "$t/conf" check-config --online
  expect_rc 1 && expect_err 'Twilio was not asked' || return 1
  [ ! -s "$FAKE_TWILIO_DIR/records.jsonl" ] || { why="Twilio was asked: $(head -c 200 "$FAKE_TWILIO_DIR/records.jsonl")"; return 1; }
}

# enroll --lookup (and twilio.lookup): a landline for SMS and a premium number
# are refused before any code is sent, a VoIP number is enrolled with a
# warning; --no-lookup skips the request; both flags are a usage error.
t_enroll_lookup_refuses_and_warns() {
  local conf="$t/conf" records=("$here/../fake_twilio/records.py")
  fake_twilio_start "$t/twilio" >"$t/start.log" 2>&1 || { why="stand-in: $(tail -3 "$t/start.log")"; return 1; }
  fake_twilio_write_config "$conf" verify || return 1
  sed -i "s|^\( *verify_service_sid = .*\)\$|\1\n  lookup_url = \"$FAKE_TWILIO_URL\";|" "$conf"
  run --config "$conf" enroll alice +15005550009 --lookup --no-verify
  expect_rc 1 && expect_err 'Lookup: \+15005550009 \(landline.*can.t receive SMS' || return 1
  run --config "$conf" enroll alice +15005550022 --channel call --lookup --no-verify
  expect_rc 1 && expect_err 'premium-rate' || return 1
  run --config "$conf" enroll alice +15005550020 --lookup --no-verify
  expect_rc 0 && expect_err 'warning: Lookup: \+15005550020 \(nonFixedVoip.*non-fixed VoIP' || return 1
  run --config "$conf" enroll alice +15005550009 --channel call --lookup --no-verify
  expect_rc 0 && expect_err 'warning: .*landline: only voice calls' || return 1
  run --config "$conf" enroll alice +15005550009 --lookup --no-lookup
  expect_rc 2 || return 1
  sed -i "s|^\( *lookup_url = .*\)\$|\1\n  lookup = true;|" "$conf"
  run --config "$conf" enroll bob +15005550009 --no-verify
  expect_rc 1 && expect_err 'landline' || return 1
  run --config "$conf" enroll bob +15005550009 --no-lookup --no-verify
  expect_rc 0 || return 1
  [ "$(/usr/bin/python3 "${records[0]}" "$FAKE_TWILIO_DIR" count lookup)" = 5 ] ||
    { why="expected 5 lookups: $(/usr/bin/python3 "${records[0]}" "$FAKE_TWILIO_DIR" count lookup)"; return 1; }
  [ "$(/usr/bin/python3 "${records[0]}" "$FAKE_TWILIO_DIR" count verification)" = 0 ] ||
    { why="a code was sent"; return 1; }
}

# enroll --totp: refused without "totp" in policy.channels; else a QR code
# and the URI on the terminal, a wrong app code (nothing written), the right
# one (the record, channel totp, no number); the seed never on stdout.
t_enroll_totp_shows_a_qr_code_and_checks_the_app() {
  local conf="$t/conf" users records="$here/../fake_twilio/records.py" pid sid secret i
  fake_twilio_start "$t/twilio" >"$t/start.log" 2>&1 || { why="stand-in: $(tail -3 "$t/start.log")"; return 1; }
  fake_twilio_write_config "$conf" verify || return 1
  users=$FAKE_TWILIO_DIR/users
  run --config "$conf" enroll alice --totp
  expect_rc 1 && expect_err 'needs "totp" in policy.channels' || return 1
  run --config "$conf" enroll alice --totp --channel sms
  expect_rc 2 || return 1
  fake_twilio_write_config "$conf" verify 'policy = { channels = ["totp", "sms"]; };' || return 1
  mkfifo "$t/in"
  timeout 60 "$cli" --config "$conf" enroll alice --totp <"$t/in" >"$t/out" 2>"$t/err" &
  pid=$!
  exec 7>"$t/in"
  for ((i = 0; i < 150; i++)); do
    sid=$(/usr/bin/python3 "$records" "$FAKE_TWILIO_DIR" last factor_create 2>/dev/null |
      /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("sid") or "")' 2>/dev/null)
    [ -n "$sid" ] && break
    sleep 0.1
  done
  [ -n "$sid" ] || { why="no factor was created"; exec 7>&-; wait "$pid"; return 1; }
  printf '000000\n' >&7
  wait_for "$t/err" 'not right' || { exec 7>&-; wait "$pid"; return 1; }
  printf '%s\n' "$(/usr/bin/python3 "$records" "$FAKE_TWILIO_DIR" totp-code "$sid")" >&7
  exec 7>&-
  wait "$pid"
  rc=$? out=$(cat "$t/out") err=$(cat "$t/err")
  expect_rc 0 && expect_out "enrolled alice: authenticator app \\(Verify factor $sid\\)" &&
    expect_err '▀|▄|█' && expect_err 'otpauth://totp/' &&
    expect_line "$users" '^alice - totp [0-9T:Z-]+$' || return 1
  secret=$(/usr/bin/python3 "$records" "$FAKE_TWILIO_DIR" factor-secret "$(sed -n 's/.*"identity": *"\([^"]*\)".*/\1/p' \
    <(/usr/bin/python3 "$records" "$FAKE_TWILIO_DIR" last factor_create) | head -1)")
  if [ -n "$secret" ] && grep -qF "$secret" "$t/out"; then why="the seed was printed on stdout"; return 1; fi
  # remove revokes the app at Twilio too, and a second remove finds nothing.
  run --config "$conf" remove alice
  expect_rc 0 && expect_out 'removed alice' && expect_out 'deleted 1 authenticator app\(s\) of alice at Twilio' ||
    return 1
  run --config "$conf" remove alice
  expect_rc 1 || return 1
}

t_verified_enroll_verify_mode() { verified_enroll verify; }
t_verified_enroll_messaging_mode() { verified_enroll messaging; }

# enroll --email: the number and the address each get a code, both must come
# back, and the address is the record's fifth field; --channel email without
# an address, or a malformed one, is a usage error that sends nothing.
t_enroll_with_an_email_address_proves_both() {
  local conf="$t/conf" users pid
  fake_twilio_start "$t/twilio" >"$t/start.log" 2>&1 || { why="stand-in: $(tail -3 "$t/start.log")"; return 1; }
  fake_twilio_write_config "$conf" verify 'policy = { channels = ["sms", "email"]; };' || return 1
  users=$FAKE_TWILIO_DIR/users
  run --config "$conf" enroll alice +15550104567 --channel email
  expect_rc 2 && expect_err 'needs --email' || return 1
  run --config "$conf" enroll alice +15550104567 --email 'alice@localhost'
  expect_rc 2 && expect_err '--email must be an address' || return 1
  mkfifo "$t/in"
  timeout 60 "$cli" --config "$conf" enroll alice +15550104567 --channel email --email alice@example.com \
    <"$t/in" >"$t/out" 2>"$t/err" &
  pid=$!
  exec 7>"$t/in"
  wait_for_code +15550104567 || { exec 7>&-; wait "$pid"; return 1; }
  printf '%s\n' "$code" >&7
  wait_for_code alice@example.com || { exec 7>&-; wait "$pid"; return 1; }
  printf '%s\n' "$code" >&7
  exec 7>&-
  wait "$pid"
  rc=$? out=$(cat "$t/out") err=$(cat "$t/err")
  expect_rc 0 && expect_err 'Sent a code to a•••@example.com by email' &&
    expect_line "$users" '^alice \+15550104567 email [0-9T:Z-]+ alice@example\.com$' || return 1
  run --config "$conf" show alice
  expect_rc 0 && expect_out '^email: +alice@example\.com$' || return 1
}
t_wrong_codes_write_nothing_verify_mode() { wrong_codes_only verify; }
t_wrong_codes_write_nothing_messaging_mode() { wrong_codes_only messaging; }

t_no_code_given_writes_nothing() {
  fake_twilio_start "$t/twilio" >"$t/start.log" 2>&1 || { why="stand-in: $(tail -3 "$t/start.log")"; return 1; }
  fake_twilio_write_config "$t/conf" verify || return 1
  run --config "$t/conf" enroll alice +15550104567 && expect_rc 1 && expect_err 'no code given' &&
    expect_no_line "$FAKE_TWILIO_DIR/users" '^alice'
}

# tty SCENARIO: tty_enroll.py drives the CLI on a pseudo-terminal (echo off,
# Ctrl-C); see its docstring.
tty() {
  fake_twilio_start "$t/twilio" >"$t/start.log" 2>&1 || { why="stand-in: $(tail -3 "$t/start.log")"; return 1; }
  fake_twilio_write_config "$t/conf" verify || return 1
  /usr/bin/python3 "$here/tty_enroll.py" "$cli" "$t/conf" "$FAKE_TWILIO_DIR" +15550104567 "$1" 2>"$t/tty.err" ||
    { why=$(cat "$t/tty.err"); return 1; }
}

t_terminal_prompt_never_echoes_codes() {
  tty right && expect_line "$FAKE_TWILIO_DIR/users" '^alice \+15550104567 sms 2'
}

t_ctrl_c_restores_echo_and_cancels() {
  tty interrupt && expect_no_line "$FAKE_TWILIO_DIR/users" '^alice' || return 1
  local n
  n=$(/usr/bin/python3 "$here/../fake_twilio/records.py" "$FAKE_TWILIO_DIR" count verification_update)
  [ "${n:-0}" -ge 1 ] || { why="the verification was not cancelled"; return 1; }
}

# --- main

if [ "$(id -u)" -ne 0 ]; then
  echo "[  FAILED  ] setup: tests/cli/run.sh must run as root (the CLI trusts only root-owned files)"
  echo "[  FAILED  ] 1 test(s)"
  exit 1
fi
if [ ! -x "$bin" ]; then
  echo "[  FAILED  ] setup: $bin is not built"
  echo "[  FAILED  ] 1 test(s)"
  exit 1
fi
# The accounts the tests' NSS knows (tests/common/pam_wrapper.sh); carol,
# alcie and gone are not among them.
# shellcheck source=../common/pam_wrapper.sh
. "$here/../common/pam_wrapper.sh"
if ! nss_lib=$(nss_wrapper_lib); then
  echo "[  FAILED  ] setup: no libnss_wrapper.so (apt-get install libnss-wrapper)"
  echo "[  FAILED  ] 1 test(s)"
  exit 1
fi
mkdir -p "$work/nss"
# shellcheck disable=SC2046  # one word a user
nss_wrapper_files "$work/nss" alice bob frank $(for i in $(seq 1 25); do echo "l1u$i l2u$i"; done)
cli="$work/twilio-otp"
printf '#!/bin/sh\nLD_PRELOAD=%s exec %s "$@"\n' "$nss_lib" "$bin" >"$cli"
chmod 0755 "$cli"

for t_fn in t_help_exits_0_everywhere t_unknown_subcommand_exits_2 t_bad_usage_exits_2 \
  t_top_level_h_and_version t_every_help_lists_every_option_with_its_text \
  t_writers_refuse_non_root t_enroll_no_verify_writes_the_record t_enroll_refuses_a_user_the_system_does_not_know \
  t_list_and_show_print_numbers_in_full t_list_json_parses t_show_unknown_user_exits_1 \
  t_enroll_keeps_comments_and_other_lines t_bad_number_is_refused_clearly t_policy_limits_are_enforced \
  t_remove_deletes_the_record t_bad_config_is_refused t_config_errors_name_the_setting \
  t_check_config_good t_check_config_warns_when_root_would_be_locked_out t_check_config_bad \
  t_two_enroll_loops_lose_nothing t_backup_codes_prints_n_codes_and_status_counts_them \
  t_backup_codes_refused_for_bad_count_or_unenrolled_user t_unlock_clears_a_lockout_and_keeps_backup_codes \
  t_status_json_parses t_status_of_unknown_user_exits_1 t_list_locked_shows_who_is_locked_out_now \
  t_rate_limits_takes_one_action t_corrupt_state_is_reported_and_unlock_replaces_it t_state_writers_refuse_non_root; do
  check "${t_fn#t_}" "$t_fn"
done

# --- the LDAP backend (tests/ldap/slapd_env.sh's directory)

t_ldap_enroll_show_list_remove() {
  write_ldap_config "$t" root
  run --config "$t/conf" enroll frank '+1 555 010 9001' --channel call --no-verify && expect_rc 0 || return 1
  expect_out 'enrolled frank: \+15550109001 by call' || return 1
  run --config "$t/conf" show frank --json && expect_rc 0 || return 1
  python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["number"]=="+15550109001" and d["channel"]=="call", d' \
    <<<"$out" || { why="show: $out"; return 1; }
  run --config "$t/conf" list && expect_rc 0 && expect_out '^frank +\+15550109001 +call' || return 1
  expect_out '^alice +\+15550104567 +sms' || return 1
  run --config "$t/conf" remove frank && expect_rc 0 && expect_out "removed frank from ldap $SLAPD_LDAPS_URI_CLI" || return 1
  run --config "$t/conf" show frank && expect_rc 1 && expect_err 'has no mobile' || return 1
  # --force gets past NSS; the directory still refuses a user it has no entry for.
  run --config "$t/conf" enroll nosuchuser +15550109002 --no-verify --force && expect_rc 1 &&
    expect_err 'does not create users'
}

# The documented rule: trust is ca_file or the system bundle, never
# ldap.conf's TLS_CACERT (which a user could switch off for sudo with
# LDAPNOINIT). An ldap.conf naming the test CA must not make the test server
# trusted; the same server with ca_file is.
t_ldap_trust_never_comes_from_ldap_conf() {
  printf 'TLS_CACERT %s\nTLS_REQCERT demand\n' "$SLAPD_CA" >"$t/ldap.conf"
  directory="directory = { backend = \"ldap\"; ldap = { uri = [\"$SLAPD_LDAPS_URI_CLI\"];
    base = \"$SLAPD_BASE\"; timeout = 2; }; };" write_config "$t"
  env -u LDAPNOINIT LDAPCONF="$t/ldap.conf" timeout 60 "$cli" --config "$t/conf" show alice \
    >"$work/out" 2>"$work/err" </dev/null
  rc=$? out=$(cat "$work/out") err=$(cat "$work/err")
  expect_rc 1 && expect_err "Can't contact LDAP server" || return 1
  write_ldap_config "$t" anonymous  # the same server with ca_file: trusted
  run --config "$t/conf" show alice && expect_rc 0 && expect_out '\+15550104567'
}

t_ldap_read_only_bind_is_told_clearly() {
  write_ldap_config "$t" anonymous
  run --config "$t/conf" enroll alice +15550109003 --no-verify && expect_rc 1 || return 1
  expect_err 'may not write mobile' && expect_err 'bind as a DN with write access' || return 1
  run --config "$t/conf" show alice && expect_rc 0 && expect_out '\+15550104567'
}

t_ldap_check_config_names_unusable_entries() {
  write_ldap_config "$t" root
  run --config "$t/conf" check-config && expect_rc 1 || return 1
  expect_err 'uid=carol,' && expect_err 'uid=erin,' && expect_err 'dave has 2 entries' && expect_err 'otpChannel of uid=ivan,'
}

t_ldap_directory_down_is_an_error_not_an_empty_list() {
  directory="directory = { backend = \"ldap\"; ldap = { uri = [\"ldaps://127.0.0.1:1\"];
    base = \"$SLAPD_BASE\"; timeout = 2; }; };" write_config "$t"
  run --config "$t/conf" list && expect_rc 1 && expect_err 'no server could answer'
}

slapd_env="$here/../ldap/slapd_env.sh"
# shellcheck source=../ldap/slapd_env.sh
if . "$slapd_env" && ldap_start "$work/slapd" CLI >"$work/slapd.log" 2>&1; then
  export LDAPNOINIT=1
  for t_fn in t_ldap_enroll_show_list_remove t_ldap_trust_never_comes_from_ldap_conf t_ldap_read_only_bind_is_told_clearly \
    t_ldap_check_config_names_unusable_entries t_ldap_directory_down_is_an_error_not_an_empty_list; do
    check "${t_fn#t_}" "$t_fn"
  done
  ldap_stop
else
  result_failed ldap "slapd did not start: $(tail -n 5 "$work/slapd.log")"
fi

fake_env="$here/../fake_twilio/fake_env.sh"
if [ -f "$fake_env" ]; then
  # shellcheck source=../fake_twilio/fake_env.sh
  . "$fake_env"
  for t_fn in t_verified_enroll_verify_mode t_verified_enroll_messaging_mode t_enroll_with_an_email_address_proves_both \
    t_enroll_lookup_refuses_and_warns t_enroll_totp_shows_a_qr_code_and_checks_the_app \
    t_wrong_codes_write_nothing_verify_mode t_wrong_codes_write_nothing_messaging_mode \
    t_no_code_given_writes_nothing t_terminal_prompt_never_echoes_codes t_ctrl_c_restores_echo_and_cancels \
    t_probe_records_what_root_saw t_check_config_online_finds_each_problem t_check_config_refuses_the_example_sids; do
    check "${t_fn#t_}" "$t_fn"
    fake_twilio_stop
  done
else
  result_failed verified_enroll "$fake_env is missing"
fi

result_summary
