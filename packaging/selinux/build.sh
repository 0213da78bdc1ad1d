#!/usr/bin/env bash
# Builds the SELinux policy module pam_twilio_otp.pp with the reference
# policy's development Makefile, and checks it against a real policy.
#   packaging/selinux/build.sh [OUTDIR]            (default: build/packages)
# Debian 12: apt-get install selinux-policy-dev (the Makefile and interface
# headers of refpolicy 2.20221101), checkpolicy, semodule-utils. Fedora/RHEL:
# selinux-policy-devel; the same sources build there unchanged.
#
# The check (on by default when the modules are at hand) links the module
# with the distribution's base, ssh, sudo and unconfined modules
# (semodule_link, semodule_expand), so every type, attribute and interface
# it uses must exist there and its optional blocks must be enabled; checks
# its file contexts against that policy (setfiles -c); and, with setools
# installed, that sshd_t, local_login_t and the sudo domains really got the
# rules (sesearch). The modules come from SELINUX_POLICY_DIR (a directory of
# base.pp[.bz2], ssh.pp[.bz2], ...), else /usr/share/selinux/default (the
# selinux-policy-default package), else SELINUX_POLICY_DEB (its .deb,
# unpacked, not installed). SELINUX_CHECK=0 skips the check.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/build/packages}
mkdir -p "$out"
out=$(cd "$out" && pwd)
devel=${SELINUX_DEVEL_MAKEFILE:-/usr/share/selinux/devel/Makefile}
[ -f "$devel" ] || { echo "selinux/build: $devel not found (Debian: apt-get install selinux-policy-dev)" >&2; exit 1; }

work=$(mktemp -d /tmp/twotp-selinux.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$here"/pam_twilio_otp.te "$here"/pam_twilio_otp.if "$here"/pam_twilio_otp.fc "$work"/
# m4 warnings ("non-numeric argument", usually a quote in a comment) are
# errors here: the module they produce is not the one written.
if ! make -C "$work" -f "$devel" pam_twilio_otp.pp >"$work/build.log" 2>&1 || grep -q '^m4:' "$work/build.log"; then
  cat "$work/build.log" >&2
  echo "selinux/build: the module did not build cleanly" >&2
  exit 1
fi
cp "$work/pam_twilio_otp.pp" "$out/"
echo "selinux/build: $out/pam_twilio_otp.pp"

[ "${SELINUX_CHECK:-1}" != 0 ] || exit 0
mods=${SELINUX_POLICY_DIR:-}
if [ -z "$mods" ] && [ -e /usr/share/selinux/default/base.pp.bz2 ] || [ -e /usr/share/selinux/default/base.pp ]; then
  mods=/usr/share/selinux/default
fi
if [ -z "$mods" ] && [ -n "${SELINUX_POLICY_DEB:-}" ]; then
  dpkg-deb -x "$SELINUX_POLICY_DEB" "$work/deb"
  mods=$work/deb/usr/share/selinux/default
fi
if [ -z "$mods" ]; then
  echo "selinux/build: no policy modules to check against (set SELINUX_POLICY_DIR or SELINUX_POLICY_DEB); built, not checked"
  exit 0
fi
for m in base ssh sudo unconfined; do
  if [ -e "$mods/$m.pp.bz2" ]; then bunzip2 -c "$mods/$m.pp.bz2" >"$work/$m.pp"
  elif [ -e "$mods/$m.pp" ]; then cp "$mods/$m.pp" "$work/$m.pp"
  else echo "selinux/build: $mods has no $m.pp" >&2; exit 1; fi
done
(
  cd "$work"
  semodule_link -o linked.lnk base.pp ssh.pp sudo.pp unconfined.pp pam_twilio_otp.pp >/dev/null
  semodule_expand linked.lnk policy.bin
  semodule_unpackage pam_twilio_otp.pp module.mod module.fc
  setfiles -c policy.bin module.fc
) || { echo "selinux/build: the module does not link with the policy in $mods" >&2; exit 1; }
if command -v sesearch >/dev/null; then
  missing=0
  for domain in sshd_t local_login_t sudodomain; do
    for rule in "http_port_t:tcp_socket name_connect" "ldap_port_t:tcp_socket name_connect" \
                "pam_twilio_otp_var_lib_t:file write" "pam_twilio_otp_secret_t:file read" \
                "pam_twilio_otp_conf_t:file read"; do
      target=${rule%%:*} rest=${rule#*:} class=${rest%% *} perm=${rest#* }
      rules=$(sesearch -A -s "$domain" -t "$target" -c "$class" -p "$perm" "$work/policy.bin")
      if ! grep -q "^allow $domain " <<<"$rules"; then
        echo "selinux/build: no rule: allow $domain $target:$class $perm" >&2
        missing=1
      fi
    done
  done
  [ "$missing" -eq 0 ] || exit 1
  echo "selinux/build: linked with $mods; sshd_t, local_login_t and sudodomain have their rules"
else
  echo "selinux/build: linked with $mods (install setools to check the rules too)"
fi
