# shellcheck shell=bash
# pam_wrapper_lib: prints the path of libpam_wrapper.so, or fails loudly.
# Without the preload a test would quietly talk to this machine's real
# /etc/pam.d instead of its private service directory.
pam_wrapper_lib() {
  local lib
  lib=$(pkg-config --libs pam_wrapper 2>/dev/null | tr ' ' '\n' | grep 'libpam_wrapper\.so$' | head -n 1)
  if [ -z "$lib" ] || [ ! -f "$lib" ]; then
    echo "libpam_wrapper.so not found (apt-get install libpam-wrapper)" >&2
    return 1
  fi
  echo "$lib"
}
