#!/usr/bin/env bash
# Installs the Debian packages (Debian 12) of one of two sets; run as root.
#   install-deps.sh build   building and the demo's one login (make deps, make demo)
#   install-deps.sh test    everything the tests, fuzzing and packaging need too (make deps-test, CI)
# Prints how many packages were really new.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
set_name=${1:-build}
build_packages=(
  # build
  g++ make pkg-config binutils
  libpam0g-dev libssl-dev libhttp-parser-dev libconfig-dev nlohmann-json3-dev libldap-dev
  libqrencode-dev  # twilio-otp enroll --totp draws the authenticator app's QR code
  # the local Twilio stand-in (Python, its throwaway CA) and the demo's real
  # ssh login, driven on a pty (tests/e2e/demo.py)
  python3 openssl ca-certificates
  openssh-server openssh-client sudo login util-linux passwd python3-pexpect
)
test_packages=(
  # tests: cmocka, real PAM through pam_wrapper/libpamtest, the tests' own
  # accounts through nss_wrapper (the module refuses users NSS doesn't know)
  libcmocka-dev libpam-wrapper libpamtest0-dev libnss-wrapper
  # contract tests: Twilio's OpenAPI mocks behind a TLS front
  stunnel4 curl python3-jsonschema
  # tools the scripts use (pamtester: make demo-pam; strace: make bench counts fsyncs)
  pamtester procps psmisc time valgrind strace
  # make bench's peers: a minimal libcurl client (tests/bench/) and the
  # google-authenticator TOTP module
  libcurl4-openssl-dev libpam-google-authenticator
  # the LDAP backend's tests start their own slapd on loopback (the schema
  # and replication fixtures drive it with ldapsearch/ldapmodify)
  slapd ldap-utils
  # fuzzing: clang with libFuzzer and the sanitizer runtimes (a Recommends of
  # clang, so named here), llvm-symbolizer for readable reports
  clang libclang-rt-14-dev llvm
  # packaging: the .deb and lintian, the RPM, the SELinux module and its checks
  dpkg-dev debhelper fakeroot lintian rpm selinux-policy-dev checkpolicy semodule-utils setools
)
case "$set_name" in
  build) packages=("${build_packages[@]}") ;;
  test) packages=("${build_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac
installed() { dpkg-query -W -f='${db:Status-Status} ${Package}\n' 2>/dev/null | awk '$1 == "installed" {print $2}' | sort; }
# Nothing to do (make check runs this first, also as a developer): no apt.
if [ "$(dpkg-query -W -f='${db:Status-Status}\n' "${packages[@]}" 2>/dev/null | grep -cx installed)" -eq "${#packages[@]}" ] &&
  { [ "$set_name" = build ] || command -v npm >/dev/null 2>&1; }; then
  echo "deps ($set_name): all ${#packages[@]} packages already installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps ($set_name): packages are missing; run 'make deps$([ "$set_name" = test ] && echo -test)' as root" >&2
  exit 1
fi
before=$(installed)
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
if [ "$set_name" = test ] && ! command -v npm >/dev/null 2>&1; then
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
new=$(comm -13 <(echo "$before") <(installed) | wc -l)
echo "deps ($set_name): ${#packages[@]} packages asked for; $new newly installed (dependencies included)"
