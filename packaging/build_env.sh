# shellcheck shell=bash
# Sourced by build-deb.sh and build-rpm.sh with their OUTDIR argument:
#   . "$(dirname "$0")/build_env.sh" "${1:-}"
# Sets here (packaging/), root (the checkout, or a plain copy of the tree)
# and out (OUTDIR, default build/packages, made and absolute); defines
# copy_source_tree, which both use to copy the tree they build. The copy is built plainly, whatever
# the caller's make variables say (tests/run_all.sh exports BUILD and SANITIZE).
unset BUILD SANITIZE
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$root/build/packages}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# in_git_checkout: root is the top of a git work tree and git is installed.
# (A plain copy of the tree, a release tarball say, may sit inside some other
# repository: only a work tree that starts at root counts.)
in_git_checkout() {
  command -v git >/dev/null &&
    [ "$(git -C "$root" rev-parse --show-toplevel 2>/dev/null)" = "$(cd "$root" && pwd -P)" ]
}

# copy_source_tree REF DEST: the tree to build, unpacked into DEST.
#   REF given: that commit (git archive), which needs a git checkout.
#   In a git checkout: the working tree as git sees it, tracked and untracked
#     files, without what .gitignore leaves out (build/, build-*/) and
#     without files deleted but not yet committed.
#   In a plain copy (no .git, or no git): every file, without the same build
#     directories at the top, Python's caches and editor leftovers, so that a
#     copy that has run `make check` packages what a checkout would.
copy_source_tree() {
  local ref=$1 dest=$2
  if [ -n "$ref" ]; then
    in_git_checkout || { echo "$(basename "$0"): packaging the commit $ref needs a git checkout; $root is not one" >&2; return 1; }
    git -C "$root" archive --format=tar "$ref" | tar -x -C "$dest"
  elif in_git_checkout; then
    (cd "$root" && git ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
      tar --null -T - -cf -) | tar -x -C "$dest"
  else
    # --anchored: build-* only at the top (packaging/build-deb.sh stays).
    tar -C "$root" --anchored --exclude=./build --exclude='./build-*' \
      --no-anchored --exclude=__pycache__ --exclude='*.pyc' --exclude='*~' --exclude='.*.swp' \
      -cf - . | tar -x -C "$dest"
  fi
}
