"""sudo, su and login under a pty, each with a stack built from its snippet."""
import contextlib
import os
import subprocess

import pexpect

from fixtures import pam_stack
from steps import no_sends_since, password_then_code, to_code_prompt
from suite import Screen, check, test
from world import ALICE, BOB, NUMBERS, snippet

ENV = dict(os.environ, LC_ALL="C.UTF-8")


def spawn(*argv):
    return Screen(pexpect.spawn(argv[0], list(argv[1:]), encoding="utf-8", timeout=20, env=ENV))


def as_alice(*argv, stdin="", timeout=20):
    """Runs argv as ALICE with no terminal at all (a script, cron)."""
    try:
        return subprocess.run(["runuser", "-u", ALICE, "--", *argv], input=stdin,
                              capture_output=True, text=True, timeout=timeout, start_new_session=True)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{argv} hung") from None


@contextlib.contextmanager
def service_stack(w, service, config=None):
    """/etc/pam.d/SERVICE as an administrator edits it for the module (su and
    login have fixed service names), put back as soon as the test ends."""
    path = f"/etc/pam.d/{service}"
    entry = w.journal.replace_file(path, pam_stack(path, snippet(service), w.module, config or w.configs["local"]))
    try:
        yield
    finally:
        w.journal.revert(entry)


@test
def sudo_password_and_code_names_command(w):
    mark = w.twilio.mark()
    screen = spawn("runuser", "-u", ALICE, "--", "sudo", "-k", "id", "-un")
    to_code_prompt(w, screen, ALICE, f"[sudo] password for {ALICE}: ")
    # ALICE's last login (ssh) succeeded: no code is pending, this one is sent.
    code, record = w.twilio.new_code(NUMBERS[ALICE], mark, "message")
    screen.sendline(code)
    check(f"approves sudo id -un for {ALICE}" in record["body"], f"the SMS does not name the command: {record}")
    check(screen.finish() == 0, f"sudo failed:\n{screen.text}")
    check(screen.text.rstrip().endswith("root"), f"`id -un` did not run as root:\n{screen.text}")


@test
def sudo_interrupt_at_code_prompt_runs_nothing(w):
    marker = os.path.join(w.work, "sudo-ran")
    screen = spawn("runuser", "-u", ALICE, "--", "sudo", "-k", "touch", marker)
    to_code_prompt(w, screen, ALICE, f"[sudo] password for {ALICE}: ")
    screen.child.sendcontrol("c")
    check(screen.finish() != 0, f"sudo succeeded after ^C:\n{screen.text}")
    check(not os.path.exists(marker), "the command ran after ^C at the code prompt")


@test
def sudo_n_fails_without_send(w):
    mark = w.twilio.mark()
    done = as_alice("sudo", "-k", "-n", "true")
    check(done.returncode == 1 and "password is required" in done.stderr, f"sudo -n: {done}")
    no_sends_since(w, mark, "sudo -n")


@test
def sudo_without_terminal_fails_without_send(w):
    mark = w.twilio.mark()
    done = as_alice("sudo", "-k", "true")
    check(done.returncode == 1 and "terminal is required" in done.stderr, f"sudo with no tty: {done}")
    no_sends_since(w, mark, "sudo without a terminal")


@test
def sudo_S_from_a_pipe_fails_without_send(w):
    # A script that pipes the password into sudo -S passes the password step,
    # and nobody could type a code into that pipe: nothing may be sent.
    mark = w.twilio.mark()
    done = as_alice("sudo", "-S", "-k", "true", stdin=w.passwords[ALICE] + "\n")
    check(done.returncode == 1 and "no code was sent" in done.stderr, f"sudo -S from a pipe: {done}")
    no_sends_since(w, mark, "sudo -S from a pipe")


@test
def su_to_enrolled_user_with_code(w):
    with service_stack(w, "su"):
        screen = spawn("runuser", "-u", ALICE, "--", "su", "-", BOB, "-c", "id -un")
        password_then_code(w, screen, BOB)
        check(screen.finish() == 0, f"su failed:\n{screen.text}")
    check(screen.text.rstrip().endswith(BOB), f"`id -un` did not print {BOB}:\n{screen.text}")


@test
def su_with_a_broken_config_says_whom_to_ask(w):
    """A typo in the config, met through setuid su by an unprivileged user:
    besides su's own "Authentication service cannot retrieve authentication
    info", the module's sentence says to ask an administrator."""
    broken = os.path.join(w.work, "broken.conf")
    with open(broken, "w", encoding="utf-8") as f:
        f.write('twilio = { mode = "verify" \n')  # the group is never closed
    os.chmod(broken, 0o600)
    mark = w.twilio.mark()
    with service_stack(w, "su", broken):
        screen = spawn("runuser", "-u", ALICE, "--", "su", "-", BOB, "-c", "id -un")
        screen.expect_exact("Password: ")
        screen.sendline(w.passwords[BOB])
        screen.expect_exact("not set up correctly on this host; ask your administrator")
        check(screen.finish() != 0, f"su succeeded with a broken config:\n{screen.text}")
    no_sends_since(w, mark, "a login with a broken config")


@test
def login_on_a_terminal_with_code(w):
    with service_stack(w, "login"):
        screen = spawn("login", ALICE)
        password_then_code(w, screen, ALICE)
        screen.sendline("echo LOGIN-OK-$(id -un); exit")
        screen.expect_exact(f"LOGIN-OK-{ALICE}")
        check(screen.finish() == 0, f"login failed:\n{screen.text}")
