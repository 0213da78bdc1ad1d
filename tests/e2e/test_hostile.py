"""The caller is hostile (PITFALLS.md §4): su and sudo are setuid, so the
module runs as root inside a process whose environment, signals and
terminal belong to the unprivileged user who started it. Each test is an
attack that user can mount with nothing but their own shell, through the
real setuid su or sudo started by that user (runuser -u USER), and asserts
the security property, whatever the module prints on the way.

Every test keeps the state it leaves clean where it can (codes typed, the
users file put back), so they pass in any order and alone."""
import os
import pwd
import re
import signal
import subprocess
import time

import pexpect

from fixtures import ConnectProxy
from steps import as_user, password_then_code, signal_as, to_code_prompt, type_code
from suite import Screen, Skip, check, test
from world import ALICE, BOB, CAROL, NUMBERS

SUDO_PROMPT = f"[sudo] password for {ALICE}: "
CODE_PROMPT = "Verification code: "
# unenrolled = "enroll": the module asks for a number before it sends anything.
NUMBER_PROMPT = re.compile(r"(?i)mobile number[^\r\n]*: ")
PROXY_NAMES = ("https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy")
# The tests' own environment carries none of what the attacks set.
BASE_ENV = {name: value for name, value in os.environ.items()
            if name.lower() not in ("https_proxy", "http_proxy", "all_proxy", "no_proxy", "sslkeylogfile")}
BASE_ENV["LC_ALL"] = "C.UTF-8"


def spawn_as(user, *argv, env=None, umask=None):
    """`argv` started by `user` on a fresh pty (a new session), with `env`
    added to what they pass on and `umask` set first."""
    command = as_user(user, *argv, env=env, umask=umask)
    return Screen(pexpect.spawn(command[0], command[1:], encoding="utf-8", timeout=20, env=BASE_ENV))


def close(screen):
    """Ends whatever is still running on the screen (a test that failed half-way)."""
    if screen.child.isalive():
        screen.child.close(force=True)


def asked_for_code(screen):
    """After the password: True once the code prompt is on the screen, False
    if the program ended first (a pass, or a refusal: see its exit status)."""
    return screen.expect([re.escape(CODE_PROMPT), pexpect.EOF]) == 0


def in_without_code(w, screen, user, asked):
    """Ends the login: types the code if one was `asked` for; True only when
    the program then succeeded without any code asked."""
    if asked:
        type_code(w, screen, user)
        screen.finish()
        return False
    return screen.finish() == 0


def password_then_outcome(screen, password, password_prompt="Password: "):
    screen.expect_exact(password_prompt)
    screen.sendline(password)
    return asked_for_code(screen)


def interrupt(screen):
    screen.child.sendcontrol("c")
    return screen.finish()


