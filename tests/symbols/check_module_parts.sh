#!/usr/bin/env bash
# The module's parts (pam_module/pam/engine.h, directory/ldap_plugin.h):
# libpam loads the front, which links neither OpenSSL nor libldap and loads
# pam_twilio_otp/engine.so only for a login that goes past the skip rules;
# the engine loads pam_twilio_otp/ldap_directory.so only for the LDAP
# backend. Each part exports one symbol; a missing, writable or foreign part
# refuses the logins that need it, loudly, and no other login.
# Logins are real PAM (pamtester under pam_wrapper) against the stand-in.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$root/$BUILD" ;; esac
module="$BUILD/pam_twilio_otp.so"
engine="$BUILD/pam_twilio_otp/engine.so"
plugin="$BUILD/pam_twilio_otp/ldap_directory.so"
pass=0; fail=0
ok() { echo "[       OK ] $1"; pass=$((pass + 1)); }
bad() { echo "[  FAILED  ] $1: $2"; fail=$((fail + 1)); }
check() { if [ -z "$2" ]; then ok "$1"; else bad "$1" "$2"; fi; }  # check NAME PROBLEM

# 1. What each part brings. With the file backend a login loads the front
# and the engine: together at most 15 libraries (issue 16's bound), none of
# LDAP's. The front alone: no OpenSSL, and (but under the sanitizers) no
# shared C++ runtime.
front=$(ldd "$module")
both=$( (ldd "$module"; ldd "$engine") | grep '=>' | awk '{print $1}' | sort -u)
check "front and engine bring no libldap, liblber, SASL or GnuTLS" \
  "$(grep -E 'libldap|liblber|libsasl|libgnutls' <<<"$both")"
count=$(grep -c . <<<"$both")
check "front and engine bring at most 15 shared libraries" "$([ "$count" -le 15 ] || echo "$count: $both")"
check "the front brings no OpenSSL" "$(grep -E 'libssl|libcrypto' <<<"$front")"
if [ -z "${SANITIZE:-}" ]; then
  check "every part carries its C++ runtime (no libstdc++.so)" \
    "$(for part in "$module" "$engine" "$plugin"; do ldd "$part" | grep -E 'libstdc\+\+|libgcc_s' | sed "s|^|$part: |"; done)"
  # That runtime's constructors allocate, and nothing frees it at dlclose:
  # each part stays loaded (a daemon's pam_start/pam_end would leak 72 KiB a login).
  check "every part is never unloaded (NODELETE)" \
    "$(for part in "$module" "$engine" "$plugin"; do readelf -d "$part" | grep -q 'FLAGS_1.*NODELETE' || echo "$part"; done)"
fi
engine_exports=$(nm -D --defined-only "$engine" | awk '{print $3}' | grep -v '^$')
check "the engine exports twotp_engine_authenticate and nothing else" \
  "$([ "$engine_exports" = twotp_engine_authenticate ] || echo "$engine_exports" | head -c 300)"
