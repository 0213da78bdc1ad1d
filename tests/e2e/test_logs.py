"""What the module logged through syslog in the front-ends: PAM_SERVICE,
PAM_RHOST and PAM_TTY as each program sets them, and never a code or a
full number. Imported last: it reads the lines the other tests left."""
import re

import records
from suite import Skip, check, test
from world import NUMBERS

# service -> what its lines must say (rhost, tty as sshd, sudo, su, login set them)
EXPECTED = {
    "twotp-e2e-sshd": r" rhost=127\.0\.0\.1 tty=ssh ",
    "twotp-e2e-sudo": r" tty=/dev/pts/\d+ ",
    "su-l": r" tty=(/dev/)?pts/\d+ ",
    "login": r" tty=(/dev/)?pts/\d+ ",
}


@test
def module_logs_name_front_end_without_secrets(w):
    if w.syslog.lines is None:
        raise Skip("/dev/log belongs to this machine's syslog daemon; nothing to read from")
    lines = w.syslog.module_lines()
    check(lines, "the module logged nothing")
    for service, pattern in EXPECTED.items():
        mine = [line for line in lines if f" service={service} " in line]
        check(any(re.search(pattern, line) for line in mine),
              f"no {service} line matches {pattern!r}: {mine}")
    codes = {r["code"] for r in records.records(w.twilio.dir) if r.get("code")}
    for line in lines:
        check(not any(number[2:] in line for number in NUMBERS.values()), f"a full number was logged: {line}")
        leaked = [code for code in codes if re.search(rf"\b{code}\b", line)]
        check(not leaked, f"a code was logged: {line}")
