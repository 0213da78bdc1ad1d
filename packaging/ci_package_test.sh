#!/usr/bin/env bash
# The Debian package from build to purge, as an administrator would use it
# (root; Debian 12; what tests/run_all.sh's suites need, plus dpkg-dev,
# debhelper, fakeroot and, for its check, lintian):
#   1. packaging/build-deb.sh builds the .deb (DEB=PATH reuses a built one);
#      lintian reports no error and no warning;
#   2. `make install DESTDIR=...` installs the same files, with the same
#      modes, as the package (less the package's own metadata);
#   3. dpkg -i installs it (apt-get -f install for missing dependencies);
#      the files land with the right modes and owners, the config is a
#      conffile, the pam-auth-update profile is offered but not enabled;
#   4. the installed example config is edited as the README says (plus the
#      local Twilio stand-in's URLs and CA), the installed twilio-otp checks
#      it and enrolls a user (a code is sent and typed back), and ONE login
#      runs through the INSTALLED module: a private service
#      /etc/pam.d/twotp-pkgtest that names pam_twilio_otp.so the way an
#      administrator does (libpam finds it in /lib/<multiarch>/security),
#      pamtester, the code typed from the stand-in's record; a wrong code
#      is refused;
#   5. a reinstall keeps the edited config; dpkg --purge, with a PAM file of
#      the administrator's still loading the module, warns on stderr naming
#      that file and line (not its comment line) and goes on; it removes the
#      package, its conffile and /var/lib/pam_twilio_otp, leaves /etc/pam.d as it was,
#      and leaves only the administrator's own files: the Twilio secret and
#      the users file (Debian's purge removes conffiles, so the edited
#      pam_twilio_otp.conf goes; files the administrator or twilio-otp made
#      are not the package's to delete).
# Ends with cmocka-style "[  PASSED  ] N test(s)." (and "[  FAILED  ] N
# test(s)" when any check failed), exits non-zero on any failure.
#
# Idempotent: everything it creates is undone by its EXIT trap, and a run
# killed before its trap ran is cleaned up by the next one (its files are
# listed in /var/tmp/twotp-pkgtest.owned). It refuses to start, touching
# nothing, if this machine has its own pam_twilio_otp (the package, the
# module, a config, a secret, a users file or a state directory).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

pkg=libpam-twilio-otp
service=twotp-pkgtest
# A PAM file the administrator wrote and forgot: still naming the module when the package goes.
leftover=/etc/pam.d/twotp-leftover
user=pkgtest
number=+15550104567
owned=/var/tmp/twotp-pkgtest.owned
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
module=/lib/$multiarch/security/pam_twilio_otp.so
conf=/etc/security/pam_twilio_otp.conf
secret=/etc/security/pam_twilio_otp.secret
users=/etc/security/pam_twilio_otp.users
state=/var/lib/pam_twilio_otp
profile=/usr/share/pam-configs/twilio-otp
docdir=/usr/share/doc/$pkg

if [ "$(id -u)" -ne 0 ]; then
  echo "ci_package_test: must run as root (it installs and purges a package)" >&2
  exit 1
fi
for tool in dpkg-buildpackage dh fakeroot pamtester openssl /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "ci_package_test: $tool not found" >&2; exit 1; }
done

passed=0
failed=0
failures=()
ok() { passed=$((passed + 1)); echo "[       OK ] $1"; }
bad() { failed=$((failed + 1)); failures+=("$1"); echo "[  FAILED  ] $1${2:+: $2}"; }
# check NAME CMD...: one test, passed when CMD exits 0.
check() {
  local name=$1
  shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}
# mode_is PATH MODE OWNER:GROUP TYPE
mode_is() {
  local got
  got=$(stat -c '%a %U:%G %F' "$1" 2>/dev/null) || { echo "  $1: missing" >&2; return 1; }
  [ "$got" = "$2 $3 $4" ] || { echo "  $1: $got, want $2 $3 $4" >&2; return 1; }
}

