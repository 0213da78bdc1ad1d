#!/usr/bin/python3
"""Drives `twilio-otp enroll` on a pseudo-terminal, as an administrator would.

    tty_enroll.py CLI CONFIG RECORDS_DIR NUMBER right|interrupt

right:     types a wrong code, then the right one (read from the stand-in's
           records); the CLI must exit 0 and never echo either code.
interrupt: presses Ctrl-C at the prompt; the CLI must exit 1 saying
           "interrupted", and leave the terminal with echo back on.
Exit 0 when the CLI behaved, 1 with the reason on stderr otherwise.
"""

import fcntl
import os
import select
import subprocess
import sys
import termios
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fake_twilio"))
import records  # noqa: E402  (the stand-in's record reader)


def fail(why, seen=b""):
    sys.exit("%s; terminal showed: %r" % (why, seen[-400:]))


def read_until(fd, needle, seen, timeout=15.0):
    deadline = time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            fail("timed out waiting for %r" % needle, seen)
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            chunk = b""
        if not chunk:
            if needle in seen:
                break
            fail("terminal closed before %r" % needle, seen)
        seen += chunk
    return seen


def drain(fd, seen):
    while select.select([fd], [], [], 2.0)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    return seen


def main():
    cli, config, records_dir, number, scenario = sys.argv[1:6]
    master, slave = os.openpty()

    def controlling_tty():  # after setsid: make the pty this session's terminal
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    child = subprocess.Popen([cli, "--config", config, "enroll", "alice", number], stdin=slave, stdout=slave,
                             stderr=slave, start_new_session=True, preexec_fn=controlling_tty)
    seen = read_until(master, b"Verification code: ", b"")
    if scenario == "interrupt":
        os.write(master, b"\x03")
        seen = drain(master, seen)
        rc = child.wait(timeout=15)
        if rc != 1 or b"interrupted" not in seen:
            fail("exit %d after Ctrl-C" % rc, seen)
        if not termios.tcgetattr(slave)[3] & termios.ECHO:
            fail("echo is still off after Ctrl-C", seen)
        return
    code = None
    for _ in range(150):
        code = records.last_code(records_dir, number)
        if code:
            break
        time.sleep(0.1)
    if not code:
        fail("no code was sent", seen)
    wrong = "999999" if code != "999999" else "111111"
    os.write(master, wrong.encode() + b"\n")
    seen = read_until(master, b"not right", seen)
    seen = read_until(master, b"Verification code: ", seen[seen.index(b"not right"):])
    os.write(master, code.encode() + b"\n")
    seen = drain(master, seen)
    rc = child.wait(timeout=15)
    if rc != 0:
        fail("exit %d with the right code" % rc, seen)
    if wrong.encode() in seen or code.encode() in seen:
        fail("a typed code was echoed", seen)


if __name__ == "__main__":
    main()
