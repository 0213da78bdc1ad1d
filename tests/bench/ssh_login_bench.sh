#!/usr/bin/env bash
# Wall time of one real ssh login (password, or password + code) through a
# private sshd on loopback, median of RUNS (default 20), without the module
# and with it in each mode: tests/e2e/bench.py says how. Needs root, like the
# e2e suite whose fixtures it uses (users, /etc/pam.d, sshd; all undone).
#   RUNS=20 bash tests/bench/ssh_login_bench.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exec bash "$root/tests/e2e/run.sh" bench "${RUNS:-20}"
