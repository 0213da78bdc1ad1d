#!/usr/bin/python3
"""End-to-end tests of pam_twilio_otp in the real front-ends (run by run.sh,
which starts the Twilio stand-in first).

    e2e.py test [NAME...]   the suite, or the named tests
    e2e.py bench [RUNS]     wall time of one ssh login with and without the module
    e2e.py demo             one real ssh login with the code, for a person to watch
"""
import os
import sys

from fixtures import Journal, undo_on_exit
from world import ALICE, BOB, CAROL, DAVE, World
import suite
import test_ssh  # noqa: F401  (each registers its tests, in this order)
import test_local  # noqa: F401
import test_hostile  # noqa: F401  (the caller is hostile: su and sudo run setuid)
import test_fleet  # noqa: F401  (the fleet state in a directory, through setuid sudo)
import test_logs  # noqa: F401  (last: reads what the others logged)

SSH_MESSAGE = 'policy = { message = "{code} for {user} on {host} via {service} from {rhost}"; };'
SUDO_MESSAGE = 'policy = { message = "{code} approves sudo {command} for {user} on {host}"; };'


def build_world(w):
    w.add_users([ALICE, BOB, CAROL, DAVE])  # enrolls those with a number: ALICE, BOB
    w.add_key(ALICE)
    w.add_key(DAVE)
    w.add_otp_group([ALICE, BOB, CAROL])  # not DAVE
    w.configs = {"ssh": w.config("ssh", "messaging", SSH_MESSAGE),
                 "key": w.config("key", "verify"),
                 "local": w.config("local", "messaging", SUDO_MESSAGE)}
    w.start_sshd("twotp-e2e-sshd", w.ssh_stack("sshd-password-and-code", w.configs["ssh"]))
    w.start_sshd("twotp-e2e-sshd-key", w.ssh_stack("sshd-key-and-code", w.configs["key"]), key_and_code=True)
    w.install_sudo(w.configs["local"])


def run_tests(w, names):
    tests = [t for t in suite.TESTS if not names or t.__name__ in names]
    if names and len(tests) != len(set(names)):
        sys.exit(f"unknown test in {names}; known: {[t.__name__ for t in suite.TESTS]}")
    try:
        build_world(w)
    except Exception as e:
        print(f"e2e: setting up failed: {e}")
        print("[  FAILED  ] 1 test(s), listed below:\n[  FAILED  ] e2e_setup")
        return False
    return suite.run(tests, w)


def main(argv):
    what = argv[1] if len(argv) > 1 else "test"
    journal = Journal()
    undo_on_exit(journal)
    w = World(journal, os.environ["BUILD"])
    try:
        if what == "test":
            return 0 if run_tests(w, argv[2:]) else 1
        if what == "bench":
            import bench
            return bench.main(w, int(argv[2]) if len(argv) > 2 else 20)
        if what == "demo":
            import demo
            return demo.main(w)
        sys.exit(__doc__)
    finally:
        w.stop()
        journal.undo()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
