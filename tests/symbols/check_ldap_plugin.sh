#!/usr/bin/env bash
# The LDAP backend is a plugin the module loads only when it is configured
# (pam_module/directory/ldap_plugin.h): the module itself must not bring
# libldap and its dozen libraries to every login, the plugin must export its
# opener and nothing else, and a missing, writable or foreign plugin must
# refuse an LDAP login loudly while a file-backend login never looks for it.
# Logins are real PAM (pamtester under pam_wrapper) against the stand-in.
set -uo pipefail
TWOTP_KEEP=${TWOTP_KEEP:-}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$root/$BUILD" ;; esac
module="$BUILD/pam_twilio_otp.so"
plugin="$BUILD/pam_twilio_otp/ldap_directory.so"
pass=0; fail=0
ok() { echo "[       OK ] $1"; pass=$((pass + 1)); }
bad() { echo "[  FAILED  ] $1: $2"; fail=$((fail + 1)); }
check() { if [ -z "$2" ]; then ok "$1"; else bad "$1" "$2"; fi; }  # check NAME PROBLEM

# 1. What the module brings: no LDAP, at most 15 libraries (issue 16's bound).
needed=$(ldd "$module")
check "the module does not bring libldap, liblber, SASL or GnuTLS" \
  "$(grep -E 'libldap|liblber|libsasl|libgnutls' <<<"$needed")"
count=$(grep -c '=>' <<<"$needed")
check "the module brings at most 15 shared libraries" "$([ "$count" -le 15 ] || echo "$count: $needed")"

# 2. The plugin: one export, full RELRO, and it does bring libldap.
exports=$(nm -D --defined-only "$plugin" | awk '{print $3}' | grep -v '^$')
check "the plugin exports twotp_ldap_directory_open and nothing else" \
  "$([ "$exports" = twotp_ldap_directory_open ] || echo "$exports" | head -c 300)"
dynamic=$(readelf -d "$plugin")
check "the plugin has full RELRO (BIND_NOW)" "$(grep -q 'BIND_NOW\|FLAGS.*NOW' <<<"$dynamic" || echo "no BIND_NOW")"
check "the plugin links libldap" "$(grep -q 'libldap' <<<"$dynamic" || echo "no libldap in NEEDED")"

# 3. Loading, through real PAM. Root: the module trusts root's files only.
if [ "$(id -u)" -ne 0 ]; then
  echo "[  SKIPPED ] plugin loading (needs root: the module trusts only root's files)"
else
  # shellcheck source=../fake_twilio/fake_env.sh
  source "$root/tests/fake_twilio/fake_env.sh"
  source "$root/tests/common/pam_wrapper.sh"
  work=$(mktemp -d /tmp/twotp-plugin.XXXXXX)
  trap 'fake_twilio_stop; [ -n "$TWOTP_KEEP" ] || rm -rf "$work"' EXIT
  fake_twilio_start "$work/twilio" >/dev/null
  nss_wrapper_files "$work" carol
  printf 'carol +15550104567 sms -\n' >"$FAKE_TWILIO_DIR/users"
  # A copy of the module in a folder of its own: its plugin is whatever
  # each case puts beside it.
  mkdir -p "$work/lib/pam_twilio_otp" "$work/pam.d"
  cp "$module" "$work/lib/pam_twilio_otp.so"
  fake_twilio_write_config "$work/file.conf" verify
  # Nothing listens on port 9: with a plugin, an LDAP lookup is "unavailable".
  sed -e 's|backend = "file";|backend = "ldap"; ldap = { uri = ["ldaps://127.0.0.1:9"]; base = "dc=example,dc=com"; timeout = 1; };|' \
    -e '/^ *file = /d' "$work/file.conf" >"$work/ldap.conf"
  chmod 600 "$work/ldap.conf"
  for name in file ldap; do
    echo "auth required $work/lib/pam_twilio_otp.so config=$work/$name.conf" >"$work/pam.d/twotp-$name"
  done
  echo "auth required pam_deny.so" >"$work/pam.d/other"

  # login NAME: one login of carol (no code typed); stdout and stderr, with
  # every pam_syslog line and the libraries ld.so loaded (LD_DEBUG=files).
  login() {
    env LD_PRELOAD="$(pam_wrapper_lib):$(nss_wrapper_lib)" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$work/pam.d" \
      PAM_WRAPPER_DEBUGLEVEL=2 LD_DEBUG=files pamtester "twotp-$1" carol authenticate </dev/null 2>&1
  }

  out=$(login file)
  check "a file-backend login works without the plugin" \
    "$(grep -q 'Verification code' <<<"$out" || echo "no prompt: $(tail -5 <<<"$out")")"
  check "a file-backend login loads no LDAP library" "$(grep -E 'file=.*(libldap|ldap_directory)' <<<"$out" | head -3)"

  out=$(login ldap)
  check "an LDAP login without the plugin is refused, naming the missing file" \
    "$(grep -q "pam_twilio_otp/ldap_directory.so" <<<"$out" && ! grep -q 'successfully authenticated' <<<"$out" ||
      echo "$(grep -v '^ *[0-9]*: ' <<<"$out" | tail -5)")"

  cp "$plugin" "$work/lib/pam_twilio_otp/ldap_directory.so"
  chmod 0664 "$work/lib/pam_twilio_otp/ldap_directory.so"
  out=$(login ldap)
  check "a group-writable plugin is refused, and not loaded" \
    "$(grep -q 'writable' <<<"$out" && ! grep -qE 'file=.*libldap' <<<"$out" || echo "$(grep -v '^ *[0-9]*: ' <<<"$out" | tail -5)")"

  chmod 0644 "$work/lib/pam_twilio_otp/ldap_directory.so"
  out=$(login ldap)
  check "an LDAP login loads the plugin and libldap, and reaches the server" \
    "$(grep -qE 'file=.*libldap' <<<"$out" && grep -q "Can't contact LDAP server" <<<"$out" ||
      echo "$(grep -v '^ *[0-9]*: ' <<<"$out" | tail -5)")"

  # A plugin from another build (its headers hash differently) refuses the module.
  g++ -std=c++20 -fPIC -fvisibility=hidden -shared -I"$root/pam_module" -DTWOTP_ABI='"another-build"' \
    -Wl,--version-script="$root/pam_module/directory/ldap_plugin.map" \
    -o "$work/lib/pam_twilio_otp/ldap_directory.so" "$root/pam_module/directory/ldap_plugin_entry.cc" \
    -Wl,--start-group "$BUILD/libtwotp_ldap.a" "$BUILD/libtwotp.a" -Wl,--end-group \
    -lconfig -lssl -lcrypto -lhttp_parser -lldap -llber
  out=$(login ldap)
  check "a plugin from another build is refused" \
    "$(grep -q 'another build' <<<"$out" || echo "$(grep -v '^ *[0-9]*: ' <<<"$out" | tail -5)")"
fi

echo "[  PASSED  ] $pass test(s)."
[ "$fail" -eq 0 ] || { echo "[  FAILED  ] $fail test(s), listed above"; exit 1; }
