"""System fixtures for the end-to-end tests: every change to this machine
(a file under /etc, a user, a daemon) goes through one Journal, which undoes
them in reverse order at the end of the run, on a signal, at exit, and at the
start of the next run if this one was killed before it could (SIGKILL, a
power cut): the journal lives on disk, each step written before it is taken.
"""
import atexit
import grp
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fake_twilio"))
import records  # noqa: E402  (the stand-in's own reader of records.jsonl)

JOURNAL_DIR = "/var/lib/twotp-e2e"  # survives the run's temp dir


class Journal:
    """Undo log of system changes, kept on disk as JSON lines."""

    def __init__(self):
        self.path = os.path.join(JOURNAL_DIR, "journal.jsonl")
        self.undone = False
        Journal.recover(self.path)
        os.makedirs(JOURNAL_DIR, mode=0o700, exist_ok=True)

    @staticmethod
    def recover(path):
        """Undoes what an earlier, killed run left behind."""
        if os.path.exists(path):
            print("e2e: undoing changes left by an interrupted run", flush=True)
            _undo_file(path)

    def _write(self, entry):
        entry["id"] = secrets.token_hex(6)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return entry["id"]

    def revert(self, entry_id):
        """Undoes one change now (e.g. /etc/pam.d/su right after its test)."""
        for entry in _entries(self.path):
            if entry.get("id") == entry_id:
                _undo(entry)
                self._write({"undone": entry_id})

    def replace_file(self, path, text, mode=0o644):
        """Writes `text` to `path` (under /etc); the old file, if any, comes back."""
        backup = None
        if os.path.lexists(path):
            backup = os.path.join(JOURNAL_DIR, "backup-" + secrets.token_hex(6))
            shutil.copy2(path, backup, follow_symlinks=False)
        entry_id = self._write({"file": path, "backup": backup})
        write_atomic(path, text, mode)
        return entry_id

    def add_user(self, name, password):
        """A local user with a home, bash and `password` (set through chpasswd)."""
        self._write({"user": name})
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", name], check=True)
        subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
        return pwd.getpwnam(name)

    def add_group(self, name, members):
        """A local group with `members` as its supplementary members."""
        self._write({"group": name})
        subprocess.run(["groupadd", "-U", ",".join(members), name], check=True)

    def append_lines(self, path, lines):
        """Appends `lines` to `path` (/etc/passwd, /etc/shadow): the file keeps
        its owner, group and mode, and the old one comes back."""
        st = os.stat(path)
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        backup = os.path.join(JOURNAL_DIR, "backup-" + secrets.token_hex(6))
        shutil.copy2(path, backup)
        os.chown(backup, st.st_uid, st.st_gid)  # /etc/shadow is root:shadow
        entry_id = self._write({"file": path, "backup": backup})
        if text and not text.endswith("\n"):
            text += "\n"
        write_atomic(path, text + "".join(line + "\n" for line in lines), st.st_mode & 0o7777,
                     owner=(st.st_uid, st.st_gid))
        return entry_id

    def add_path(self, path):
        """A file or socket this run creates (removed at the end)."""
        return self._write({"file": path, "backup": None})

    def add_tree(self, path):
        """A directory of this run's own (removed with everything in it)."""
        self._write({"tree": path})
        return path

    def track_pidfile(self, pidfile):
        """A daemon to stop (TERM, then KILL) through its pid file."""
        return self._write({"pidfile": pidfile})

    def undo(self):
        if not self.undone and os.path.exists(self.path):
            self.undone = True
            _undo_file(self.path)


