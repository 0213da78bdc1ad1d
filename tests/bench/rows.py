#!/usr/bin/python3
"""make bench's table: every row a whole process, measured the same way.

    rows.py --work DIR --client BIN --measure BIN --bundle CA_BUNDLE
            --preload LIBS --out JSON [--runs 15] [--baseline]

run_bench.sh sets up what the rows use (the stand-in, exported as
FAKE_TWILIO_*; the PAM services in DIR/pam.d; the nss_wrapper files) and
calls this. Per row:
  instructions  valgrind --tool=callgrind, the whole process, once at 0 ms
                (deterministic to ~1%)
  peak RSS      ru_maxrss from wait4() in measure.c (what /usr/bin/time %M
                reports)
  wall, CPU     measure.c: fork to exit, and user + sys in microseconds (not
                /usr/bin/time's 10 ms ticks); median and p90 of RUNS runs with
                the stand-in answering at once and after 50 ms per request
Runs are interleaved: run 1 of every row at 0 ms then at 50 ms, then run 2,
... so drift (other load, CPU clock) hits every row alike. Every run must
succeed, and each row checks its own kind of success: a fast failure is not
a figure.
"""
import argparse
import base64
import hashlib
import hmac
import json
import math
import os
import statistics
import struct
import subprocess
import sys
import threading
import time

NUMBER = "+15550104567"
MEASURE = None  # BUILD/tests/bench/measure, from --measure
DELAYS = (0, 50)
SENDS = ("verification", "message", "call")


class StandIn:
    """The local Twilio stand-in: its delay, and the codes it records."""

    def __init__(self, state_dir):
        self.dir = state_dir
        self.records = os.path.join(state_dir, "records.jsonl")

    def set_delay(self, ms):
        # What fake_twilio_control writes; the server re-reads it per request.
        tmp = os.path.join(self.dir, "control.json.tmp.rows")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"delay_ms": ms} if ms else {}, f)
        os.replace(tmp, os.path.join(self.dir, "control.json"))

    def offset(self):
        try:
            return os.path.getsize(self.records)
        except FileNotFoundError:
            return 0

    def code_after(self, offset, number):
        """The code sent to `number` in a record past byte `offset`, or None."""
        try:
            with open(self.records, encoding="utf-8") as f:
                f.seek(offset)
                lines = f.readlines()
        except FileNotFoundError:
            return None
        for line in lines:
            if not line.endswith("\n"):
                break  # still being written
            r = json.loads(line)
            if (r.get("to") == number and r.get("code") and r.get("kind") in SENDS
                    and isinstance(r.get("status"), int) and r["status"] < 300):
                return r["code"]
        return None


def totp(secret_b32, now=None):
    """RFC 6238 with Google Authenticator's defaults: SHA-1, 30 s, 6 digits."""
    counter = int((time.time() if now is None else now) // 30)
    digest = hmac.new(base64.b32decode(secret_b32), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1000000)


class Row:
    """argv, how its answer is typed, and what its success looks like."""

    def __init__(self, label, argv, preload, typing, expect):
        self.label, self.argv, self.preload, self.typing, self.expect = label, argv, preload, typing, expect
        self.samples = {d: [] for d in DELAYS}  # delay -> [(wall_ms, cpu_ms, rss_kib)]
        self.instructions = None


def run_once(row, stand_in, work, callgrind=False):
    """One whole process of `row`, under measure.c (or callgrind); returns
    (wall_ms, cpu_ms, rss_kib) from measure.c, or the callgrind output file.
    Raises when the run did not succeed."""
    env = dict(os.environ)
    if callgrind:
        out = os.path.join(work, "callgrind.out")
        # valgrind's own messages to a file: the rows check the process's output.
        argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                "--log-file=" + os.path.join(work, "callgrind.log")] + row.argv
        if row.preload:
            env["LD_PRELOAD"] = row.preload
    else:
        out = os.path.join(work, "measure.out")
        argv = [MEASURE, out] + row.argv
        if row.preload:
            env["BENCH_PRELOAD"] = row.preload
    since = stand_in.offset()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    typist = None
    if row.typing == "code":
        # Typed as soon as the stand-in records the code: records.jsonl is
        # polled every 5 ms, as tests/demo/feed_code.py does, but from this
        # process, so no interpreter starts beside the measured one.
        def type_code():
            deadline = time.monotonic() + 120
            code = None
            while not code and time.monotonic() < deadline and proc.returncode is None:
                code = stand_in.code_after(since, NUMBER)
                if not code:
                    time.sleep(0.005)
            try:
                if code:
                    proc.stdin.write((code + "\n").encode())
                proc.stdin.close()  # no code: end of input, the run fails
            except BrokenPipeError:
                pass
        typist = threading.Thread(target=type_code, daemon=True)
        typist.start()
    else:
        # Nothing to wait for: a TOTP code is known at the start; the others
        # must not be asked anything (end of input).
        if row.typing == "totp":
            proc.stdin.write((totp(row.typing_secret) + "\n").encode())
        proc.stdin.close()
    output = proc.stdout.read().decode(errors="replace")
    proc.wait()
    if typist:
        typist.join()
    if proc.returncode != 0 or not row.expect(output):
        raise RuntimeError("%s: exit %d, output:\n%s" % (row.label, proc.returncode, output))
    if callgrind:
        return out
    with open(out, encoding="ascii") as f:
        wall_us, cpu_us, rss_kib = (int(v) for v in f.read().split())
    return wall_us / 1000, cpu_us / 1000, rss_kib


