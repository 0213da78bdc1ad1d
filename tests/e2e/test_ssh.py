"""sshd + the real ssh client: password + code, key + code, what must
not send a code (wrong password, BatchMode), and the accounts outside the
drop-in's Match Group, whose key alone still logs them in."""
import subprocess

from steps import no_sends_since, password_then_code, to_code_prompt
from suite import Screen, check, test
from world import ALICE, CAROL, DAVE, MASKED_ALICE, NUMBERS

PROMPT = f"Code sent by SMS to {MASKED_ALICE} ('call' for a voice call, 'resend' for a new code). Verification code: "
BANNER = f"Two-step verification for {ALICE}."


def ssh(w, service, *command, key=False, user=ALICE):
    sshd = w.sshds[service]
    return Screen(sshd.spawn(user, *command, identity=w.keys[user] if key else None))


def password_login(w, *command):
    """Password + code; the screen (command run, session ended) and the
    records the login left with the stand-in."""
    mark = w.twilio.mark()
    screen = ssh(w, "twotp-e2e-sshd", *command)
    password_then_code(w, screen, ALICE)
    check(screen.finish() == 0, f"ssh failed:\n{screen.text}")
    return screen, w.twilio.since(mark)


@test
def ssh_password_and_code_runs_command(w):
    screen, records = password_login(w, "id", "-un")
    check(screen.text.rstrip().endswith(ALICE), f"`id -un` did not print {ALICE}:\n{screen.text}")
    sends = [r for r in records if r["kind"] == "message"]
    check(len(sends) <= 1, f"one login sent {len(sends)} SMS: {records}")


@test
def ssh_screen_shows_masked_number_with_prompt(w):
    screen, _ = password_login(w, "true")
    # sshd holds PAM_TEXT_INFO back and shows it with the next prompt: the
    # banner and the masked number must both be on the code prompt's screen.
    text = screen.text
    check(BANNER + "\r\n" + PROMPT in text, f"banner and prompt not shown together:\n{text}")
    check(NUMBERS[ALICE][2:] not in text, "the full number was shown")


@test
def ssh_sms_names_service_and_remote_host(w):
    # The logins before this one succeeded, so no code is pending to take
    # over: this login sends its own SMS.
    mark = w.twilio.mark()
    password_login(w, "true")
    body = w.twilio.new_code(NUMBERS[ALICE], mark, "message")[1]["body"]
    check(f"for {ALICE} on " in body and body.endswith(" via twotp-e2e-sshd from 127.0.0.1"),
          f"PAM_USER, PAM_SERVICE or PAM_RHOST missing from {body!r}")


@test
def ssh_key_and_code(w):
    mark = w.twilio.mark()
    screen = ssh(w, "twotp-e2e-sshd-key", "id", "-un", key=True)
    screen.expect_exact(PROMPT)
    check("Password" not in screen.text, f"key + code asked for a password:\n{screen.text}")
    code, record = w.twilio.new_code(NUMBERS[ALICE], mark)  # a fresh send, as above
    check(record["kind"] == "verification", f"verify mode expected, got {record}")
    screen.sendline(code)
    check(screen.finish() == 0, f"ssh failed:\n{screen.text}")
    check(screen.text.rstrip().endswith(ALICE), f"`id -un` did not print {ALICE}:\n{screen.text}")


@test
def ssh_wrong_code_refused(w):
    screen = ssh(w, "twotp-e2e-sshd", "true")
    to_code_prompt(w, screen, ALICE)
    code = w.twilio.latest_code(NUMBERS[ALICE])
    wrong = str((int(code) + 1) % 10 ** len(code)).zfill(len(code))
    for attempt in range(3):  # policy.max_attempts
        if attempt:
            screen.expect_exact("Wrong code, try again.")
            screen.expect_exact("Verification code: ")
        screen.sendline(wrong)
    screen.expect_exact("Too many wrong codes; log in again for a new code.")
    screen.expect_exact("Permission denied")
    check(screen.finish() == 255, f"ssh should fail with 255:\n{screen.text}")


