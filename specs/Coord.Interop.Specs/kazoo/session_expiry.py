"""Session expiry: a holder process (this script with --holder) creates an ephemeral and is frozen
with SIGSTOP so it stops pinging. A second client must see the ephemeral deleted within
timeout + 2 ticks; after SIGCONT the holder must observe its session LOST (expired).

Usage: session_expiry.py HOST:PORT [TICK_MS]   (TICK_MS = the server's tick, default 2000)
"""
import os
import signal
import subprocess
import sys
import threading
import time

from kazoo.client import KazooClient, KazooState
from kazoo.protocol.states import EventType

from _common import check, client, eq, run, unique_root

HOLDER_TIMEOUT_S = 4.0


def holder(hosts, path):
    lost = threading.Event()
    c = KazooClient(hosts=hosts, timeout=HOLDER_TIMEOUT_S)

    def listener(state):
        print("STATE %s" % state, flush=True)
        if state == KazooState.LOST:
            lost.set()

    c.add_listener(listener)
    c.start(timeout=15)
    c.create(path, b"held", ephemeral=True)
    session_id, _ = c.client_id
    print("READY %d %d" % (session_id, c._session_timeout), flush=True)
    ok = lost.wait(60)
    print("LOST" if ok else "NOT-LOST", flush=True)
    c.stop()
    c.close()
    sys.exit(0 if ok else 3)


def main():
    hosts = sys.argv[1]
    tick_s = (int(sys.argv[2]) if len(sys.argv) > 2 else 2000) / 1000.0
    b = client()
    proc = None
    try:
        root = unique_root(b, "expiry")
        path = root + "/held"
        proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--holder", hosts, path],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = proc.stdout.readline().strip()
        while line.startswith("STATE"):
            line = proc.stdout.readline().strip()
        check(line.startswith("READY"), "holder did not start: %r" % line)
        _, session_id, timeout_ms = line.split()
        timeout_s = int(timeout_ms) / 1000.0

        deleted = threading.Event()

        def watcher(event):
            if event.type == EventType.DELETED:
                deleted.set()

        st = b.exists(path, watch=watcher)
        check(st is not None, "the holder's ephemeral is visible")
        eq(st.ephemeralOwner, int(session_id), "ephemeralOwner is the holder's session")

        os.kill(proc.pid, signal.SIGSTOP)
        frozen_at = time.monotonic()
        bound_s = timeout_s + 2 * tick_s + 2.0
        check(deleted.wait(bound_s),
              "ephemeral not deleted within timeout %.1fs + 2 ticks (+2s slack) of freezing its owner" % timeout_s)
        elapsed = time.monotonic() - frozen_at
        # the last ping may have gone out up to timeout/3 before the freeze
        check(elapsed >= timeout_s / 2, "ephemeral vanished after %.1fs, before the session could expire" % elapsed)
        eq(b.exists(path), None, "ephemeral gone after expiry")

        os.kill(proc.pid, signal.SIGCONT)
        out, _ = proc.communicate(timeout=45)
        check(proc.returncode == 0 and "LOST" in out.split(),
              "holder should observe LOST after thaw; rc=%s output:\n%s" % (proc.returncode, out))
        b.delete(root, recursive=True)
    finally:
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)
            proc.kill()
            proc.wait()
        b.stop()
        b.close()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--holder":
        holder(sys.argv[2], sys.argv[3])
    else:
        run(main)