def descendant(pid, comm):
    """The pid of the first process named `comm` below `pid` (runuser forks
    once, then the user's su or sudo runs in the child)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append((int(entry), name))
    todo = [pid]
    while todo:
        for child, name in children.get(todo.pop(0), []):
            if name == comm:
                return child
            todo.append(child)
    raise AssertionError(f"no {comm} process under {pid}")


def process_state(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
            stat = f.read()
        return stat[stat.rindex(")") + 2:].split()[0]
    except OSError:
        return None


@test
def hostile_sslkeylogfile_is_never_written(w):
    """Class 1. libcurl (and other TLS stacks) write TLS session secrets to
    $SSLKEYLOGFILE; in setuid su or sudo that is a root-owned file anywhere
    the caller names, created world-writable under their umask."""
    created = os.path.join(w.work, "keylog-created")  # in root's 0700 work dir: out of the caller's reach
    root_only = os.path.join(w.work, "keylog-root-only")
    with open(root_only, "w", encoding="ascii"):
        pass
    os.chmod(root_only, 0o600)
    logins = (("su", ["su", BOB, "-c", "true"], BOB, "Password: ", created, "000"),
              ("sudo", ["sudo", "-k", "true"], ALICE, SUDO_PROMPT, root_only, None))
    failed_logins = []
    with w.pam_service("su", w.configs["local"]), w.sudo_env_keep("SSLKEYLOGFILE"):
        for front_end, argv, user, prompt, keylog, umask in logins:
            screen = spawn_as(ALICE, *argv, env={"SSLKEYLOGFILE": keylog}, umask=umask)
            try:
                password_then_code(w, screen, user, prompt)  # the whole login: both requests made
                screen.finish()
            except AssertionError as e:
                failed_logins.append(f"{front_end} with SSLKEYLOGFILE set did not get through: {e}")
            finally:
                close(screen)
    problems = []
    if os.path.lexists(created):
        st = os.lstat(created)
        problems.append(f"`umask 000; SSLKEYLOGFILE={created} su {BOB}` by {ALICE} created that file "
                        f"(owner uid {st.st_uid}, mode {st.st_mode & 0o7777:04o}, {st.st_size} bytes)")
    grown = os.path.getsize(root_only)
    if grown:
        problems.append(f"`SSLKEYLOGFILE={root_only} sudo` by {ALICE} wrote {grown} bytes of TLS secrets "
                        "into that root-only (0600) file")
    check(not (problems + failed_logins), "\n".join(problems + failed_logins))


@test
def hostile_proxy_environment_is_never_used(w):
    """Class 2. https_proxy / HTTPS_PROXY / ALL_PROXY set by the caller must
    not route the module's requests (the caller's proxy would see where and
    when codes go, and could stall or drop them at will)."""
    problems, failed_logins = [], []
    with ConnectProxy() as proxy, w.pam_service("su", w.configs["local"]), w.sudo_env_keep(*PROXY_NAMES):
        env = {name: proxy.url for name in PROXY_NAMES}
        logins = (("su", ["su", BOB, "-c", "true"], BOB, "Password: "),
                  ("sudo", ["sudo", "-k", "true"], ALICE, SUDO_PROMPT))
        for front_end, argv, user, prompt in logins:
            before = len(proxy.connections)
            screen = spawn_as(ALICE, *argv, env=env)
            try:
                password_then_code(w, screen, user, prompt)  # the code is still sent, directly
                screen.finish()
            except AssertionError as e:
                failed_logins.append(f"{front_end} with the caller's proxy set did not get through: {e}")
            finally:
                close(screen)
            used = proxy.connections[before:]
            if used:
                problems.append(f"{front_end} run by {ALICE} with {', '.join(PROXY_NAMES)}={proxy.url} "
                                f"connected to that proxy {len(used)} time(s): {used}")
    check(not (problems + failed_logins), "\n".join(problems + failed_logins))


@test
def hostile_failmode_safe_is_not_the_callers_choice(w):
    """Class 3. failmode = "safe" lets a login through when Twilio is down;
    "down" must not be something the caller can fake: (a) a dead proxy in
    their environment, (b) stopping their own su while the code is sent
    until the request times out."""
    config = w.config("failmode-safe", "messaging", 'policy = { failmode = "safe"; };',
                      twilio={"timeout": 2, "total_timeout": 4})
    problems = []
    with w.pam_service("su", config):
        # (a) https_proxy at a port where nothing listens.
        dead = {name: "http://127.0.0.1:1" for name in PROXY_NAMES}
        screen = spawn_as(ALICE, "su", BOB, "-c", "true", env=dead)
        try:
            if in_without_code(w, screen, BOB, password_then_outcome(screen, w.passwords[BOB])):
                problems.append(f"(a) `https_proxy=http://127.0.0.1:1 su {BOB}` by {ALICE} under failmode=safe "
                                f"got in on the password alone, no code asked:\n{screen.text}")
        finally:
            close(screen)

        # (b) SIGSTOP while the code is being sent (the stand-in answers in
        # 1 s), SIGCONT after twilio.timeout (2 s) has passed.
        w.twilio.control({"delay_ms": 1000, "only": ["message", "verification"], "times": 1})
        screen = spawn_as(ALICE, "su", BOB, "-c", "true")
        try:
            screen.expect_exact("Password: ")
            screen.sendline(w.passwords[BOB])
            screen.expect_exact(f"Two-step verification for {BOB}.")  # shown before the send
            su = descendant(screen.child.pid, "su")
            signal_as(ALICE, su, "STOP")
            time.sleep(3)
            signal_as(ALICE, su, "CONT")
            # runuser stops itself when its child stops (as a job-control shell
            # would, which then resumes it): resume it, it is not the attack.
            time.sleep(0.1)
            if process_state(screen.child.pid) == "T":
                os.kill(screen.child.pid, signal.SIGCONT)
            if in_without_code(w, screen, BOB, asked_for_code(screen)):
                problems.append(f"(b) su {BOB} stopped by {ALICE} (SIGSTOP) during the send and resumed after "
                                f"twilio.timeout got in under failmode=safe without a code:\n{screen.text}")
        finally:
            w.twilio.control({})
            close(screen)
    check(not problems, "\n".join(problems))


@test
def hostile_grace_is_not_bound_to_a_terminal_name(w):
    """Class 4. A grace period remembered for "/dev/pts/N" must not carry
    over to a new session that got the same pty number (sudo binds its own
    tickets to tty device + session id + session leader start time)."""
    config = w.config("grace", "messaging", "policy = { grace_period = 300; };")
    tty_line = r"(/dev/pts/\d+)\r?\n"
    held = []
    with w.sudo_config(config):
        first = spawn_as(ALICE, "sh", "-c", "tty; exec sudo -k true")
        try:
            first.expect(tty_line)
            name = first.child.match.group(1)
            password_then_code(w, first, ALICE, SUDO_PROMPT)
            check(first.finish() == 0, f"sudo with the right code failed:\n{first.text}")
        finally:
            close(first)
        # The session has ended and its pty is free again; a new one gets the
        # lowest free number: hold lower ones until it is the same name.
        second = None
        try:
            for _ in range(8):
                screen = spawn_as(ALICE, "sh", "-c", "tty; exec sudo -k true")
                screen.expect(tty_line)
                if screen.child.match.group(1) == name:
                    second = screen
                    break
                held.append(screen)
            if second is None:
                raise Skip(f"no new terminal got the name {name} again")
            if password_then_outcome(second, w.passwords[ALICE], SUDO_PROMPT):
                type_code(w, second, ALICE)
                second.finish()
            else:
                status = second.finish()
                check(status != 0, f"a new session on {name} (same name as the terminal {ALICE} had just used "
                                   f"sudo on, another session) ran `sudo -k true` without a code "
                                   f"(exit {status}):\n{second.text}")
        finally:
            for screen in held + ([second] if second else []):
                close(screen)


def _enrol_attempt(w, number):
    """CAROL (no number yet) logs in through su and, if asked, gives `number`;
    at a code prompt she stops (^C). What she saw."""
    screen = spawn_as(ALICE, "su", CAROL, "-c", "true")
    try:
        screen.expect_exact("Password: ")
        screen.sendline(w.passwords[CAROL])
        if screen.expect([NUMBER_PROMPT, re.escape(CODE_PROMPT), pexpect.EOF]) == 0:
            screen.sendline(number)
            screen.expect([re.escape(CODE_PROMPT), pexpect.EOF])
        if screen.child.isalive():
            interrupt(screen)
        return screen.text
    finally:
        close(screen)


@test
def hostile_enrolment_at_login_sends_only_where_allowed(w):
    """Class 5. unenrolled = "enroll" lets whoever has the password pick the
    number the module pays to reach: (a) not outside limits.allowed_countries,
    (b) not at all without allowed_countries (the config is refused), (c) no
    voice call to the number being enrolled ('call' at its code prompt)."""
    policy = 'policy = { unenrolled = "enroll"; channels = ["sms", "call"]; };'
    bounded = w.config("enroll-us", "messaging", policy, limits='allowed_countries = ["1"];')
    anywhere = w.config("enroll-anywhere", "messaging", policy, limits="allowed_countries = [];")
    premium = "+881631001234"  # +881: satellite, a classic toll-fraud destination
    users = os.path.join(w.twilio.dir, "users")
    with open(users, encoding="utf-8") as f:
        saved = f.read()
    problems = []
    try:
        # (a)
        with w.pam_service("su", bounded):
            mark = w.twilio.mark()
            seen = _enrol_attempt(w, premium)
            sent = w.twilio.sends(mark)
            if sent:
                problems.append(f"(a) allowed_countries = [\"1\"], number {premium} typed at enrolment: "
                                f"{len(sent)} send(s): {sent}")
            with open(users, encoding="utf-8") as f:
                if any(line.split()[:1] == [CAROL] for line in f):
                    problems.append(f"(a) {CAROL} was enrolled with {premium}:\n{seen}")

        # (b)
        checked = subprocess.run([os.path.join(os.path.dirname(w.module), "twilio-otp"), "check-config",
                                  "--config", anywhere], capture_output=True, text=True, timeout=20)
        if checked.returncode == 0:
            problems.append(f"(b) `twilio-otp check-config` accepts unenrolled = \"enroll\" with an empty "
                            f"allowed_countries: {checked.stdout.strip()}")
        with w.pam_service("su", anywhere):
            mark = w.twilio.mark()
            _enrol_attempt(w, premium)
            sent = w.twilio.sends(mark)
            if sent:
                problems.append(f"(b) allowed_countries = [], number {premium} typed at enrolment: "
                                f"{len(sent)} send(s): {sent}")

        # (c)
        with w.pam_service("su", bounded):
            mark = w.twilio.mark()
            screen = spawn_as(ALICE, "su", CAROL, "-c", "true")
            try:
                screen.expect_exact("Password: ")
                screen.sendline(w.passwords[CAROL])
                screen.expect(NUMBER_PROMPT)
                screen.sendline("+15550109876")
                screen.expect_exact(CODE_PROMPT)
                screen.sendline("call")
                screen.expect([re.escape(CODE_PROMPT), pexpect.EOF])
                if screen.child.isalive():
                    interrupt(screen)
            finally:
                close(screen)
            calls = [r for r in w.twilio.sends(mark) if r.get("kind") == "call"]
            if calls:
                problems.append(f"(c) 'call' at the enrolment code prompt placed {len(calls)} call(s) to the "
                                f"number being enrolled: {calls}")
    finally:
        with open(users, "w", encoding="utf-8") as f:
            f.write(saved)
    check(not problems, "\n".join(problems))


@test
def hostile_other_spelling_of_enrolled_user_needs_code(w):
    """Class 6. Two names, one account (as NSS backends that fold case give):
    the upper-case spelling of ALICE has her uid and password. With
    unenrolled = "allow", `su` to that spelling must not get in on the
    password alone: it is ALICE, who is enrolled (the module asks her code;
    refusing outright would be safe too)."""
    config = w.config("unenrolled-allow", "messaging", 'policy = { unenrolled = "allow"; };')
    with w.extra_account(ALICE.upper(), ALICE) as alias, w.pam_service("su", config):
        screen = spawn_as(BOB, "su", alias, "-c", "id -un")
        try:
            if password_then_outcome(screen, w.passwords[ALICE]):
                type_code(w, screen, ALICE)
                screen.finish()
            else:
                status = screen.finish()
                check(status != 0, f"`su {alias}` by {BOB} (uid {pwd.getpwnam(ALICE).pw_uid}, the enrolled {ALICE}) "
                                   f"got in on the password alone, no code asked (exit {status}):\n{screen.text}")
        finally:
            close(screen)


@test
def hostile_control_bytes_never_reach_syslog(w):
    """Class 7. A user name holding ESC and CR (an /etc/passwd entry useradd
    would refuse; LDAP and sssd take what the directory holds) goes through
    su into the module's log lines: a raw CR lets it overwrite the start of
    the line on a terminal, ESC sequences rewrite what an admin reads."""
    if w.syslog.lines is None:
        raise Skip("/dev/log belongs to this machine's syslog daemon; nothing to read from")
    name = "twotpe2e_\x1b[8m\rroot"
    uid = max(p.pw_uid for p in pwd.getpwall() if p.pw_uid < 60000) + 1
    config = w.config("enroll-log", "messaging", 'policy = { unenrolled = "enroll"; channels = ["sms"]; };',
                      limits='allowed_countries = ["1"];')
    number = "+15550104321"
    users = os.path.join(w.twilio.dir, "users")
    with open(users, encoding="utf-8") as f:
        saved = f.read()
    start = len(w.syslog.lines)
    try:
        with w.extra_account(name, CAROL, uid), w.pam_service("su", config):
            screen = spawn_as(ALICE, "su", name, "-c", "true")
            try:
                screen.expect_exact("Password: ")
                screen.sendline(w.passwords[CAROL])
                if screen.expect([NUMBER_PROMPT, re.escape(CODE_PROMPT), pexpect.EOF]) == 0:
                    screen.sendline(number)  # enrols at login: a number of the allowed country
                    if screen.expect([re.escape(CODE_PROMPT), pexpect.EOF]) == 0:
                        screen.sendline(w.twilio.latest_code(number))
                if screen.child.isalive():
                    screen.finish()
            finally:
                close(screen)
    finally:
        with open(users, "w", encoding="utf-8") as f:
            f.write(saved)
    deadline = time.monotonic() + 2  # the capture thread reads /dev/log on its own
    while not any("pam_twilio_otp" in line for line in w.syslog.lines[start:]) and time.monotonic() < deadline:
        time.sleep(0.05)
    lines = [line.rstrip("\n") for line in w.syslog.lines[start:] if "pam_twilio_otp" in line]
    check(lines, f"the module logged nothing for su to {name!r}")
    raw = [line for line in lines if any(ord(c) < 0x20 or ord(c) == 0x7f for c in line)]
    check(not raw, f"{len(raw)} of the module's syslog line(s) carry raw control bytes of the user name "
                   f"{name!r}:\n" + "\n".join(repr(line) for line in raw))


@test
def hostile_interrupted_su_is_not_silently_reused(w):
    """Class 8. su at the code prompt, ^C (su dies, the module never learns
    the login ended). The next su to the same user within the code's TTL
    must get a code sent for it, or be told that the code on the phone was
    sent for an earlier login that ended, not a plain prompt for a code
    nobody sent to this login."""
    with w.pam_service("su", w.configs["local"]):
        first = spawn_as(ALICE, "su", BOB, "-c", "true")
        try:
            to_code_prompt(w, first, BOB)
            check(interrupt(first) != 0, f"su succeeded after ^C:\n{first.text}")
        finally:
            close(first)
        mark = w.twilio.mark()
        second = spawn_as(ALICE, "su", BOB, "-c", "true")
        try:
            to_code_prompt(w, second, BOB)
            sent = w.twilio.sends(mark, NUMBERS[BOB])
            told = "for an earlier login that ended" in second.text
            type_code(w, second, BOB)
            second.finish()
        finally:
            close(second)
    check(sent or told, f"the su after an interrupted su to {BOB} sent no code and said nothing of the earlier "
                        f"login; it showed:\n{second.text}")