def switch_and_login(w, word, kind, description):
    """Types `word` at the code prompt, then the code that `word` brought."""
    screen = ssh(w, "twotp-e2e-sshd", "true")
    to_code_prompt(w, screen, ALICE)
    second = w.twilio.mark()
    screen.sendline(word)
    screen.expect_exact(f"Code sent by {description} to {MASKED_ALICE}")
    screen.expect_exact("Verification code: ")
    code, record = w.twilio.new_code(NUMBERS[ALICE], second, kind)
    screen.sendline(code)
    check(screen.finish() == 0, f"ssh failed after '{word}':\n{screen.text}")
    return record


@test
def ssh_call_switches_to_voice(w):
    record = switch_and_login(w, "call", "call", "voice call")
    check("<Say" in record.get("twiml", ""), f"no spoken code in the call: {record}")


@test
def ssh_resend_sends_new_code(w):
    switch_and_login(w, "resend", "message", "SMS")


@test
def ssh_wrong_password_sends_nothing(w):
    mark = w.twilio.mark()
    screen = ssh(w, "twotp-e2e-sshd", "true")
    screen.expect_exact("Password: ")
    screen.sendline(w.passwords[ALICE] + "-wrong")
    screen.expect_exact("Permission denied")
    check(screen.finish() == 255, f"ssh should fail with 255:\n{screen.text}")
    check("Verification code" not in screen.text, f"asked for a code after a wrong password:\n{screen.text}")
    no_sends_since(w, mark, "a wrong password")


@test
def ssh_unenrolled_user_is_told_and_refused(w):
    mark = w.twilio.mark()
    screen = ssh(w, "twotp-e2e-sshd", "true", user=CAROL)
    screen.expect_exact("Password: ")
    screen.sendline(w.passwords[CAROL])
    # A PAM_ERROR_MSG after the last prompt reaches the client only as the
    # text of sshd's final keyboard-interactive round.
    screen.expect_exact("You have no phone number for two-step verification; ask your administrator.")
    screen.expect_exact("Permission denied")
    check(screen.finish() == 255, f"ssh should fail with 255:\n{screen.text}")
    no_sends_since(w, mark, "an unenrolled user")


def batch_ssh(w, service, user, *command, key):
    """ssh -o BatchMode=yes: no prompt is answered, so only a key can log in."""
    argv = w.sshds[service].ssh_argv(user, *command, identity=w.keys[user] if key else None,
                                     options=["BatchMode=yes"])
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        raise AssertionError("ssh -o BatchMode=yes hung") from None


def batch_mode(w, service, key):
    mark = w.twilio.mark()
    done = batch_ssh(w, service, ALICE, "true", key=key)
    check(done.returncode == 255 and "Permission denied" in done.stderr,
          f"BatchMode login should be refused: exit {done.returncode}, {done.stderr!r}")
    no_sends_since(w, mark, "ssh -o BatchMode=yes")


@test
def ssh_batch_mode_fails_without_send(w):
    batch_mode(w, "twotp-e2e-sshd", key=False)


@test
def ssh_batch_mode_with_key_fails_without_send(w):
    batch_mode(w, "twotp-e2e-sshd-key", key=True)


@test
def ssh_key_alone_still_works_outside_the_match_group(w):
    # The shipped drop-in asks its Match Group only: DAVE, outside it, logs
    # in with his key alone on both sshds, as before the module.
    mark = w.twilio.mark()
    for service in ("twotp-e2e-sshd", "twotp-e2e-sshd-key"):
        done = batch_ssh(w, service, DAVE, "id", "-un", key=True)
        check(done.returncode == 0 and done.stdout.strip() == DAVE,
              f"{DAVE}'s key alone was refused by {service}: exit {done.returncode}, {done.stderr!r}")
    no_sends_since(w, mark, f"{DAVE}'s key logins")
    # ALICE, in the group, is offered keyboard-interactive (password + code) only.
    done = batch_ssh(w, "twotp-e2e-sshd", ALICE, "true", key=True)
    check(done.returncode == 255 and "Permission denied (keyboard-interactive)" in done.stderr,
          f"{ALICE}'s key alone should be refused: exit {done.returncode}, {done.stderr!r}")
    # The key + code stack checks no password: keyboard-interactive alone is
    # offered to no one, DAVE included.
    done = batch_ssh(w, "twotp-e2e-sshd-key", DAVE, "true", key=False)
    check(done.returncode == 255 and "Permission denied (publickey)" in done.stderr,
          f"keyboard-interactive alone offered to {DAVE}: exit {done.returncode}, {done.stderr!r}")