def callgrind(row, stand_in, work):
    """Total instructions ("Collected") of the whole process under callgrind."""
    out = run_once(row, stand_in, work, callgrind=True)
    with open(out, encoding="utf-8") as f:
        for line in f:
            if line.startswith(("totals:", "summary:")):
                total = int(line.split()[1])
    os.unlink(out)
    return total


def p90(values):
    """Nearest rank: the smallest value at or above 90% of the runs."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def pam_login_ok(output):
    return "successfully authenticated" in output


def exempt_ok(output):
    # The stack lets only PAM_IGNORE through; on top, not a word from the
    # module (no prompt, no error pam_wrapper would print).
    return output.strip() == "pamtester: successfully authenticated"


def build_rows(args):
    # pam_wrapper's switches are harmless to the client (no libpam, no preload).
    os.environ.update(PAM_WRAPPER="1", PAM_WRAPPER_SERVICE_DIR=os.path.join(args.work, "pam.d"))
    pam = args.preload

    def pamtester(service):
        return ["pamtester", service, "bench", "authenticate"]

    def client(ca):
        return [args.client, os.environ["FAKE_TWILIO_URL"], os.environ["FAKE_TWILIO_VERIFY_SID"],
                os.environ["FAKE_TWILIO_ACCOUNT_SID"], os.environ["FAKE_TWILIO_TOKEN_FILE"], ca, NUMBER]

    rows = [
        Row("pamtester + pam_permit", pamtester("bench-permit"), pam, None, pam_login_ok),
        Row("pamtester + pam_google_authenticator", pamtester("bench-ga"), pam, "totp", pam_login_ok),
        Row("minimal libcurl client", client(os.environ["FAKE_TWILIO_CA"]), None, "code",
            lambda out: out.rstrip().endswith("approved")),
        Row("naive client, system CA bundle", client(args.bundle), None, "code",
            lambda out: out.rstrip().endswith("approved")),
        Row("our verify login", pamtester("bench-verify"), pam, "code", pam_login_ok),
        Row("our messaging login", pamtester("bench-messaging"), pam, "code", pam_login_ok),
        Row("our cold start (exempt user)", pamtester("bench-exempt"), pam, None, exempt_ok),
    ]
    if args.baseline:
        rows += [
            Row("verify (baseline)", pamtester("bench-verify-baseline"), pam, "code", pam_login_ok),
            Row("messaging (baseline)", pamtester("bench-messaging-baseline"), pam, "code", pam_login_ok),
            Row("cold start (baseline)", pamtester("bench-exempt-baseline"), pam, None, exempt_ok),
        ]
    with open(os.path.join(args.work, "ga_secret"), encoding="ascii") as f:
        secret = f.read().strip()
    for row in rows:
        row.typing_secret = secret
    return rows


def print_table(rows, runs, reference):
    line = "%-39s %9s %7s %8s | %15s %15s | %15s %15s"
    pair = "%7s %7s" % ("median", "p90")
    print("%-39s %9s %7s %8s | %-31s | %-31s" % ("", "instr.", "×", "peak", "stand-in answers at once",
                                                 "stand-in answers after 50 ms/request"))
    print(line % ("", "callgrind", "minimal", "RSS", "wall ms".center(15), "CPU ms".center(15),
                  "wall ms".center(15), "CPU ms".center(15)))
    print(line % ("row", "", "client", "KiB", pair, pair, pair, pair))
    print("-" * len(line % (("",) * 8)))
    for i, row in enumerate(rows, 1):
        cells = []
        for d in DELAYS:
            for k in (0, 1):  # wall, CPU
                values = [s[k] for s in row.samples[d]]
                cells.append("%7.1f %7.1f" % (statistics.median(values), p90(values)))
        print(line % ("%2d %s" % (i, row.label), "%.1f M" % (row.instructions / 1e6),
                      "%.2f" % (row.instructions / reference),
                      "%d" % statistics.median(s[2] for s in row.samples[0]), *cells))
    print("""
