"""The machine the end-to-end tests log in to: test users enrolled with the
stand-in, the module's configs, PAM stacks built from conf/pam.d, private
sshds and a sudoers drop-in. Everything goes through the Journal."""
import os
import secrets
import subprocess
import tempfile

from fixtures import ROOT, SyslogCapture, Twilio, pam_stack
from sshd import PrivateSshd

ALICE, BOB = "twotpe2e_alice", "twotpe2e_bob"
CAROL = "twotpe2e_carol"  # has a password, no phone number
NUMBERS = {ALICE: "+15550104567", BOB: "+15550107654"}
MASKED_ALICE = "+1 ••• ••• 4567"
SUDO_SERVICE = "twotp-e2e-sudo"
SUDOERS = "/etc/sudoers.d/twotp-e2e"
# Room for the many sends of one run: the tests are not about the limits.
TEST_LIMITS = "limits = { resend_cooldown = 0; sends_per_window = 100; max_failures = 100; };"


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
        self.syslog = SyslogCapture(journal)

    def config(self, name, mode, *lines):
        path = os.path.join(self.work, name + ".conf")
        self.twilio.write_config(path, mode, TEST_LIMITS, *lines)
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

    def start_sshd(self, service, pam_text, key_and_code=False):
        sshd = PrivateSshd(self.journal, self.work, service, pam_text, key_and_code)
        self.sshds[service] = sshd
        sshd.start()
        return sshd

    def ssh_stack(self, snippet_name, config):
        return pam_stack("/etc/pam.d/sshd", snippet(snippet_name), self.module, config)

    def install_sudo(self, config):
        """A sudoers drop-in giving ALICE her own PAM service, checked by visudo first."""
        text = (f"# pam_twilio_otp e2e tests: {ALICE} authenticates through {SUDO_SERVICE}\n"
                f"Defaults:{ALICE} pam_service={SUDO_SERVICE}, !lecture\n"
                f"{ALICE} ALL=(ALL:ALL) ALL\n")
        draft = os.path.join(self.work, "sudoers")
        with open(draft, "w", encoding="utf-8") as f:
            f.write(text)
        subprocess.run(["visudo", "-cqf", draft], check=True)
        self.journal.replace_file(f"/etc/pam.d/{SUDO_SERVICE}",
                                  pam_stack("/etc/pam.d/sudo", snippet("sudo"), self.module, config))
        self.journal.replace_file(SUDOERS, text, mode=0o440)

    def stop(self):
        for sshd in self.sshds.values():
            sshd.stop()
