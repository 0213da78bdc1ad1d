"""The machine the end-to-end tests log in to: test users enrolled with the
stand-in, the module's configs, PAM stacks built from conf/pam.d, private
sshds and a sudoers drop-in. Everything goes through the Journal."""
import contextlib
import os
import pwd
import re
import secrets
import subprocess
import tempfile

from fixtures import ROOT, SyslogCapture, Twilio, pam_stack
from sshd import PrivateSshd

ALICE, BOB = "twotpe2e_alice", "twotpe2e_bob"
CAROL = "twotpe2e_carol"  # has a password, no phone number
DAVE = "twotpe2e_dave"  # a key, no number, not in OTP_GROUP: ssh as before the module
# The sshd drop-in's Match Group (twilio-otp as shipped): who must give a code over ssh.
OTP_GROUP = "twotpe2e_otp"
NUMBERS = {ALICE: "+15550104567", BOB: "+15550107654"}
MASKED_ALICE = "+1 ••• ••• 4567"
SUDO_SERVICE = "twotp-e2e-sudo"
SUDOERS = "/etc/sudoers.d/twotp-e2e"
# Room for the many sends of one run: the tests are not about the limits.
TEST_LIMIT_SETTINGS = "resend_cooldown = 0; sends_per_window = 100; max_failures = 100;"
TEST_LIMITS = f"limits = {{ {TEST_LIMIT_SETTINGS} }};"


def snippet(name):
    return os.path.join(ROOT, "conf", "pam.d", name)


