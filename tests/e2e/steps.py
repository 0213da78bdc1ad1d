"""What a person does at the prompts, the same in every front-end: the
password, then the newest code their phone got. That code may have been sent
for an earlier login: a login takes over a code another login of the same
user sent within its TTL (the state store), so a test that needs a code sent
for this very login asks the stand-in's records itself (Twilio.new_code)."""
import subprocess

from suite import check
from world import NUMBERS


def to_code_prompt(w, screen, user, password_prompt="Password: "):
    """Types the password; waits for the banner and the code prompt."""
    screen.expect_exact(password_prompt)
    screen.sendline(w.passwords[user])
    screen.expect_exact(f"Two-step verification for {user}.")
    screen.expect_exact("Verification code: ")


def type_code(w, screen, user):
    """At the code prompt: types the newest code sent to the user's phone."""
    code = w.twilio.latest_code(NUMBERS[user])
    screen.sendline(code)
    return code


def password_then_code(w, screen, user, password_prompt="Password: "):
    to_code_prompt(w, screen, user, password_prompt)
    return type_code(w, screen, user)


def no_sends_since(w, mark, what):
    sends = w.twilio.sends(mark)
    check(not sends, f"{what} sent {len(sends)} code(s): {sends}")


def as_user(user, *argv, env=None, umask=None):
    """argv for running `argv` as the unprivileged `user` (runuser), with
    `env` added to the environment and `umask` set first: what that user
    could type in their own shell, e.g. `umask 000; SSLKEYLOGFILE=... su`."""
    command = ["runuser", "-u", user, "--"]
    if umask is not None:
        command += ["sh", "-c", f'umask {umask}; exec "$@"', "sh"]
    if env:
        command += ["env"] + [f"{name}={value}" for name, value in env.items()]
    return command + list(argv)


def signal_as(user, pid, signame):
    """`kill -s SIGNAME PID` typed by `user` (their own setuid su or sudo)."""
    done = subprocess.run(as_user(user, "kill", "-s", signame, str(pid)), capture_output=True, text=True, timeout=10)
    check(done.returncode == 0, f"{user} could not send SIG{signame} to {pid}: {done.stderr.strip()}")
