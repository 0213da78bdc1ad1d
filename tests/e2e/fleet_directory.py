"""A throwaway OpenLDAP slapd holding the fleet state (state.backend =
"ldap") for the end-to-end tests: started once through
tests/ldap/slapd_env.sh, stopped by the Journal, with ALICE's entry and a
config pointing sudo at it."""
import os
import re
import secrets
import subprocess
import time

from fixtures import ROOT
from world import ALICE, NUMBERS

SLAPD_ENV = os.path.join(ROOT, "tests", "ldap", "slapd_env.sh")
MAX_FAILURES = 3


def fleet_directory(w):
    """The run's FleetDirectory, started at the first test that needs it."""
    if getattr(w, "fleet", None) is None:
        w.fleet = FleetDirectory(w)
    return w.fleet


class FleetDirectory:
    def __init__(self, w):
        self.dir = os.path.join(w.work, "slapd")
        started = subprocess.run(
            ["bash", "-c", '. "$1"; ldap_start "$2" E2E >"$2.log" 2>&1 || { cat "$2.log"; exit 1; }; env', "_",
             SLAPD_ENV, self.dir], capture_output=True, text=True, timeout=60)
        # Stopped with the rest of the run, however it ends.
        w.journal.track_pidfile(os.path.join(self.dir, "slapd.pid"))
        if started.returncode != 0:
            raise RuntimeError(f"slapd did not start: {started.stdout}{started.stderr}")
        env = dict(line.split("=", 1) for line in started.stdout.splitlines() if line.startswith("SLAPD_"))
        self.uri, self.ca = env["SLAPD_LDAPS_URI_E2E"], env["SLAPD_CA"]
        self.base, self.root_dn, self.root_pw = env["SLAPD_BASE"], env["SLAPD_ROOT_DN"], env["SLAPD_PW_FILE"]
        self.state_dn, self.state_pw = env["SLAPD_STATE_DN"], env["SLAPD_STATE_PW_FILE"]
        self.ldif(self.root_dn, self.root_pw, "add",
                  f"dn: uid={ALICE},{self.base}\nobjectClass: inetOrgPerson\nobjectClass: twilioOtpState\n"
                  f"cn: {ALICE}\nsn: {ALICE}\nuid: {ALICE}\nmobile: {NUMBERS[ALICE]}\n")

    def ldif(self, dn, pw_file, verb, text):
        tool = "/usr/bin/ldapadd" if verb == "add" else "/usr/bin/ldapmodify"
        done = subprocess.run([tool, "-H", self.uri, "-x", "-D", dn, "-y", pw_file], input=text, text=True,
                              capture_output=True, timeout=30, env=dict(os.environ, LDAPTLS_CACERT=self.ca, LDAPCONF="/dev/null",
                                                                        LDAPRC="/dev/null"))
        if done.returncode != 0:
            raise RuntimeError(f"{tool}: {done.stderr.strip()}")

    def add_failures(self, user, count, host):
        """`count` failed codes of `user` counted now by another host, as its
        module writes them: one twilioOtpFailure value each."""
        stamp = time.strftime("%Y%m%d%H%M%SZ", time.gmtime())
        values = "".join(f"twilioOtpFailure: {stamp} {secrets.token_hex(8)} {host}\n" for _ in range(count))
        self.ldif(self.state_dn, self.state_pw, "modify",
                  f"dn: uid={user},{self.base}\nchangetype: modify\nadd: twilioOtpFailure\n{values}")

    def clear_failures(self, user):
        self.ldif(self.root_dn, self.root_pw, "modify",
                  f"dn: uid={user},{self.base}\nchangetype: modify\nreplace: twilioOtpFailure\n")

    def config(self, w, name, *lines):
        """A verify-mode config whose numbers and fleet state are in this
        directory, bound as the state account."""
        path = w.config(name, "verify", 'state = { backend = "ldap"; };', *lines)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        directory = (f'directory = {{\n  backend = "ldap";\n  ldap = {{\n    uri = ["{self.uri}"];\n'
                     f'    ca_file = "{self.ca}";\n    bind_dn = "{self.state_dn}";\n'
                     f'    bind_password_file = "{self.state_pw}";\n    base = "{self.base}";\n'
                     f'    timeout = 3;\n  }};\n}};\n')
        text = re.sub(r"directory = \{\n.*?\n\};\n", lambda _: directory, text, count=1, flags=re.S)
        # A lockout after MAX_FAILURES codes, not the other tests' 100.
        text = text.replace("max_failures = 100;", f"max_failures = {MAX_FAILURES};")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path + ".tmp", 0o600)
        os.replace(path + ".tmp", path)
        return path