class World:
    def __init__(self, journal, build):
        self.journal = journal
        self.module = os.path.join(build, "pam_twilio_otp.so")
        self.work = journal.add_tree(tempfile.mkdtemp(prefix="twotp-e2e."))
        self.twilio = Twilio()
        self.passwords = {}
        self.sshds = {}
        self.keys = {}
        self.configs = {}
        self.sudoers = None  # the drop-in's text (install_sudo)
        self.syslog = SyslogCapture(journal)

    def config(self, name, mode, *lines, limits="", twilio=None):
        """A config for the stand-in; `lines` are top-level settings, `limits`
        more settings inside the limits group (libconfig refuses a second
        one), `twilio` {key: value} set inside the twilio group."""
        path = os.path.join(self.work, name + ".conf")
        self.twilio.write_config(path, mode, f"limits = {{ {TEST_LIMIT_SETTINGS} {limits} }};", *lines)
        if twilio:
            _set_in_group(path, "twilio", twilio)
        return path

    def add_users(self, users=(ALICE, BOB, CAROL), enroll=True):
        """Users with random passwords; with `enroll`, those in NUMBERS get
        their number (SMS) in the users file, as `twilio-otp enroll` writes it."""
        for user in users:
            self.passwords[user] = secrets.token_urlsafe(12)
            self.journal.add_user(user, self.passwords[user])
        self.twilio.enroll({user: (NUMBERS[user], "sms") for user in users if enroll and user in NUMBERS})

    def add_key(self, user):
        """An ed25519 key pair: the private half in the work dir (root's, for the
        client), the public half in the user's authorized_keys."""
        key = os.path.join(self.work, user + "_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        ssh_dir = os.path.expanduser(f"~{user}/.ssh")
        os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
        authorized = os.path.join(ssh_dir, "authorized_keys")
        with open(key + ".pub", encoding="utf-8") as src, open(authorized, "w", encoding="utf-8") as dst:
            dst.write(src.read())
        os.chmod(authorized, 0o600)
        subprocess.run(["chown", "-R", f"{user}:{user}", ssh_dir], check=True)
        self.keys[user] = key

    def add_otp_group(self, users):
        """OTP_GROUP with `users`: the accounts the sshds require a code from."""
        self.journal.add_group(OTP_GROUP, users)

    def start_sshd(self, service, pam_text, key_and_code=False):
        sshd = PrivateSshd(self.journal, self.work, service, pam_text, OTP_GROUP, key_and_code)
        self.sshds[service] = sshd
        sshd.start()
        return sshd

    def ssh_stack(self, snippet_name, config):
        return pam_stack("/etc/pam.d/sshd", snippet(snippet_name), self.module, config)

    def install_sudo(self, config):
        """A sudoers drop-in giving ALICE her own PAM service, checked by visudo first."""
        self.sudoers = (f"# pam_twilio_otp e2e tests: {ALICE} authenticates through {SUDO_SERVICE}\n"
                        f"Defaults:{ALICE} pam_service={SUDO_SERVICE}, !lecture\n"
                        f"{ALICE} ALL=(ALL:ALL) ALL\n")
        self.journal.replace_file(f"/etc/pam.d/{SUDO_SERVICE}",
                                  pam_stack("/etc/pam.d/sudo", snippet("sudo"), self.module, config))
        self._write_sudoers(self.sudoers)

    def _write_sudoers(self, text):
        draft = os.path.join(self.work, "sudoers")
        with open(draft, "w", encoding="utf-8") as f:
            f.write(text)
        subprocess.run(["visudo", "-cqf", draft], check=True)
        return self.journal.replace_file(SUDOERS, text, mode=0o440)

    @contextlib.contextmanager
    def sudo_env_keep(self, *names):
        """ALICE's sudo keeps these variables of hers (env_keep) for the
        block's length: sudoers filters the environment PAM modules see."""
        entry = self._write_sudoers(self.sudoers + f'Defaults:{ALICE} env_keep += "{" ".join(names)}"\n')
        try:
            yield
        finally:
            self.journal.revert(entry)

    @contextlib.contextmanager
    def pam_service(self, service, config):
        """/etc/pam.d/SERVICE (su, login) built from its snippet with `config`,
        put back as soon as the block ends."""
        path = f"/etc/pam.d/{service}"
        entry = self.journal.replace_file(path, pam_stack(path, snippet(service), self.module, config))
        try:
            yield
        finally:
            self.journal.revert(entry)

    @contextlib.contextmanager
    def sudo_config(self, config):
        """ALICE's sudo stack with another config for the block's length."""
        entry = self.journal.replace_file(f"/etc/pam.d/{SUDO_SERVICE}",
                                          pam_stack("/etc/pam.d/sudo", snippet("sudo"), self.module, config))
        try:
            yield
        finally:
            self.journal.revert(entry)

    @contextlib.contextmanager
    def extra_account(self, name, like, uid=None):
        """An /etc/passwd + /etc/shadow entry `name` with the password, group,
        home and shell of user `like`: with `like`'s uid (another spelling of
        the same account, as NSS backends that fold case give) or `uid`.
        Names useradd refuses (control bytes) are fine here. Removed when the
        block ends."""
        like_pw = pwd.getpwnam(like)
        with open("/etc/shadow", encoding="utf-8") as f:
            shadow = [line for line in f.read().splitlines() if line.split(":", 1)[0] == like]
        if len(shadow) != 1 or ":" in name or "\n" in name:
            raise RuntimeError(f"cannot make an account {name!r} like {like}")
        uid = like_pw.pw_uid if uid is None else uid
        entries = [self.journal.append_lines("/etc/passwd", [
                       f"{name}:x:{uid}:{like_pw.pw_gid}:twotp e2e:{like_pw.pw_dir}:{like_pw.pw_shell}"])]
        try:
            entries.append(self.journal.append_lines("/etc/shadow", [name + ":" + shadow[0].split(":", 1)[1]]))
            yield name
        finally:
            for entry in reversed(entries):
                self.journal.revert(entry)

    def stop(self):
        for sshd in self.sshds.values():
            sshd.stop()


def _set_in_group(path, group, settings):
    """Sets `key = value;` inside the config's top-level `group = { ... };`
    (as fake_env.sh writes it: one setting a line), replacing a line that
    sets the key already."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    start = lines.index(f"{group} = {{")
    end = lines.index("};", start)
    for key, value in settings.items():
        line = f"  {key} = {value};"
        found = [i for i in range(start + 1, end) if re.match(rf"\s*{re.escape(key)}\s*=", lines[i])]
        if found:
            lines[found[0]] = line
        else:
            lines.insert(end, line)
            end += 1
    with open(path, "w", encoding="utf-8") as f:  # the same file: root's, 0600
        f.write("\n".join(lines) + "\n")