# Undoes everything this script (or a killed earlier run) created.
cleanup() {
  fake_twilio_stop 2>/dev/null
  rm -f "/etc/pam.d/$service" "$leftover"
  if [ -f "$owned" ]; then
    # The checks before the first dpkg -i made sure none of this was there.
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "installed\|config-files"; then
      dpkg --purge "$pkg" >/dev/null 2>&1
    fi
    rm -f "$secret" "$users" "$users.lock"
    # A killed run's stand-in (its pid and work directory are in $owned).
    local pid dir
    pid=$(sed -n 's/^stand-in //p' "$owned")
    dir=$(sed -n 's/^work //p' "$owned")
    if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "fake_twilio.py .*/tmp/twotp-pkgtest\."; then
      kill "$pid" 2>/dev/null
    fi
    case "$dir" in /tmp/twotp-pkgtest.*) rm -rf "$dir" ;; esac
    rm -f "$owned"
  fi
  [ -n "${work:-}" ] && rm -rf "$work"
}

if [ -f "$owned" ]; then
  echo "ci_package_test: cleaning up after an interrupted run ($owned)"
  work=""
  cleanup
fi
# This machine's own pam_twilio_otp, if any, is not ours to replace.
mine=()
dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "installed\|config-files" && mine+=("the package $pkg")
for f in "$module" "$conf" "$secret" "$users" "$state"; do [ -e "$f" ] && mine+=("$f"); done
if [ ${#mine[@]} -gt 0 ]; then
  echo "ci_package_test: this machine has its own pam_twilio_otp (${mine[*]}); not touching it" >&2
  exit 1
fi

work=$(mktemp -d /tmp/twotp-pkgtest.XXXXXX)
# shellcheck source=../tests/fake_twilio/fake_env.sh
source "$root/tests/fake_twilio/fake_env.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM
start=$(date +%s)

echo "== 1. build the .deb"
if [ -n "${DEB:-}" ]; then
  deb=$DEB
  echo "using $deb"
else
  t0=$(date +%s)
  if LINTIAN=0 bash "$here/build-deb.sh" "$work/debs" >"$work/build-deb.log" 2>&1; then
    debs=("$work"/debs/"${pkg}"_*.deb)
    deb=${debs[0]}
    ok "build-deb.sh builds $(basename "$deb") ($(($(date +%s) - t0)) s)"
  else
    tail -n 30 "$work/build-deb.log"
    bad "build-deb.sh builds the package"
    echo "[  PASSED  ] $passed test(s)."
    echo "[  FAILED  ] $failed test(s), listed below:"
    exit 1
  fi
fi
if command -v lintian >/dev/null; then
  if lintian --fail-on error,warning "$deb" >"$work/lintian.log" 2>&1; then
    ok "lintian: no errors, no warnings"
  else
    cat "$work/lintian.log"
    bad "lintian: no errors, no warnings"
  fi
else
  echo "(lintian not installed: not run)"
fi

echo "== 2. make install DESTDIR installs what the package installs"
# The package's own metadata: docs, changelog, copyright, examples, lintian
# overrides, the pam-auth-update profile; /var/lib/pam_twilio_otp is a
# directory (the module makes it at the first login when make install was
# used). Man pages are compressed in the package.
list_deb() {
  dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print substr($1, 2), $6}' | sed -e 's| \./| /|' -e 's|\.gz$||' |
    grep -v -e " /usr/share/doc/" -e " /usr/share/lintian/" -e " $profile\$" | awk '{print $2, $1}' | sort
}
list_destdir() {
  (cd "$work/destdir" && find . -type f -printf '/%P %M\n' | sed 's| -| |' | sort)
}
if make -C "$root" install DESTDIR="$work/destdir" >"$work/make-install.log" 2>&1; then
  if diff <(list_deb) <(list_destdir) >"$work/lists.diff"; then
    ok "make install DESTDIR= installs the package's files with its modes ($(list_deb | wc -l) files)"
  else
    sed 's/^/  /' "$work/lists.diff"
    bad "make install DESTDIR= installs the package's files with its modes" "(< package, > make install)"
  fi
else
  tail -n 20 "$work/make-install.log"
  bad "make install DESTDIR= succeeds"
fi

echo "== 3. dpkg -i"
# /etc/pam.d less this test's own service file.
pam_now() { (cd /etc/pam.d && find . -type f ! -name "$service" ! -name "${leftover##*/}" -exec md5sum {} + | sort); }
untouched() { [ "$(pam_now)" = "$pam_before" ] && ! getent passwd "$user" >/dev/null; }
pam_before=$(pam_now)
echo "work $work" >"$owned"
if dpkg -i "$deb" >"$work/dpkg-i.log" 2>&1 || apt-get -f install -y -qq >>"$work/dpkg-i.log" 2>&1; then :; fi
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
  ok "dpkg -i installs $pkg"
else
  cat "$work/dpkg-i.log"
  bad "dpkg -i installs $pkg"
fi
check "the module: $module, 0644 root" mode_is "$module" 644 root:root "regular file"
check "the module's parts: ${module%.so}/, 0755 root" mode_is "${module%.so}" 755 root:root directory
check "its engine: ${module%.so}/engine.so, 0644 root" mode_is "${module%.so}/engine.so" 644 root:root "regular file"
check "its LDAP backend: ${module%.so}/ldap_directory.so, 0644 root" \
  mode_is "${module%.so}/ldap_directory.so" 644 root:root "regular file"
check "the module itself links neither libldap nor OpenSSL (its parts do)" \
  bash -c "! ldd $module | grep -qE 'libldap|libssl|libcrypto'"
check "the CLI: /usr/sbin/twilio-otp, 0755 root" mode_is /usr/sbin/twilio-otp 755 root:root "regular file"
check "the config: $conf, 0600 root" mode_is "$conf" 600 root:root "regular file"
check "the config is a conffile" bash -c "dpkg-query -W -f='\${Conffiles}' $pkg | grep -q ' $conf '"
check "the state directory: $state, 0700 root" mode_is "$state" 700 root:root directory
check "the man pages" test -f /usr/share/man/man5/pam_twilio_otp.conf.5.gz -a -f /usr/share/man/man8/pam_twilio_otp.8.gz -a -f /usr/share/man/man8/twilio-otp.8.gz
check "the example configs in $docdir/examples" test -f "$docdir/examples/pam_twilio_otp.conf.verify" -a -f "$docdir/examples/pam_twilio_otp.conf.messaging" -a -f "$docdir/examples/pam.d/sshd-password-and-code"
check "the probe's systemd units in $docdir/examples/systemd" test -f "$docdir/examples/systemd/twilio-otp-probe.service" -a -f "$docdir/examples/systemd/twilio-otp-probe.timer"
check "the fleet state schema in $docdir/examples/ldap" test -f "$docdir/examples/ldap/twilio-otp.schema" -a -f "$docdir/examples/ldap/twilio-otp.ldif"
check "the pam-auth-update profile is offered (Default: no)" grep -qx "Default: no" "$profile"
check "pam-auth-update saw the profile" grep -qx "twilio-otp" /var/lib/pam/seen
pam_after=$(pam_now)
check "nothing in /etc/pam.d changed (the profile is not enabled)" test "$pam_before" = "$pam_after"

echo "== 4. configure, enroll, log in through the installed module"
if ! fake_twilio_start "$work/twilio" >"$work/fake.log" 2>&1; then
  cat "$work/fake.log"
  bad "the local Twilio stand-in starts"
else
  echo "stand-in $FAKE_TWILIO_PID" >>"$owned"
  # The administrator's files, as the README says: the secret 0600 root ...
  install -m 0600 -o root -g root "$FAKE_TWILIO_TOKEN_FILE" "$secret"
  # ... and the installed example edited: the account's SIDs; for the
  # stand-in also its URLs and CA (real Twilio needs neither); no resend
  # cooldown, so that the second login below gets a code at once.
  sed -i -e "s|^\( *account_sid = \).*|\1\"$FAKE_TWILIO_ACCOUNT_SID\";|" \
         -e "s|^\( *verify_service_sid = \).*|\1\"$FAKE_TWILIO_VERIFY_SID\";|" \
         -e "s|^\( *api_url = \).*|\1\"$FAKE_TWILIO_URL\";|" \
         -e "s|^\( *verify_url = \).*|\1\"$FAKE_TWILIO_URL\";|" \
         -e "s|^  # ca_file = .*|  ca_file = \"$FAKE_TWILIO_CA\";|" \
         -e "s|^\( *resend_cooldown = \).*|\10;|" "$conf"
  check "the edited config is still 0600 root" mode_is "$conf" 600 root:root "regular file"
  # ... and the empty users file that check-config asks for (enroll fills it).
  install -m 0600 -o root -g root /dev/null "$users"
  if /usr/sbin/twilio-otp check-config >"$work/check-config.log" 2>&1; then
    ok "twilio-otp check-config accepts the edited example"
  else
    cat "$work/check-config.log"
    bad "twilio-otp check-config accepts the edited example"
  fi
  # The module and twilio-otp enroll refuse users NSS doesn't know, and
  # $user is in no passwd file of this machine: outside the namespace below
  # they get their own passwd through nss_wrapper (tests/common/pam_wrapper.sh).
  source "$root/tests/common/pam_wrapper.sh"
  mkdir -p "$work/nss" && nss_wrapper_files "$work/nss" "$user"
  nss_preload=$(nss_wrapper_lib) || bad "libnss_wrapper.so for $user's logins"
  records_now() { if [ -f "$FAKE_TWILIO_DIR/records.jsonl" ]; then wc -l <"$FAKE_TWILIO_DIR/records.jsonl"; else echo 0; fi; }
  since=$(records_now)
  if "$root/tests/demo/feed_code.py" "$FAKE_TWILIO_DIR" "$number" "$since" |
      LD_PRELOAD=$nss_preload /usr/sbin/twilio-otp enroll "$user" "$number" >"$work/enroll.log" 2>&1 &&
      /usr/sbin/twilio-otp list 2>&1 | grep -q "^$user "; then
    ok "twilio-otp enroll $user (code sent and typed back)"
  else
    cat "$work/enroll.log"
    bad "twilio-otp enroll $user (code sent and typed back)"
  fi
  check "the users file: $users, 0600 root" mode_is "$users" 600 root:root "regular file"

  printf 'auth required pam_twilio_otp.so\n' >"/etc/pam.d/$service"
  since=$(records_now)
  if "$root/tests/demo/feed_code.py" "$FAKE_TWILIO_DIR" "$number" "$since" |
      LD_PRELOAD=$nss_preload pamtester -v "$service" "$user" authenticate >"$work/login.log" 2>&1; then
    sed 's/^/    /' "$work/login.log"
    ok "a login with the code through the installed module (pamtester $service)"
  else
    cat "$work/login.log"
    bad "a login with the code through the installed module (pamtester $service)"
  fi
  # The pam-auth-update profile, enabled where it cannot hurt: in a private
  # mount namespace over copies of /etc/pam.d, /var/lib/pam and the account
  # files (with the user, password "pw-$user"), so this machine's PAM and
  # accounts never change. Then a login through Debian's common-auth:
  # the password (pam_unix), then the code.
  cat >"$work/ns.sh" <<'NS'
set -u
for d in etc/pam.d var/lib/pam; do mkdir -p "$work/ns/$d" && cp -a "/$d/." "$work/ns/$d/" && mount --bind "$work/ns/$d" "/$d"; done
for f in passwd shadow group; do cp -a "/etc/$f" "$work/ns/$f"; done
uid=$(awk -F: 'BEGIN {u = 60000} $3 >= u {u = $3 + 1} END {print u}' /etc/passwd)
echo "$user:x:$uid:$uid::/nonexistent:/usr/sbin/nologin" >>"$work/ns/passwd"
echo "$user:$(openssl passwd -6 "pw-$user"):19000:0:99999:7:::" >>"$work/ns/shadow"
echo "$user:x:$uid:" >>"$work/ns/group"
for f in passwd shadow group; do mount --bind "$work/ns/$f" "/etc/$f"; done
if DEBIAN_FRONTEND=noninteractive pam-auth-update --enable twilio-otp &&
    grep -v '^#' /etc/pam.d/common-auth | grep -A3 'pam_unix.so' | grep -qP '^auth\trequired\tpam_twilio_otp.so'; then
  echo "NS-OK pam-auth-update --enable twilio-otp puts the module after the password in common-auth"
else
  grep -v '^#' /etc/pam.d/common-auth
  echo "NS-FAIL pam-auth-update --enable twilio-otp puts the module after the password in common-auth"
fi
printf '@include common-auth\n' >"/etc/pam.d/$service-stack"
since=$(wc -l <"$FAKE_TWILIO_DIR/records.jsonl")
if { echo "pw-$user"; "$root/tests/demo/feed_code.py" "$FAKE_TWILIO_DIR" "$number" "$since"; } |
    pamtester -v "$service-stack" "$user" authenticate >"$work/stack.log" 2>&1; then
  sed 's/^/    /' "$work/stack.log"
  echo "NS-OK a login through common-auth with the profile enabled: password, then code"
else
  cat "$work/stack.log"
  echo "NS-FAIL a login through common-auth with the profile enabled: password, then code"
fi
before=$(wc -l <"$FAKE_TWILIO_DIR/records.jsonl")
if echo "wrong-$user" | pamtester "$service-stack" "$user" authenticate >/dev/null 2>&1 ||
    [ "$(wc -l <"$FAKE_TWILIO_DIR/records.jsonl")" -ne "$before" ]; then
  echo "NS-FAIL a wrong password is refused before any code is sent"
else
  echo "NS-OK a wrong password is refused before any code is sent"
fi
if pam-auth-update --disable twilio-otp && ! grep -q pam_twilio_otp /etc/pam.d/common-auth; then
  echo "NS-OK pam-auth-update --disable twilio-otp takes it out again"
else
  echo "NS-FAIL pam-auth-update --disable twilio-otp takes it out again"
fi
NS
  work=$work user=$user service=$service number=$number root=$root \
    unshare --mount --propagation private bash "$work/ns.sh" >"$work/ns.log" 2>&1
  grep -v '^NS-' "$work/ns.log"
  while read -r verdict name; do
    if [ "$verdict" = NS-OK ]; then ok "$name"; else bad "$name"; fi
  done < <(grep '^NS-' "$work/ns.log")
  grep -q '^NS-OK a login through common-auth' "$work/ns.log" || bad "the namespace test ran"
  check "this machine's /etc/pam.d and accounts are untouched" untouched

  # A code is sent and asked for, and a wrong one (three times: max_attempts) refused.
  if printf '000000\n000000\n000000\n' | LD_PRELOAD=$nss_preload pamtester "$service" "$user" authenticate \
      >"$work/wrong.log" 2>&1 ||
      ! grep -q "Verification code:" "$work/wrong.log"; then
    cat "$work/wrong.log"
    bad "a wrong code is refused"
  else
    sed 's/^/    /' "$work/wrong.log"
    ok "a wrong code is refused"
  fi
  check "the module keeps its state in $state (0700)" bash -c "[ -n \"\$(ls -A $state)\" ] && [ \"\$(stat -c %a $state)\" = 700 ]"
  rm -f "/etc/pam.d/$service"
  fake_twilio_stop
fi

echo "== 5. reinstall, purge"
conf_sum=$(md5sum <"$conf" 2>/dev/null)
dpkg -i "$deb" >"$work/reinstall.log" 2>&1
check "a reinstall keeps the edited config" test "$(md5sum <"$conf" 2>/dev/null)" = "$conf_sum"
# The README's own test service, say, never deleted: a comment line, then the live one.
printf '# auth required pam_twilio_otp.so (a comment: PAM does not load it)\nauth required pam_twilio_otp.so\n' >"$leftover"
if dpkg --purge "$pkg" >"$work/purge.log" 2>"$work/purge.err"; then
  ok "dpkg --purge $pkg"
else
  cat "$work/purge.log" "$work/purge.err"
  bad "dpkg --purge $pkg"
fi
sed 's/^/    /' "$work/purge.err"
check "purge warns on stderr that PAM files still load the module" \
  grep -q "^WARNING: these PAM files still load pam_twilio_otp.so" "$work/purge.err"
check "the warning names $leftover and its line" \
  grep -qxF "  $leftover (line 2): auth required pam_twilio_otp.so" "$work/purge.err"
check "the warning names no comment line" bash -c "! grep -qF '$leftover (line 1)' '$work/purge.err'"
rm -f "$leftover"
left=()
dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "installed\|config-files" && left+=("dpkg still lists $pkg")
for f in "$module" /usr/sbin/twilio-otp "$conf" "$state" "$profile" "$docdir" \
         /usr/share/man/man5/pam_twilio_otp.conf.5.gz /usr/share/man/man8/pam_twilio_otp.8.gz \
         /usr/share/man/man8/twilio-otp.8.gz /usr/share/lintian/overrides/$pkg "/etc/pam.d/$service"; do
  [ -e "$f" ] && left+=("$f")
done
for f in /etc/security/pam_twilio_otp*; do
  case "$f" in "$secret" | "$users" | "$users.lock") ;; *) [ -e "$f" ] && left+=("$f") ;; esac
