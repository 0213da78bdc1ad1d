#!/usr/bin/env bash
# make demo-ssh: one real ssh login with the code, on loopback, to watch.
# Starts the local Twilio stand-in and a private sshd (its own port, config,
# host key and PAM service; /etc/pam.d/sshd and /etc/ssh are not touched),
# enrolls a demo user with the CLI, logs in with the real ssh client (the
# password and the code typed for you, the code from the SMS the stand-in
# received) and shows the screen, then removes the user, the PAM service and
# the daemons. Needs root. DEMO_MODE=verify shows Twilio Verify instead of
# Programmable Messaging. The steps are tests/e2e/demo.py.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exec bash "$root/tests/e2e/run.sh" demo
