# shellcheck shell=bash
# Helpers for the cwrap preloads the PAM tests run under.

# cwrap_lib NAME PACKAGE: prints the path of libNAME.so (its pkg-config
# file names it), or fails loudly naming the Debian PACKAGE to install.
cwrap_lib() {
  local lib
  lib=$(pkg-config --libs "$1" 2>/dev/null | tr ' ' '\n' | grep "lib$1\.so\$" | head -n 1)
  if [ -z "$lib" ] || [ ! -f "$lib" ]; then
    echo "lib$1.so not found (apt-get install $2)" >&2
    return 1
  fi
  echo "$lib"
}

# pam_wrapper_lib: prints the path of libpam_wrapper.so, or fails loudly.
# Without the preload a test would quietly talk to this machine's real
# /etc/pam.d instead of its private service directory.
pam_wrapper_lib() { cwrap_lib pam_wrapper libpam-wrapper; }

# nss_wrapper_lib: prints the path of libnss_wrapper.so, or fails loudly.
# The module refuses users NSS doesn't know, and the tests' users are not
# this machine's: under the preload NSS reads nss_wrapper_files' files.
nss_wrapper_lib() { cwrap_lib nss_wrapper libnss-wrapper; }

# nss_wrapper_files DIR USER...: writes DIR/passwd and DIR/group with root
# and each USER as an account of its own (uid and gid from 20000), and
# exports NSS_WRAPPER_PASSWD and NSS_WRAPPER_GROUP naming them. They act
# only on processes started with nss_wrapper_lib in LD_PRELOAD.
nss_wrapper_files() {
  local dir=$1 uid=20000 user
  shift
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$dir/passwd"
  printf 'root:x:0:\n' >"$dir/group"
  for user in "$@"; do
    printf '%s:x:%d:%d:%s:/nonexistent:/usr/sbin/nologin\n' "$user" "$uid" "$uid" "$user" >>"$dir/passwd"
    printf '%s:x:%d:\n' "$user" "$uid" >>"$dir/group"
    uid=$((uid + 1))
  done
  export NSS_WRAPPER_PASSWD="$dir/passwd" NSS_WRAPPER_GROUP="$dir/group"
}
