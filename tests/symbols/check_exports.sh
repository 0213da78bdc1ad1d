#!/usr/bin/env bash
# The module must export the PAM entry points and nothing else of ours
# (version script + hidden visibility). Checked with nm -D on the built .so.
set -uo pipefail
so="${BUILD:-build}/pam_twilio_otp.so"
pass=0; fail=0
ok() { echo "[       OK ] $1"; pass=$((pass + 1)); }
bad() { echo "[  FAILED  ] $1: $2"; fail=$((fail + 1)); }

defined=$(nm -D --defined-only "$so" | awk '{print $3}' | sort)
for sym in pam_sm_authenticate pam_sm_setcred; do
  grep -qx "$sym" <<<"$defined" && ok "exports $sym" || bad "exports $sym" "missing"
done
extra=$(grep -vx -e pam_sm_authenticate -e pam_sm_setcred <<<"$defined" | grep -v '^$')
[ -z "$extra" ] && ok "exports nothing else" || bad "exports nothing else" "$(echo $extra | head -c 300)"
# Full RELRO and -z defs: BIND_NOW in the dynamic section, no undefined symbol we own.
# (Each readelf is read whole first: with pipefail, `readelf | grep -q` fails
# whenever grep stops early and readelf dies of SIGPIPE.)
dynamic=$(readelf -d "$so")
segments=$(readelf -lW "$so")
symbols=$(readelf -sW "$so")
grep -q 'BIND_NOW\|FLAGS.*NOW' <<<"$dynamic" && ok "full RELRO (BIND_NOW)" || bad "full RELRO" "no BIND_NOW"
grep -q GNU_RELRO <<<"$segments" && ok "RELRO segment" || bad "RELRO segment" "missing"
grep -q '__stack_chk_fail' <<<"$symbols" && ok "stack protector" || bad "stack protector" "no __stack_chk_fail reference"

echo "[  PASSED  ] $pass test(s)."
[ "$fail" -eq 0 ] || { echo "[  FAILED  ] $fail test(s), listed above"; exit 1; }
