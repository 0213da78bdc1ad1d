"""Wall time of one real ssh login (`ssh ... true`, keyboard-interactive),
median of RUNS, through ONE private sshd whose PAM service file is swapped
between Debian's own /etc/pam.d/sshd (no module) and that file with the
password-and-code snippet (the module, in each mode). sshd re-executes itself
and libpam re-reads the service file for every connection, so nothing else
changes between the series. The password and the code are typed as soon as
they are asked for (the code from the stand-in's records)."""
import os
import statistics
import time

import pexpect

from fixtures import write_atomic
from steps import password_then_code
from suite import Screen
from world import ALICE

SERVICE = "twotp-e2e-sshd-bench"


def one_login(w, sshd, with_code):
    start = time.perf_counter()
    child = sshd.spawn(ALICE, "true")
    child.delaybeforesend = None  # pexpect's default 50 ms pause before each answer
    screen = Screen(child)
    if with_code:
        password_then_code(w, screen, ALICE)
    else:
        screen.expect_exact("Password: ")
        screen.sendline(w.passwords[ALICE])
    screen.expect(pexpect.EOF)
    took = (time.perf_counter() - start) * 1000  # before close(), which sleeps 100 ms
    if screen.finish() != 0:
        raise RuntimeError(f"a bench login failed:\n{screen.text}")
    return took


def main(w, runs):
    w.add_users([ALICE])
    with open("/etc/pam.d/sshd", encoding="utf-8") as f:
        debian = f.read()
    sshd = w.start_sshd(SERVICE, debian)
    stacks = {"without the module (Debian's /etc/pam.d/sshd)": (debian, False)}
    for mode in ("verify", "messaging"):
        stack = w.ssh_stack("sshd-password-and-code", w.config("bench-" + mode, mode))
        stacks[f"with the module, {mode} mode (send + check)"] = (stack, True)
    print(f"ssh login bench: {runs} logins per line, taken in turns after one warm-up each, "
          f"`{' '.join(sshd.ssh_argv(ALICE, 'true'))}`", flush=True)
    times = {label: [] for label in stacks}
    for n in range(runs + 1):  # in turns, so a slow spell of the machine hits every line alike
        for label, (stack, with_code) in stacks.items():
            write_atomic(f"/etc/pam.d/{SERVICE}", stack)  # journaled by start_sshd
            took = one_login(w, sshd, with_code)
            if n:
                times[label].append(took)
    base = statistics.median(next(iter(times.values())))
    for label, series in times.items():
        median = statistics.median(series)
        extra = f"  (+{median - base:.1f} ms)" if median != base else ""
        print(f"  {label:<46} median {median:6.1f} ms{extra}   min {min(series):.1f}, max {max(series):.1f}")
    print(f"(machine: {os.cpu_count()} CPUs; the stand-in is on loopback, so real Twilio adds its round trips"
          " and the time the SMS takes to arrive)")
    return 0

