# shellcheck shell=bash
# Sourced by build-deb.sh and build-rpm.sh with their OUTDIR argument:
#   . "$(dirname "$0")/build_env.sh" "${1:-}"
# Sets here (packaging/), root (the checkout) and out (OUTDIR, default
# build/packages, made and absolute). The copy is built plainly, whatever
# the caller's make variables say (tests/run_all.sh exports BUILD and SANITIZE).
unset BUILD SANITIZE
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$root/build/packages}
mkdir -p "$out"
out=$(cd "$out" && pwd)