def write_atomic(path, text, mode=0o644, owner=None):
    """Readers (libpam, sudo) see the old file or the new one, never half."""
    tmp = path + ".twotp-e2e-tmp"
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)
    if owner is not None:
        os.chown(tmp, *owner)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _entries(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _undo_file(path):
    entries = _entries(path)
    done = {e["undone"] for e in entries if "undone" in e}
    for entry in reversed(entries):
        if "undone" in entry or entry["id"] in done:
            continue
        try:
            _undo(entry)
        except Exception as e:  # keep undoing the rest
            print(f"e2e: could not undo {entry}: {e}", file=sys.stderr)
    os.unlink(path)
    try:
        os.rmdir(JOURNAL_DIR)
    except OSError:
        pass  # a backup that could not be restored stays for a person to see


def _undo(entry):
    if "file" in entry:
        if entry["backup"]:
            os.replace(entry["backup"], entry["file"])
        elif os.path.lexists(entry["file"]):
            os.unlink(entry["file"])
    elif "user" in entry:
        try:
            pwd.getpwnam(entry["user"])
        except KeyError:
            return
        subprocess.run(["userdel", "-r", "-f", entry["user"]], check=False,
                       stderr=subprocess.DEVNULL)
    elif "group" in entry:
        try:
            grp.getgrnam(entry["group"])
        except KeyError:
            return
        subprocess.run(["groupdel", entry["group"]], check=False, stderr=subprocess.DEVNULL)
    elif "pidfile" in entry:
        stop_pidfile(entry["pidfile"])
    elif "tree" in entry:
        shutil.rmtree(entry["tree"], ignore_errors=True)


def stop_pidfile(pidfile, grace=5.0):
    """Stops the daemon of `pidfile`, if the pid still names it: its command
    line mentions the pid file's directory (after a crash the pid may have
    gone to another process)."""
    try:
        with open(pidfile, encoding="ascii") as f:
            pid = int(f.read().split()[0])
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if os.path.dirname(pidfile).encode() not in f.read():
                return
    except (OSError, ValueError, IndexError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _alive(pid):
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # our own child, now reaped
    except ChildProcessError:
        pass  # not our child (a daemon left by an earlier run)
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def undo_on_exit(journal):
    """Undo at normal exit and on TERM/INT/HUP (turned into SystemExit so that
    every `finally` runs too)."""
    atexit.register(journal.undo)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)


def pam_stack(base_path, snippet_path, module, config):
    """A service file as an administrator makes it: `base_path` (Debian's file
    for that service) with its "@include common-auth" line replaced by the
    snippet's lines; the snippet's module name becomes `module config=...`."""
    with open(snippet_path, encoding="utf-8") as f:
        lines = [line for line in f.read().splitlines() if line.strip() and not line.startswith("#")]
    lines = [line.replace("pam_twilio_otp.so", f"{module} config={config}") for line in lines]
    with open(base_path, encoding="utf-8") as f:
        base = f.read().splitlines()
    include = [i for i, line in enumerate(base) if line.split() == ["@include", "common-auth"]]
    if len(include) != 1:
        raise RuntimeError(f"{base_path}: expected one '@include common-auth' line")
    at = include[0]
    out = base[:at] + [f"# pam_twilio_otp e2e: from {os.path.relpath(snippet_path, ROOT)}"] + lines + base[at + 1:]
    return "\n".join(out) + "\n"


class Twilio:
    """The running stand-in (started by run.sh) and what it recorded."""

    def __init__(self):
        self.dir = os.environ["FAKE_TWILIO_DIR"]

    def mark(self):
        return len(records.records(self.dir))

    def since(self, mark):
        return records.records(self.dir)[mark:]

    def sends(self, mark, number=None):
        return [r for r in self.since(mark) if r.get("kind") in records.SENDS
                and (number is None or r.get("to") == number)]

    def new_code(self, number, mark, kind=None):
        """The latest code sent to `number` since `mark` (of `kind` if given),
        and its record. The module sends before it prompts, and the stand-in
        records a send before it replies, so once a code prompt is on the
        screen its code is here: no waiting."""
        sent = [r for r in self.sends(mark, number) if r.get("code") and kind in (None, r["kind"])
                and 200 <= (r.get("status") or 500) < 300 and r.get("delivered", True)]
        if not sent:
            raise AssertionError(f"no {kind or 'code'} was sent to {number} for this login: {self.since(mark)}")
        return sent[-1]["code"], sent[-1]

    def latest_code(self, number):
        """The newest code the phone got: what a person types."""
        code = records.last_code(self.dir, number)
        if code is None:
            raise AssertionError(f"no code was ever sent to {number}")
        return code

    def control(self, faults):
        """Replaces the stand-in's control.json (fake_twilio_control); {} is
        normal service. Read on every request."""
        path = os.path.join(self.dir, "control.json")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(json.dumps(faults) + "\n")
        os.replace(path + ".tmp", path)

    def write_config(self, path, mode, *lines):
        """fake_twilio_write_config from fake_env.sh (one way to write configs)."""
        env_sh = os.path.join(ROOT, "tests", "fake_twilio", "fake_env.sh")
        subprocess.run(["bash", "-c", 'source "$1"; shift; fake_twilio_write_config "$@"', "_",
                        env_sh, path, mode, *lines], check=True)

    def enroll(self, users):
        """Writes the users file: {name: (number, channel)} (root, 0600)."""
        path = os.path.join(self.dir, "users")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            for name, (number, channel) in users.items():
                f.write(f"{name} {number} {channel} -\n")
        os.chmod(path + ".tmp", 0o600)
        os.replace(path + ".tmp", path)


class SyslogCapture:
    """The module logs only through syslog (pam_syslog). Where this machine
    has no syslog daemon (no /dev/log: containers, CI), the run listens there
    itself, so tests can read what the module logged; elsewhere `lines` is None."""

    def __init__(self, journal):
        self.lines = None
        if os.path.exists("/dev/log"):
            return
        self.lines = []
        journal.add_path("/dev/log")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("/dev/log")
        os.chmod("/dev/log", 0o666)  # sudo and su log from user processes too
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            self.lines.append(self.sock.recv(65536).decode("utf-8", "replace"))

    def module_lines(self):
        return [line for line in self.lines or [] if "pam_twilio_otp" in line]



class ConnectProxy:
    """An HTTP proxy on loopback that records every connection made to it
    (`connections`: peer and request line) and tunnels CONNECTs to loopback
    only, so a client that uses it still reaches the stand-in."""

    def __init__(self):
        self.connections = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.sock.close()

    def _accept(self):
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return  # closed
            record = {"peer": "%s:%d" % peer, "request": None}
            self.connections.append(record)  # counted before a byte is read
            threading.Thread(target=self._serve, args=(conn, record), daemon=True).start()

    def _serve(self, conn, record):
        with conn:
            conn.settimeout(10)
            head = b""
            try:
                while b"\r\n\r\n" not in head and len(head) < 8192:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    head += chunk
            except OSError:
                return
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            record["request"] = line
            words = line.split()
            host, _, port = words[1].rpartition(":") if len(words) >= 2 and words[0] == "CONNECT" else ("", "", "")
            if host.strip("[]") not in ("127.0.0.1", "localhost", "::1") or not port.isdigit():
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            try:
                upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
            except OSError:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            with upstream:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                conn.settimeout(None)
                upstream.settimeout(None)
                back = threading.Thread(target=_pipe, args=(upstream, conn), daemon=True)
                back.start()
                _pipe(conn, upstream)
                back.join(10)


def _pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
