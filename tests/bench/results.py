#!/usr/bin/python3
"""make bench, last step: every figure of the run in one JSON file,
tests/bench/results/bench-<UTC time>-<short commit or "nogit">.json, with
the machine it ran on; prints its path.

    results.py --work DIR --root REPO --runs N [--baseline FILE.so]

Reads run_bench.sh's fragments: DIR/json/*.json (the table, state writes,
crowds, concurrent logins), DIR/users_file.txt (users_file_bench's lines)
and DIR/ldap.txt (ldap_lookup_bench's lines, when it ran).
"""
import argparse
import datetime
import glob
import json
import os
import platform
import re
import subprocess


def command(*argv, cwd=None):
    try:
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def cpu_model():
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


def users_file_lookups(path):
    """users_file_bench's "  LINES lines: first middle last absent  Nx" lines."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\s*(\d+) lines:\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x", line)
            if m:
                lines, first, middle, last, absent, ratio = m.groups()
                out.append({"lines": int(lines), "cpu_ms_median": {
                    "first": float(first), "middle": float(middle), "last": float(last), "absent": float(absent)},
                    "last_x_one_line": float(ratio)})
    return out


def ldap_lookups(path):
    """ldap_lookup_bench's summary lines, as printed, and their figures."""
    if not os.path.exists(path):
        return None
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"ldap lookup, (\d+) entries: median ([\d.]+) ms, p90 ([\d.]+) ms, max ([\d.]+) ms"
                         r" over (\d+) \((.*)\)", line)
            if m:
                out.append({"entries": int(m.group(1)), "median_ms": float(m.group(2)), "p90_ms": float(m.group(3)),
                            "max_ms": float(m.group(4)), "lookups": int(m.group(5)), "how": m.group(6)})
            elif line.startswith("ldap bench:"):
                out.append({"note": line.strip()})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--baseline")
    args = ap.parse_args()

    now = datetime.datetime.now(datetime.timezone.utc)
    commit = command("git", "rev-parse", "--short", "HEAD", cwd=args.root)
    dirty = bool(command("git", "status", "--porcelain", "--untracked-files=no", cwd=args.root)) if commit else None
    result = {
        "date_utc": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_commit": commit,
        "git_dirty": dirty,  # tracked files changed since that commit
        "baseline_module": args.baseline,
        "machine": {
            "nproc": os.cpu_count(),
            "cpu_model": cpu_model(),
            "kernel": platform.release(),
            "openssl": command("openssl", "version"),
            "libcurl": command("curl-config", "--version"),
            "valgrind": command("valgrind", "--version"),
            "python": platform.python_version(),
        },
    }
    fragments = {}
    for path in sorted(glob.glob(os.path.join(args.work, "json", "*.json"))):
        with open(path, encoding="utf-8") as f:
            fragments[os.path.basename(path)[:-5]] = json.load(f)
    result["table"] = fragments.pop("table")
    result["users_file_lookup"] = {"runs": args.runs,
                                   "sizes": users_file_lookups(os.path.join(args.work, "users_file.txt"))}
    result["state_writes"] = {k[len("state_writes_"):]: v for k, v in fragments.items() if k.startswith("state_writes_")}
    result["crowd_one_user"] = {k[len("crowd_one_user_"):]: v for k, v in fragments.items()
                                if k.startswith("crowd_one_user_")}
    result["concurrent_users"] = {k[len("concurrent_"):]: v for k, v in fragments.items() if k.startswith("concurrent_")}
    result["ldap_lookup"] = ldap_lookups(os.path.join(args.work, "ldap.txt"))

    results_dir = os.path.join(args.root, "tests", "bench", "results")
    os.makedirs(results_dir, exist_ok=True)
    path = os.path.join(results_dir, "bench-%s-%s.json" % (now.strftime("%Y%m%dT%H%M%SZ"), commit or "nogit"))
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print("bench results: " + os.path.relpath(path, os.getcwd()))


if __name__ == "__main__":
    main()