Each row is one whole process, measured the same way: pamtester (real Linux-PAM under pam_wrapper +
nss_wrapper, which copy the PAM services at start: row 1 is that floor) or the minimal libcurl
client (tests/bench/minimal_curl_client.c, the same two Verify requests as our verify login), real
TLS to the local stand-in. Median and p90 of %d runs per row and delay, interleaved (round-robin
over the rows, after one untimed warm-up round). Wall and CPU (user + sys) from wait4 in measure.c,
microseconds; peak RSS = ru_maxrss (what /usr/bin/time %%M reports), median at 0 ms; instructions =
callgrind's total for the whole process, one run at 0 ms, and its ratio to row 3. The code is
typed as soon as the stand-in records it (records.jsonl polled every 5 ms, as feed_code.py does):
wall includes up to 5 ms of typing. The TOTP code is computed at the start and typed at once; its
secret is TOTP_AUTH only (no DISALLOW_REUSE or RATE_LIMIT, so the file is never rewritten).""" % runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--measure", required=True)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--preload", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--baseline", action="store_true")
    args = ap.parse_args()
    if args.runs < 15:
        sys.exit("rows.py: RUNS must be at least 15 (a p90 of fewer says little)")
    global MEASURE
    MEASURE = args.measure
    stand_in = StandIn(os.environ["FAKE_TWILIO_DIR"])
    rows = build_rows(args)

    stand_in.set_delay(0)
    started = time.monotonic()
    for row in rows:
        row.instructions = callgrind(row, stand_in, args.work)
    callgrind_s = time.monotonic() - started
    for row in rows:  # warm-up: page cache, the stand-in's threads
        run_once(row, stand_in, args.work)
    started = time.monotonic()
    for _ in range(args.runs):
        for delay in DELAYS:
            stand_in.set_delay(delay)
            for row in rows:
                row.samples[delay].append(run_once(row, stand_in, args.work))
    timing_s = time.monotonic() - started
    stand_in.set_delay(0)

    reference = rows[2].instructions  # the minimal client
    print_table(rows, args.runs, reference)
    print("(callgrind pass %.0f s, timed runs %.0f s)" % (callgrind_s, timing_s))

    out = []
    for i, row in enumerate(rows, 1):
        entry = {"row": i, "label": row.label, "instructions": row.instructions,
                 "x_minimal_client": round(row.instructions / reference, 3),
                 "rss_kib": {"median": statistics.median(s[2] for s in row.samples[0]),
                             "max": max(s[2] for d in DELAYS for s in row.samples[d])}}
        for d in DELAYS:
            walls = [s[0] for s in row.samples[d]]
            cpus = [s[1] for s in row.samples[d]]
            entry["delay_%dms" % d] = {
                "wall_ms": {"median": round(statistics.median(walls), 2), "p90": round(p90(walls), 2)},
                "cpu_ms": {"median": round(statistics.median(cpus), 2), "p90": round(p90(cpus), 2)},
                "runs": [{"wall_ms": round(w, 2), "cpu_ms": round(c, 2), "rss_kib": r}
                         for w, c, r in row.samples[d]],
            }
        out.append(entry)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"runs": args.runs, "delays_ms": list(DELAYS), "rows": out}, f, indent=1)


if __name__ == "__main__":
    main()
