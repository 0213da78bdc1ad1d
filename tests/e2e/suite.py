"""A small test runner with cmocka-style lines (tests/run_all.sh counts
"[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)"), and Screen: a pexpect
child whose whole output is kept, so a failure shows what the user saw."""
import io
import signal
import time
import traceback

import pexpect

TESTS = []
TEST_TIME_LIMIT = 60  # seconds; every expect has its own, shorter bound too


class Skip(Exception):
    """Raised by a test that cannot run here; reported, counted as neither."""


def test(fn):
    TESTS.append(fn)
    return fn


class Screen:
    def __init__(self, child, echo=None):
        self.child = child
        self.log = io.StringIO()
        child.logfile_read = self.log if echo is None else _Tee(self.log, echo)

    @property
    def text(self):
        return self.log.getvalue()

    def expect(self, pattern, timeout=-1):
        """Waits for a regular expression (or pexpect.EOF) on the screen."""
        return self._wait(self.child.expect, pattern, timeout)

    def expect_exact(self, text, timeout=-1):
        return self._wait(self.child.expect_exact, text, timeout)

    def _wait(self, how, pattern, timeout):
        try:
            return how(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            what = "timed out" if isinstance(e, pexpect.TIMEOUT) else "the program ended"
            raise AssertionError(f"{what} waiting for {pattern!r}; the screen so far:\n{self.text}") from None

    def sendline(self, text):
        self.child.sendline(text)

    def finish(self, timeout=20):
        """Waits for the program to end; its exit status."""
        self.expect(pexpect.EOF, timeout)
        self.child.close()
        return self.child.exitstatus


class _Tee:
    def __init__(self, *outs):
        self.outs = outs

    def write(self, text):
        for out in self.outs:
            out.write(text)

    def flush(self):
        for out in self.outs:
            out.flush()


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def _on_alarm(_signum, _frame):
    raise TimeoutError(f"test took longer than {TEST_TIME_LIMIT} s")


def run(tests, world):
    print(f"[==========] Running {len(tests)} test(s).", flush=True)
    failed = []
    skipped = 0
    signal.signal(signal.SIGALRM, _on_alarm)
    for fn in tests:
        print(f"[ RUN      ] {fn.__name__}", flush=True)
        start = time.monotonic()
        signal.alarm(TEST_TIME_LIMIT)
        try:
            fn(world)
            ok = True
        except Skip as why:
            print(f"[  SKIPPED ] {fn.__name__}: {why}", flush=True)
            skipped += 1
            continue
        except Exception:  # report and go on with the next test
            ok = False
            print(traceback.format_exc().rstrip(), flush=True)
        finally:
            signal.alarm(0)
        took = f"({time.monotonic() - start:.1f} s)"
        if ok:
            print(f"[       OK ] {fn.__name__} {took}", flush=True)
        else:
            failed.append(fn.__name__)
            print(f"[  FAILED  ] {fn.__name__} {took}", flush=True)
    print(f"[==========] {len(tests)} test(s) run.")
    print(f"[  PASSED  ] {len(tests) - len(failed) - skipped} test(s).")
    if failed:
        print(f"[  FAILED  ] {len(failed)} test(s), listed below:")
        for name in failed:
            print(f"[  FAILED  ] {name}")
    return not failed
