#!/usr/bin/env bash
# Installs every Debian package that the build, the tests and the demo need
# (Debian 12). Run as root; `make deps` calls it.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  # build
  g++ make pkg-config binutils
  libpam0g-dev libssl-dev libhttp-parser-dev libconfig-dev nlohmann-json3-dev libldap-dev
  # tests: cmocka, real PAM through pam_wrapper/libpamtest, the tests' own
  # accounts through nss_wrapper (the module refuses users NSS doesn't know),
  # the TLS stand-in
  libcmocka-dev libpam-wrapper libpamtest0-dev libnss-wrapper python3 openssl ca-certificates
  # contract tests: Twilio's OpenAPI mocks behind a TLS front
  stunnel4 curl python3-jsonschema
  # tools the scripts use (pamtester: the demo's PAM client; strace: make bench counts fsyncs)
  pamtester procps psmisc time valgrind strace
  # the LDAP backend's tests start their own slapd on loopback
  slapd
  # end-to-end tests and make demo-ssh: the real front-ends, driven by pexpect
  openssh-server openssh-client sudo login util-linux passwd python3-pexpect
  # fuzzing: clang with libFuzzer and the sanitizer runtimes (a Recommends of
  # clang, so named here), llvm-symbolizer for readable reports
  clang libclang-rt-14-dev llvm
  # packaging: the .deb and lintian, the RPM, the SELinux module and its checks
  dpkg-dev debhelper fakeroot lintian rpm selinux-policy-dev checkpolicy semodule-utils setools
)
# Installing openssh-server or slapd must not start the system's own daemons
# (the tests start private ones on loopback): deny service starts meanwhile,
# unless the machine already has its own policy.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
# Prism (the contract mocks) runs on node; a machine that already has node
# (and its own npm) keeps it, a fresh Debian 12 gets Debian's.
if ! command -v npm >/dev/null 2>&1; then
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
echo "deps: installed ${#packages[@]} packages"