check "the engine has full RELRO (BIND_NOW)" "$(readelf -d "$engine" | grep -q 'BIND_NOW\|FLAGS.*NOW' || echo "no BIND_NOW")"

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
  trap 'fake_twilio_stop; rm -rf "$work"' EXIT
  fake_twilio_start "$work/twilio" >/dev/null
  nss_wrapper_files "$work" carol
  printf 'carol +15550104567 sms -\n' >"$FAKE_TWILIO_DIR/users"
  # A copy of the module in a folder of its own: its parts are whatever
  # each case puts beside it.
  parts="$work/lib/pam_twilio_otp"
  mkdir -p "$parts" "$work/pam.d"
  cp "$module" "$work/lib/pam_twilio_otp.so"
  fake_twilio_write_config "$work/file.conf" verify
  fake_twilio_write_config "$work/exempt.conf" verify 'policy = { exempt_users = ["carol"]; };'
  # Nothing listens on port 9: with a plugin, an LDAP lookup is "unavailable".
  sed -e 's|backend = "file";|backend = "ldap"; ldap = { uri = ["ldaps://127.0.0.1:9"]; base = "dc=example,dc=com"; timeout = 1; };|' \
    -e '/^ *file = /d' "$work/file.conf" >"$work/ldap.conf"
  chmod 600 "$work/ldap.conf"
  for name in file ldap exempt; do
    echo "auth required $work/lib/pam_twilio_otp.so config=$work/$name.conf" >"$work/pam.d/twotp-$name"
  done
  echo "auth required pam_deny.so" >"$work/pam.d/other"

  # login NAME: one login of carol (no code typed); stdout and stderr, with
  # every pam_syslog line and the libraries ld.so loaded (LD_DEBUG=files).
  login() {
    env LD_PRELOAD="$(pam_wrapper_lib):$(nss_wrapper_lib)" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$work/pam.d" \
      PAM_WRAPPER_DEBUGLEVEL=2 LD_DEBUG=files pamtester "twotp-$1" carol authenticate </dev/null 2>&1
  }

  # shown OUT: the module's lines of a login's output (not ld.so's).
  shown() { grep -vP '^\s*\d+:' <<<"$1" | grep -v '^$' | tail -5; }

  # The front alone: an exempt user is let through by the next module of
  # the stack (PAM_IGNORE) without the engine, OpenSSL or the C++ runtime.
  out=$(login exempt)
  check "an exempt user is skipped by the front alone, with no engine there" \
    "$(grep -q 'result=skipped (exempt' <<<"$out" || shown "$out")"
  check "an exempt user's login loads no OpenSSL and no C++ runtime" \
    "$(grep -E 'file=.*(libssl|libcrypto|libstdc|engine\.so)' <<<"$out" | head -3)"
  # guarded FILE SOURCE SERVICE LIBRARY WHAT: a login through SERVICE is
  # refused while FILE is missing, then while it is group-writable (and
  # LIBRARY is not loaded); FILE is SOURCE's copy, 0644, afterwards.
  guarded() {
    local file=$1 source=$2 service=$3 library=$4 what=$5
    out=$(login "$service")
    check "a login that needs the $what is refused without it, naming the file" \
      "$(grep -q "pam_twilio_otp/${file##*/}" <<<"$out" && ! grep -q 'successfully authenticated' <<<"$out" ||
        shown "$out")"
    cp "$source" "$file"
    chmod 0664 "$file"
    out=$(login "$service")
    check "a group-writable $what is refused, and not loaded" \
      "$(grep -q 'writable' <<<"$out" && ! grep -qE "file=.*$library" <<<"$out" || shown "$out")"
    chmod 0644 "$file"
  }

  guarded "$parts/engine.so" "$engine" file libssl engine
  chmod 0775 "$parts"
  out=$(login file)
  check "an engine in a group-writable folder is refused, and not loaded" \
    "$(grep -q 'not writable by group or others' <<<"$out" && ! grep -qE 'file=.*libssl' <<<"$out" || shown "$out")"
  chmod 0755 "$parts"

  out=$(login file)
  check "a file-backend login loads the engine and OpenSSL, and asks for the code" \
    "$(grep -q 'Verification code' <<<"$out" && grep -qE 'file=.*libssl' <<<"$out" || shown "$out")"
  check "a file-backend login loads no LDAP library" "$(grep -E 'file=.*(libldap|ldap_directory)' <<<"$out" | head -3)"

  guarded "$parts/ldap_directory.so" "$plugin" ldap libldap "LDAP backend"
  out=$(login ldap)
  check "an LDAP login loads the plugin and libldap, and reaches the server" \
    "$(grep -qE 'file=.*libldap' <<<"$out" && grep -q "Can't contact LDAP server" <<<"$out" ||
      shown "$out")"

  # A plugin from another build (its headers hash differently) refuses the module.
  g++ -std=c++20 -fPIC -fvisibility=hidden -shared -I"$root/pam_module" -DTWOTP_ABI='"another-build"' \
    -Wl,--version-script="$root/pam_module/directory/ldap_plugin.map" \
    -o "$parts/ldap_directory.so" "$root/pam_module/directory/ldap_plugin_entry.cc" \
    -Wl,--start-group "$BUILD/libtwotp_ldap.a" "$BUILD/libtwotp.a" -Wl,--end-group \
    -lconfig -lssl -lcrypto -lhttp_parser -lldap -llber
  out=$(login ldap)
  check "a plugin from another build is refused" "$(grep -q 'another build' <<<"$out" || shown "$out")"

  # And an engine from another build (its entry built with another stamp,
  # the rest of it this build's objects).
  g++ -std=c++20 -fPIC -fvisibility=hidden -shared -I"$root/pam_module" -DTWOTP_ABI='"another-build"' \
    -Wl,--version-script="$root/pam_module/pam/engine.map" -o "$parts/engine.so" \
    "$root/pam_module/pam/engine_entry.cc" \
    "$BUILD"/pam_module/pam/{pam_setup,pam_glue,plugin_loader,ldap_plugin_loader}.o \
    "$BUILD/libtwotp.a" -lpam -lconfig -lssl -lcrypto -lhttp_parser
  out=$(login file)
  check "an engine from another build is refused" \
    "$(grep -q 'another build' <<<"$out" && grep -q 'not set up correctly' <<<"$out" || shown "$out")"
fi

echo "[  PASSED  ] $pass test(s)."
[ "$fail" -eq 0 ] || { echo "[  FAILED  ] $fail test(s), listed above"; exit 1; }