done
grep -qx "twilio-otp" /var/lib/pam/seen && left+=("twilio-otp in /var/lib/pam/seen")
if [ ${#left[@]} -eq 0 ]; then
  ok "purge leaves nothing of the package (conffile and state directory included)"
else
  bad "purge leaves nothing of the package" "${left[*]}"
fi
pam_after=$(pam_now)
check "/etc/pam.d is as it was before the install" test "$pam_before" = "$pam_after"
check "purge keeps the administrator's own files (the secret, the users file)" test -f "$secret" -a -f "$users"

echo "== 6. the RPM and the SELinux module (each when its tools are installed)"
if command -v rpmbuild >/dev/null; then
  t0=$(date +%s)
  if bash "$here/build-rpm.sh" "$work/rpms" >"$work/build-rpm.log" 2>&1; then
    rpms=("$work"/rpms/pam_twilio_otp-[0-9]*.rpm)
    ok "build-rpm.sh builds $(basename "${rpms[0]}") ($(($(date +%s) - t0)) s)"
    # path, mode, owner: the Fedora layout and the modes the .deb has.
    rpm -qp --qf '[%{FILENAMES} %{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME}\n]' "${rpms[0]}" | sed 's/\.gz / /' >"$work/rpm.list"
    want="/usr/lib64/security/pam_twilio_otp.so -rwxr-xr-x root:root
/usr/lib64/security/pam_twilio_otp/engine.so -rwxr-xr-x root:root
/usr/lib64/security/pam_twilio_otp/ldap_directory.so -rwxr-xr-x root:root
/usr/sbin/twilio-otp -rwxr-xr-x root:root
/etc/security/pam_twilio_otp.conf -rw------- root:root
/var/lib/pam_twilio_otp drwx------ root:root
/usr/share/man/man5/pam_twilio_otp.conf.5 -rw-r--r-- root:root
/usr/share/man/man8/pam_twilio_otp.8 -rw-r--r-- root:root
/usr/share/man/man8/twilio-otp.8 -rw-r--r-- root:root"
    missing=$(grep -vxF -f "$work/rpm.list" <<<"$want")
    if [ -z "$missing" ] && rpm -qp --configfiles "${rpms[0]}" | grep -qx /etc/security/pam_twilio_otp.conf &&
        grep -q "/examples/pam_twilio_otp.conf.verify " "$work/rpm.list"; then
      ok "the RPM lays out the module, CLI, config (noreplace, 0600), state (0700), man pages, examples"
    else
      sed 's/^/  want: /' <<<"$missing"
      bad "the RPM lays out the module, CLI, config (noreplace, 0600), state (0700), man pages, examples"
    fi
    # Its %postun as rpm runs it on erase ($1 = 0); rpm cannot erase on this Debian host.
    printf 'auth required pam_twilio_otp.so\n' >"$leftover"
    rpm -qp --qf '%{POSTUN}' "${rpms[0]}" >"$work/postun.sh"
    if sh "$work/postun.sh" 0 2>"$work/postun.err" &&
        grep -qxF "  $leftover (line 1): auth required pam_twilio_otp.so" "$work/postun.err"; then
      ok "the RPM's %postun on erase names $leftover, still loading the module"
    else
      cat "$work/postun.sh" "$work/postun.err"
      bad "the RPM's %postun on erase names $leftover, still loading the module"
    fi
    rm -f "$leftover"
  else
    tail -n 30 "$work/build-rpm.log"
    bad "build-rpm.sh builds the RPM"
  fi
else
  echo "(rpmbuild not installed: the RPM is not built)"
fi
if [ -f /usr/share/selinux/devel/Makefile ]; then
  # A policy to link against: the installed selinux-policy-default, or its
  # .deb fetched (not installed) into the work directory.
  if [ -z "${SELINUX_POLICY_DEB:-}" ] && [ ! -e /usr/share/selinux/default/base.pp.bz2 ]; then
    (cd "$work" && apt-get download selinux-policy-default >/dev/null 2>&1) &&
      SELINUX_POLICY_DEB=$(ls "$work"/selinux-policy-default_*.deb 2>/dev/null | head -n 1) && export SELINUX_POLICY_DEB
  fi
  if bash "$here/selinux/build.sh" "$work/selinux" >"$work/selinux.log" 2>&1; then
    sed 's/^/    /' "$work/selinux.log"
    ok "the SELinux module builds${SELINUX_POLICY_DEB:+ and links with the Debian policy}"
  else
    cat "$work/selinux.log"
    bad "the SELinux module builds"
  fi
else
  echo "(selinux-policy-dev not installed: the SELinux module is not built)"
fi

echo "ci_package_test: $(($(date +%s) - start)) s"
echo "[  PASSED  ] $passed test(s)."
if [ "$failed" -gt 0 ]; then
  echo "[  FAILED  ] $failed test(s), listed below:"
  for f in "${failures[@]}"; do echo "[  FAILED  ] $f"; done
  exit 1
fi
exit 0
