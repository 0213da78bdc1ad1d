"""A private OpenSSH sshd on a loopback port, and the real ssh client.

sshd takes its PAM service name from the basename of argv[0], so each daemon
runs through a symlink named after its own test service (/etc/pam.d/NAME):
Debian's /etc/pam.d/sshd and /etc/ssh are never touched. It is started by
absolute path because it re-executes itself for every connection.
"""
import os
import shutil
import socket
import subprocess
import time

import pexpect

from fixtures import ROOT, stop_pidfile

SNIPPET = os.path.join(ROOT, "conf", "sshd_config.d", "pam_twilio_otp.conf")
SHIPPED_MATCH = "Match Group twilio-otp"


def snippet_directives(key_and_code, group):
    """The directives of conf/sshd_config.d/pam_twilio_otp.conf as an
    administrator enables them: password + code as shipped, or key + code
    with its two commented "AuthenticationMethods publickey..." lines in
    place of the other. The Match names `group`, the run's own, instead of
    the shipped twilio-otp, which is the administrator's."""
    out = []
    with open(SNIPPET, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            uncommented = line.lstrip("# ")
            if key_and_code and line.startswith("#") and uncommented.startswith("AuthenticationMethods publickey"):
                out.append(uncommented)
            elif line and not line.startswith("#"):
                if not (key_and_code and line.startswith("AuthenticationMethods")):
                    out.append(line)
    if SHIPPED_MATCH not in out:
        raise RuntimeError(f"{SNIPPET}: no '{SHIPPED_MATCH}' line to point at the test group")
    return [f"Match Group {group}" if line == SHIPPED_MATCH else line for line in out]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateSshd:
    def __init__(self, journal, workdir, service, pam_text, group, key_and_code=False):
        self.journal = journal
        self.group = group  # the drop-in's Match Group
        self.service = service
        self.dir = os.path.join(workdir, service)
        self.pam_text = pam_text
        self.key_and_code = key_and_code
        self.port = None
        self.log = os.path.join(self.dir, "sshd.log")
        self.pidfile = os.path.join(self.dir, "sshd.pid")

    def start(self):
        os.makedirs(self.dir, mode=0o700)
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege-separation chroot
        host_key = os.path.join(self.dir, "host_ed25519_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", host_key], check=True)
        self.port = free_port()
        config = os.path.join(self.dir, "sshd_config")
        with open(config, "w", encoding="utf-8") as f:
            f.write("\n".join([
                f"# private test sshd for PAM service {self.service}; no Include",
                f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {host_key}",
                f"PidFile {self.pidfile}", "LogLevel VERBOSE", "UseDNS no", "PermitRootLogin no",
                "PrintMotd no", "PrintLastLog no",
                *snippet_directives(self.key_and_code, self.group)]) + "\n")  # its Match block last
        self.journal.replace_file(f"/etc/pam.d/{self.service}", self.pam_text)
        program = os.path.join(self.dir, self.service)
        os.symlink(os.path.realpath(shutil.which("sshd", path="/usr/sbin:/usr/bin:/sbin")), program)
        subprocess.run([program, "-t", "-f", config], check=True)
        self.journal.track_pidfile(self.pidfile)
        proc = subprocess.Popen([program, "-D", "-E", self.log, "-f", config])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"sshd exited ({proc.returncode}); see {self.log}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                if os.path.exists(self.pidfile):  # written once it listens: stop() needs it
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"sshd did not listen on port {self.port} within 10 s")

    def stop(self):
        stop_pidfile(self.pidfile)

    def ssh_argv(self, user, *command, identity=None, options=()):
        """The real ssh client, isolated from this machine's ssh configs."""
        methods = "publickey,keyboard-interactive" if identity else "keyboard-interactive"
        argv = ["ssh", "-F", "/dev/null", "-p", str(self.port), "-l", user,
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", f"PreferredAuthentications={methods}", "-o", "NumberOfPasswordPrompts=1",
                "-o", "IdentityAgent=none", "-o", "ConnectTimeout=10"]
        if identity:
            argv += ["-o", "IdentitiesOnly=yes", "-i", identity]
        for option in options:
            argv += ["-o", option]
        return argv + ["127.0.0.1", *command]

    def spawn(self, user, *command, identity=None, options=(), timeout=20):
        argv = self.ssh_argv(user, *command, identity=identity, options=options)
        # The client prints the masked number's bullets only under a UTF-8
        # locale; under C or POSIX it shows octal escapes (\342\200\242).
        return pexpect.spawn(argv[0], argv[1:], encoding="utf-8", timeout=timeout,
                             env=dict(os.environ, LC_ALL="C.UTF-8"))
