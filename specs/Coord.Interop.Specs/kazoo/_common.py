"""Shared helpers for the kazoo interop scripts.

Every script takes the server's connect string as its first argument, exits 0 when every check
passed and prints what failed (with a traceback) otherwise. Each run works under a fresh unique
root path so scripts can share one server and be re-run.
"""
import sys
import threading
import traceback
import uuid

from kazoo.client import KazooClient

WAIT_S = 10.0


def hosts():
    if len(sys.argv) < 2:
        print("usage: %s HOST:PORT" % sys.argv[0])
        sys.exit(2)
    return sys.argv[1]


def client(**kwargs):
    c = KazooClient(hosts=hosts(), **kwargs)
    c.start(timeout=15)
    return c


def unique_root(c, name):
    path = "/kz-%s-%s" % (name, uuid.uuid4().hex[:8])
    c.create(path)
    return path


def check(cond, message):
    if not cond:
        raise AssertionError(message)


def eq(actual, expected, what):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what, expected, actual))


def raises(exc_type, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc_type as e:
        return e
    except Exception as e:  # noqa: BLE001 - report the wrong type
        raise AssertionError("%s: expected %s, got %r" % (getattr(fn, "__name__", fn), exc_type.__name__, e))
    raise AssertionError("%s: expected %s, nothing raised" % (getattr(fn, "__name__", fn), exc_type.__name__))


class Events:
    """Collects watch events; wait() blocks on a condition variable, never sleeps."""

    def __init__(self):
        self.items = []
        self.cv = threading.Condition()

    def __call__(self, event):
        with self.cv:
            self.items.append(event)
            self.cv.notify_all()

    def wait(self, count=1, timeout=WAIT_S):
        with self.cv:
            ok = self.cv.wait_for(lambda: len(self.items) >= count, timeout)
        check(ok, "expected %d event(s) within %.0fs, got %r" % (count, timeout, self.items))
        return list(self.items)


def run(main):
    """Runs main(); prints PASS or the failure and exits with 0 or 1."""
    try:
        main()
    except Exception:  # noqa: BLE001
        print("FAIL %s" % sys.argv[0])
        traceback.print_exc(file=sys.stdout)
        sys.stdout.flush()
        sys.exit(1)
    print("PASS %s" % sys.argv[0])
    sys.stdout.flush()
