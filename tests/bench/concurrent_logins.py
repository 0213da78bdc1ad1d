#!/usr/bin/python3
"""make bench: USERS different users logging in at once through SERVICE.

    concurrent_logins.py --work DIR --service NAME --users 200 --preload LIBS
                         --private-tmp BIN --out JSON

Users c001… (in run_bench.sh's nss_wrapper passwd and users file, numbers
+15550200001…) each start a pamtester at once. The gate, as in run_bench.sh's
crowd: once every login is at its prompt (or has ended), records.jsonl is
read once and each login is typed the code sent to its own number. One
process types for all: 200 pollers would crowd 2 cores.

Each login gets a /tmp of its own (private_tmp.c: a mount namespace, the
work dir bound back in): pam_wrapper 1.1.4 copies the services to
/tmp/pam.X for the life of the process, and its one-character names for X
run out long before 200 logins. Needs root (CAP_SYS_ADMIN), as the rest of
make bench. Prints one line:
how many succeeded, the wall time from the first start to the last exit
(gate included), the codes sent, and the CPU the logins used together.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import time

PROMPT = "Verification code:"
SENDS = ("verification", "message", "call")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--preload", required=True)
    ap.add_argument("--private-tmp", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    records = os.path.join(os.environ["FAKE_TWILIO_DIR"], "records.jsonl")
    since = os.path.getsize(records) if os.path.exists(records) else 0
    scratch = os.path.join(args.work, "many")
    os.makedirs(scratch)
    env = dict(os.environ, BENCH_PRELOAD=args.preload, PAM_WRAPPER="1",
               PAM_WRAPPER_SERVICE_DIR=os.path.join(args.work, "pam.d"))

    work = os.path.realpath(args.work)
    users = ["c%03d" % i for i in range(1, args.users + 1)]
    logins = []  # (user, Popen, output path)
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    for user in users:
        path = os.path.join(scratch, user + ".out")
        with open(path, "wb") as out:
            proc = subprocess.Popen([args.private_tmp, work, "pamtester", args.service, user, "authenticate"],
                                    env=env, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
        logins.append((user, proc, path))
    started = time.monotonic() - start  # forking 200 from here is not instant

    def at_prompt_or_ended(proc, path):
        if proc.poll() is not None:
            return True
        with open(path, encoding="utf-8", errors="replace") as f:
            return PROMPT in f.read()

    waiting = list(logins)
    deadline = time.monotonic() + 300  # only against a hang
    while waiting and time.monotonic() < deadline:
        waiting = [l for l in waiting if not at_prompt_or_ended(l[1], l[2])]
        time.sleep(0.05)
    gate = time.monotonic() - start

    codes = {}  # number -> the last code sent to it
    sent = 0
    with open(records, encoding="utf-8") as f:
        f.seek(since)
        for line in f:
            r = json.loads(line)
            if r.get("kind") in SENDS and isinstance(r.get("status"), int) and r["status"] < 300:
                sent += 1
                if r.get("code"):
                    codes[r["to"]] = r["code"]
    for i, (user, proc, _) in enumerate(logins, 1):
        code = codes.get("+1555020%04d" % i, "")
        try:
            proc.stdin.write((code + "\n").encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass  # it has ended already
    ok, failed = 0, None
    for user, proc, path in logins:
        proc.wait()
        with open(path, encoding="utf-8", errors="replace") as f:
            output = f.read()
        if proc.returncode == 0 and "successfully authenticated" in output:
            ok += 1
        elif failed is None:
            failed = "%s (exit %d): %s" % (user, proc.returncode, output.strip())
    wall = time.monotonic() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)

    print("bench concurrent %s: %d users logging in at once: %d succeeded; all started after %.2f s, at the"
          " prompt after %.2f s, the last done after %.2f s; %d code(s) sent; %.2f s CPU for all the logins"
          " (each with its own /tmp)"
          % (args.service, args.users, ok, started, gate, wall, sent, cpu))
    if failed:
        print("  the first that failed: " + failed)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"service": args.service, "users": args.users, "succeeded": ok, "first_failure": failed,
                   "codes_sent": sent,
                   "all_started_s": round(started, 3), "all_at_prompt_s": round(gate, 3), "wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}, f)
    shutil.rmtree(scratch)
    return 0  # failures are a figure here, printed and in the JSON


if __name__ == "__main__":
    raise SystemExit(main())
