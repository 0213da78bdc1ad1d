#!/usr/bin/env bash
# Builds the Debian binary package libpam-twilio-otp into OUTDIR.
#   packaging/build-deb.sh [OUTDIR]        (default: build/packages)
# The repository keeps its debian/ directory at packaging/debian, so the tree
# is copied to a temporary directory, packaging/debian becomes ./debian there,
# and `dpkg-buildpackage -us -uc -b` runs in it: the checkout (and its build/)
# is never touched. The package is built by the project's Makefile (see
# packaging/debian/rules); the test suites are not run.
#
# Environment:
#   BUILD_DEB_REF=REV  package the committed tree at REV (git archive) instead
#                      of the working tree (tracked and untracked, not ignored;
#                      outside a git checkout, every file but build*/ and caches:
#                      see copy_source_tree in build_env.sh)
#   LINTIAN=0          skip lintian (otherwise, when installed, it runs on the
#                      .deb and any error or warning fails the build)
#   KEEP_BUILD_TREE=1  leave the temporary tree behind and print its path
# Needs (Debian 12): dpkg-dev debhelper fakeroot, the Build-Depends of
# packaging/debian/control, and lintian for the check.
set -euo pipefail
# shellcheck source=packaging/build_env.sh
. "$(dirname "$0")/build_env.sh" "${1:-}"

for tool in dpkg-buildpackage dh fakeroot; do
  command -v "$tool" >/dev/null || { echo "build-deb: $tool not found (apt-get install dpkg-dev debhelper fakeroot)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/twotp-deb.XXXXXX)
cleanup() {
  if [ "${KEEP_BUILD_TREE:-0}" = 1 ]; then echo "build-deb: build tree kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

version=$(dpkg-parsechangelog -l "$here/debian/changelog" -S Version)
src=$work/pam-twilio-otp-$version
mkdir -p "$src"
copy_source_tree "${BUILD_DEB_REF:-}" "$src"
rm -rf "$src/debian"
cp -a "$src/packaging/debian" "$src/debian"

start=$(date +%s)
(
  cd "$src"
  # nocheck: the suites need root, sshd, slapd and the stand-in (make check).
  DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -us -uc -b -J"$(nproc)" >"$work/build.log" 2>&1
) || { tail -n 40 "$work/build.log" >&2; echo "build-deb: dpkg-buildpackage failed (log above)" >&2; exit 1; }

shopt -s nullglob
debs=("$work"/*.deb)
[ ${#debs[@]} -gt 0 ] || { echo "build-deb: no .deb produced" >&2; exit 1; }
cp -f "${debs[@]}" "$work"/*.ddeb "$work"/*.buildinfo "$work"/*.changes "$out"/
echo "build-deb: built in $(($(date +%s) - start)) s:"
for deb in "${debs[@]}"; do echo "  $out/$(basename "$deb")"; done

if [ "${LINTIAN:-1}" != 0 ] && command -v lintian >/dev/null; then
  # --fail-on: any error or warning that the overrides do not explain fails.
  if ! lintian --fail-on error,warning --display-info "${debs[@]/#$work/$out}"; then
    echo "build-deb: lintian reported errors or warnings" >&2
    exit 1
  fi
  echo "build-deb: lintian: no errors, no warnings"
fi
