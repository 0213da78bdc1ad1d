"""The fleet state (state.backend = "ldap") through the real setuid sudo
started by the unprivileged user: a lockout earned on other hosts holds
here, whatever environment the caller hands sudo to steer libldap with."""
import os
import re

import pexpect

from fleet_directory import MAX_FAILURES, fleet_directory
from steps import no_sends_since
from suite import check, test
from test_hostile import CODE_PROMPT, SUDO_PROMPT, asked_for_code, close, spawn_as
from world import ALICE

# What a caller sets to make libldap read their own settings (LDAPCONF,
# LDAPRC), skip the system's (LDAPNOINIT), trust nothing or their own CA:
# a directory the module can't reach would be an outage, which
# failmode = "safe" lets through.
def hostile_ldap_env(w):
    conf = os.path.join(w.work, "attacker-ldap.conf")
    with open(conf, "w", encoding="ascii") as f:
        f.write("URI ldaps://127.0.0.1:1\nTLS_REQCERT never\nTLS_CACERT /dev/null\nNETWORK_TIMEOUT 0\n")
    os.chmod(conf, 0o644)
    return {"LDAPCONF": conf, "LDAPRC": conf, "LDAPNOINIT": "1", "LDAPTLS_REQCERT": "never",
            "LDAPTLS_CACERT": "/dev/null", "LDAPURI": "ldaps://127.0.0.1:1"}


@test
def fleet_lockout_from_other_hosts_holds_in_sudo(w):
    fleet = fleet_directory(w)
    config = fleet.config(w, "fleet", 'policy = { failmode = "safe"; };')
    fleet.add_failures(ALICE, MAX_FAILURES, host="web7")
    env = hostile_ldap_env(w)
    try:
        with w.sudo_config(config), w.sudo_env_keep(*env):
            mark = w.twilio.mark()
            screen = spawn_as(ALICE, "sudo", "-k", "true", env=env)
            try:
                screen.expect_exact(SUDO_PROMPT)
                screen.sendline(w.passwords[ALICE])
                # sudo asks for the password again after a refusal: the
                # lockout's sentence, before any code prompt, is the outcome.
                outcome = screen.expect([re.escape(CODE_PROMPT), "Too many failed codes", pexpect.EOF])
            finally:
                close(screen)
            check(outcome == 1, f"a user locked out on other hosts was not refused by the lockout:\n{screen.text}")
            no_sends_since(w, mark, "sudo of a locked-out user")

            # The lockout was the reason: lifted, the same sudo asks for a code.
            fleet.clear_failures(ALICE)
            screen = spawn_as(ALICE, "sudo", "-k", "true", env=env)
            try:
                screen.expect_exact(SUDO_PROMPT)
                screen.sendline(w.passwords[ALICE])
                check(asked_for_code(screen), f"no code asked once unlocked:\n{screen.text}")
            finally:
                close(screen)
    finally:
        fleet.clear_failures(ALICE)
