#!/usr/bin/python3
"""Reads what fake_twilio.py recorded in STATE_DIR/records.jsonl.

    records.py DIR last-code NUMBER     the latest code sent to NUMBER: a Verify
                                        code, or the digits of the last message
                                        or call (accepted and delivered ones only)
    records.py DIR count KIND [NUMBER] [--ok]
                                        how many requests of KIND (to NUMBER);
                                        --ok counts only those answered 2xx
    records.py DIR last KIND            the latest record of KIND, as JSON

KIND is a record kind (verification, verification_check, verification_update,
verification_fetch, message, call, lookup, unknown) or "any". Exit status: 0 with an
answer, 1 when there is none (nothing printed), 2 on bad usage.
Importable too: records(), last_code(), count(), last().
"""

import json
import os
import sys

SENDS = ("verification", "message", "call")


def records(state_dir):
    """Every record, oldest first (a half-written last line is skipped)."""
    path = os.path.join(state_dir, "records.jsonl")
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def _ok(record):
    return isinstance(record.get("status"), int) and 200 <= record["status"] < 300


def last_code(state_dir, number):
    """The code most recently sent to `number`, or None."""
    for record in reversed(records(state_dir)):
        if (record.get("kind") in SENDS and record.get("to") == number and _ok(record)
                and record.get("code") and record.get("delivered", True)):
            return record["code"]
    return None


def count(state_dir, kind, number=None, ok_only=False):
    return sum(1 for r in records(state_dir)
               if (kind == "any" or r.get("kind") == kind)
               and (number is None or r.get("to") == number)
               and (not ok_only or _ok(r)))


def last(state_dir, kind):
    for record in reversed(records(state_dir)):
        if kind == "any" or record.get("kind") == kind:
            return record
    return None


def main(argv):
    args = [a for a in argv if a != "--ok"]
    ok_only = len(args) != len(argv)
    if len(args) < 3:
        sys.stderr.write(__doc__)
        return 2
    state_dir, command, rest = args[0], args[1], args[2:]
    if command == "last-code" and len(rest) == 1:
        code = last_code(state_dir, rest[0])
        if code is None:
            return 1
        print(code)
        return 0
    if command == "count" and len(rest) in (1, 2):
        print(count(state_dir, rest[0], rest[1] if len(rest) == 2 else None, ok_only))
        return 0
    if command == "last" and len(rest) == 1:
        record = last(state_dir, rest[0])
        if record is None:
            return 1
        print(json.dumps(record, sort_keys=True))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
