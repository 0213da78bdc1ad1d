#!/usr/bin/python3
"""Reads what fake_twilio.py recorded in STATE_DIR/records.jsonl.

    records.py DIR last-code NUMBER     the latest code sent to NUMBER: a Verify
                                        code, or the digits of the last message
                                        or call (accepted and delivered ones only)
    records.py DIR count KIND [NUMBER] [--ok]
                                        how many requests of KIND (to NUMBER);
                                        --ok counts only those answered 2xx
    records.py DIR last KIND            the latest record of KIND, as JSON
    records.py DIR factor-secret IDENTITY
                                        the base32 secret of the latest TOTP
                                        factor created for IDENTITY
    records.py DIR totp-code YF_SID|SECRET [--offset N] [--at EPOCH]
                                        [--digits N] [--period S] [--alg A]
                                        the TOTP code an authenticator app shows
                                        now (or at EPOCH), N time steps later
                                        (--offset 1: the next code, which a skew
                                        of 1 accepts now). A factor SID takes the
                                        secret and config from DIR's records;
                                        a secret, --digits (6) --period (30)
                                        --alg (sha1)
    records.py DIR rate-limited [UNIQUE_NAME [KEY]]
                                        the Verifications starts refused by a
                                        Service Rate Limit (429), oldest first,
                                        one JSON record a line; only those of
                                        that rate limit (and key value)

KIND is a record kind (verification, verification_check, verification_update,
verification_fetch, message, call, lookup, factor_create, factor_update,
factor_list, factor_delete, challenge, rate_limit_create, rate_limit_list,
rate_limit_fetch, rate_limit_update, rate_limit_delete, bucket_create,
bucket_list, bucket_fetch, bucket_update, bucket_delete, unknown) or "any".
Exit status: 0 with an answer, 1 when there is none (nothing printed), 2 on
bad usage. Importable too: records(), last_code(), count(), last(),
factor_secret(), factor_code(), totp_code(), rate_limited().
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_twilio import SID, totp_code  # noqa: E402  (RFC 6238, the stand-in's own; tests check it against the RFC)

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


def rate_limited(state_dir, unique_name=None, key=None):
    """The records of starts a Service Rate Limit refused, oldest first: each
    has `rate_limited` {rate_limit_sid, unique_name, key, bucket_sid, max,
    interval}, the bucket that was full. Only those of `unique_name` (and
    `key`) when given."""
    out = []
    for record in records(state_dir):
        hit = record.get("rate_limited")
        if (hit and (unique_name is None or hit.get("unique_name") == unique_name)
                and (key is None or hit.get("key") == key)):
            out.append(record)
    return out


def _factor_created(state_dir, match):
    for record in reversed(records(state_dir)):
        if record.get("kind") == "factor_create" and _ok(record) and match(record):
            return record
    return None


def factor_secret(state_dir, identity):
    """The secret of the latest factor created for `identity`, or None."""
    record = _factor_created(state_dir, lambda r: r.get("identity") == identity)
    return record["secret"] if record else None


def factor_code(state_dir, factor_or_secret, offset=0, at=None):
    """The TOTP code now (or at `at`), `offset` steps on, for a factor SID
    (secret and config from the records) or a base32 secret (defaults), or
    None for a factor SID the records do not know."""
    if SID["YF"].match(factor_or_secret):
        record = _factor_created(state_dir, lambda r: r.get("factor_sid") == factor_or_secret)
        if record is None:
            return None
        config = record["config"]
        return totp_code(record["secret"], at=at, digits=config["code_length"], period=config["time_step"],
                         alg=config["alg"], offset=offset)
    return totp_code(factor_or_secret, at=at, offset=offset)


def _totp_code_command(state_dir, rest):
    """records.py DIR totp-code YF_SID|SECRET [options]: the exit status."""
    options = {"--offset": 0, "--at": None, "--digits": 6, "--period": 30, "--alg": "sha1"}
    what, i = None, 0
    while i < len(rest):
        if rest[i] in options and i + 1 < len(rest):
            options[rest[i]] = rest[i + 1]
            i += 2
        elif what is None and not rest[i].startswith("--"):
            what, i = rest[i], i + 1
        else:
            return 2
    if what is None:
        return 2
    try:
        offset, at = int(options["--offset"]), None if options["--at"] is None else float(options["--at"])
        if SID["YF"].match(what):
            code = factor_code(state_dir, what, offset, at)
        else:
            code = totp_code(what, at=at, digits=int(options["--digits"]), period=int(options["--period"]),
                             alg=options["--alg"], offset=offset)
    except ValueError:
        return 2
    if code is None:
        return 1
    print(code)
    return 0


def _json_or_none(record):
    return None if record is None else json.dumps(record, sort_keys=True)


def main(argv):
    args = [a for a in argv if a != "--ok"]
    ok_only = len(args) != len(argv)
    if len(args) < 3 and args[1:2] != ["rate-limited"]:
        sys.stderr.write(__doc__)
        return 2
    state_dir, command, rest = args[0], args[1], args[2:]
    # The one-argument lookups: what each prints, or exit 1 when there is none.
    lookups = {"last-code": lambda a: last_code(state_dir, a),
               "last": lambda a: _json_or_none(last(state_dir, a)),
               "factor-secret": lambda a: factor_secret(state_dir, a)}
    if command in lookups and len(rest) == 1:
        found = lookups[command](rest[0])
        if found is None:
            return 1
        print(found)
        return 0
    if command == "count" and len(rest) in (1, 2):
        print(count(state_dir, rest[0], rest[1] if len(rest) == 2 else None, ok_only))
        return 0
    if command == "rate-limited" and len(args) <= 4:
        found = rate_limited(state_dir, *rest)
        for record in found:
            print(_json_or_none(record))
        return 0 if found else 1
    if command == "totp-code":
        status = _totp_code_command(state_dir, rest)
        if status != 2:
            return status
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
