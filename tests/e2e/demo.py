"""make demo-ssh: one real ssh login with the code, on loopback, for a person
to watch. The administrator's steps (config, enrollment with the CLI, the
PAM stack, sshd_config) are printed, then the ssh screen as the user sees it;
the password and the code are typed automatically (the code from the SMS the
stand-in received)."""
import os
import subprocess
import sys

from steps import password_then_code
from suite import Screen
from world import ALICE, NUMBERS

SERVICE = "twotp-e2e-sshd-demo"
FEED_CODE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demo", "feed_code.py")


def say(text):
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def main(w):
    mode = os.environ.get("DEMO_MODE", "messaging")
    number = NUMBERS[ALICE]
    cli = os.path.join(os.environ["BUILD"], "twilio-otp")

    say(f"A config pointing at the local Twilio stand-in ({mode} mode)")
    conf = w.config("demo", mode)
    subprocess.run([cli, "--config", conf, "check-config", "--online"], check=True)

    say(f"A user with a password, enrolled at {number} (the CLI sends a code and reads it back)")
    w.add_users([ALICE], enroll=False)
    w.add_otp_group([ALICE])  # the sshd drop-in's Match Group
    feeder = subprocess.Popen([FEED_CODE, w.twilio.dir, number, str(w.twilio.mark())], stdout=subprocess.PIPE)
    subprocess.run([cli, "--config", conf, "enroll", ALICE, number], stdin=feeder.stdout, check=True)
    feeder.wait()
    subprocess.run([cli, "--config", conf, "list"], check=True)

    say(f"A private sshd on loopback, PAM service {SERVICE} (/etc/pam.d/sshd is not touched)")
    sshd = w.start_sshd(SERVICE, w.ssh_stack("sshd-password-and-code", conf))
    with open(f"/etc/pam.d/{SERVICE}", encoding="utf-8") as f:
        print("auth lines of /etc/pam.d/" + SERVICE + ":\n  " +
              "\n  ".join(line for line in f.read().splitlines()
                          if line.startswith(("@include common-auth", "auth"))))
    with open(os.path.join(sshd.dir, "sshd_config"), encoding="utf-8") as f:
        print("its sshd_config (no Include; the last lines are conf/sshd_config.d/pam_twilio_otp.conf):\n  " +
              "\n  ".join(f.read().splitlines()[1:]))

    say(f"Logging in: ssh -p {sshd.port} {ALICE}@127.0.0.1 id -un   (what the user sees)")
    mark = w.twilio.mark()
    screen = Screen(sshd.spawn(ALICE, "id", "-un"), echo=sys.stdout)
    code = password_then_code(w, screen, ALICE)
    status = screen.finish()
    print(f"\n(typed the password, then {code} from the message the stand-in received; "
          f"neither echoes) ssh exit status {status}")

    say("What the stand-in received for that login")
    for r in w.twilio.since(mark):
        print(f"  {r['kind']:<20} to={r.get('to') or '-':<14} HTTP {r['status']}  {r.get('body') or ''}")
    say("Login " + ("succeeded" if status == 0 else "FAILED"))
    return status
