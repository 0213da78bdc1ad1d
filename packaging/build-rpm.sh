#!/usr/bin/env bash
# Builds the RPM of pam_twilio_otp (packaging/rpm/pam_twilio_otp.spec) into OUTDIR.
#   packaging/build-rpm.sh [OUTDIR]        (default: build/packages)
# Source0 is made from the checkout (the working tree as git sees it, or the
# commit BUILD_RPM_REF=REV; in a plain copy of the tree without git, every
# file but build*/ and caches: copy_source_tree in build_env.sh), and
# rpmbuild -bb runs in a temporary _topdir.
# On a Debian build host (Debian's `rpm` package) the BuildRequires are
# Fedora names that rpm's empty database cannot satisfy: the Debian -dev
# packages of packaging/debian/control stand in for them, and rpmbuild gets
# --nodeps. RPM_NODEPS=0 or 1 forces either way.
set -euo pipefail
# shellcheck source=packaging/build_env.sh
. "$(dirname "$0")/build_env.sh" "${1:-}"
spec=$here/rpm/pam_twilio_otp.spec
command -v rpmbuild >/dev/null || { echo "build-rpm: rpmbuild not found (Debian: apt-get install rpm)" >&2; exit 1; }

name=$(rpmspec -q --srpm --qf '%{name}' "$spec" 2>/dev/null || awk '/^Name:/ {print $2; exit}' "$spec")
version=$(rpmspec -q --srpm --qf '%{version}' "$spec" 2>/dev/null || awk '/^Version:/ {print $2; exit}' "$spec")

work=$(mktemp -d /tmp/twotp-rpm.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{SOURCES,SPECS,BUILD,RPMS,SRPMS} "$work/src/$name-$version"
copy_source_tree "${BUILD_RPM_REF:-}" "$work/src/$name-$version"
tar -C "$work/src" -czf "$work/SOURCES/$name-$version.tar.gz" "$name-$version"
cp "$spec" "$work/SPECS/"

nodeps=()
case "${RPM_NODEPS:-auto}" in
  1) nodeps=(--nodeps) ;;
  auto) [ -e /etc/debian_version ] && nodeps=(--nodeps) ;;
esac

start=$(date +%s)
if ! rpmbuild -bb "${nodeps[@]}" --define "_topdir $work" "$work/SPECS/$(basename "$spec")" >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  echo "build-rpm: rpmbuild failed (log above)" >&2
  exit 1
fi
mapfile -t rpms < <(find "$work/RPMS" -name '*.rpm')
[ ${#rpms[@]} -gt 0 ] || { echo "build-rpm: no .rpm produced" >&2; exit 1; }
cp -f "${rpms[@]}" "$out"/
echo "build-rpm: built in $(($(date +%s) - start)) s${nodeps:+ (rpmbuild --nodeps: BuildRequires not checked on this Debian host)}:"
for r in "${rpms[@]}"; do echo "  $out/$(basename "$r")"; done
