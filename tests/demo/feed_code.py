#!/usr/bin/python3
"""Types a code the way a person would: waits until the local Twilio stand-in
records a code sent to NUMBER after line SINCE of its records, then prints
it on stdout (for a PAM client reading the prompt's answer from stdin).

    feed_code.py STATE_DIR NUMBER SINCE [TIMEOUT_SECONDS]
"""
import json
import os
import sys
import time


def new_code(path, number, since):
    try:
        with open(path, encoding="utf-8") as records:
            lines = records.readlines()
    except FileNotFoundError:
        return None
    for line in lines[since:]:
        if not line.endswith("\n"):
            break  # the stand-in is still writing it
        record = json.loads(line)
        if (record.get("to") == number and record.get("code")
                and record.get("kind") in ("verification", "message", "call")
                and record.get("status", 500) < 300):
            return record["code"]
    return None


def main():
    state_dir, number, since = sys.argv[1], sys.argv[2], int(sys.argv[3])
    deadline = time.monotonic() + (float(sys.argv[4]) if len(sys.argv) > 4 else 30)
    path = os.path.join(state_dir, "records.jsonl")
    while time.monotonic() < deadline:
        code = new_code(path, number, since)
        if code:
            print(code, flush=True)
            return 0
        time.sleep(0.005)
    print("feed_code: no code arrived for " + number, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
