#!/usr/bin/python3
"""Failover writers for coord-bench --failover: W kazoo clients write sequential creates through a leader kill.

Each writer is one KazooClient (one session) given every member's address, creating ROOT/wI/NNNNNNNNNN one after
another (one write in flight per writer) and recording the CLOCK_MONOTONIC time of every acknowledged create.
coord-bench kills the leader when told the writers are steady, and says when it did; this script reports the
longest stretch in which no writer got an acknowledgement (the pause) and then checks, through a surviving member
after a sync, that every acknowledged create is there.

Lines on stdout (coord-bench reads them):
  connected                  every writer has a session and its folder
  steady                     every writer has written for WARMUP seconds: kill the leader now
  result {json}              the figures (see report()), after the verification
  error MESSAGE              something went wrong; exit code 1
Lines on stdin (from coord-bench):
  killed HOST:PORT NS        the member at HOST:PORT was killed at CLOCK_MONOTONIC NS nanoseconds

usage: writers.py --hosts H:P,H:P,H:P --root /failover-x --writers 8 --warmup-seconds 2 --after-seconds 2
                  [--resume-timeout-seconds 60] [--session-timeout-seconds 10]
"""

import argparse
import json
import logging
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import (ConnectionLoss, KazooException, NodeExistsError, OperationTimeoutError,
                              SessionExpiredError, SessionMovedError)

# An outcome that leaves a create in doubt: it may or may not have been applied.
IN_DOUBT = (ConnectionLoss, OperationTimeoutError, SessionMovedError)


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Writer(threading.Thread):
    """One session, one create in flight; acks holds (monotonic ns, sequence number) of every success."""

    def __init__(self, index, hosts, root, session_timeout, stop):
        super().__init__(name="writer-%d" % index, daemon=True)
        self.index = index
        self.folder = "%s/w%d" % (root, index)
        self.stop = stop
        self.acks = []
        self.in_doubt = []
        self.errors = {}
        self.failure = None
        self.expired = 0
        self.client = KazooClient(hosts=hosts, timeout=session_timeout)
        self.client.add_listener(self._on_state)

    def _on_state(self, state):
        # kazoo reports LOST for an expired session, and also when stop() closes it: count only the former.
        if state == "LOST" and not self.stop.is_set():
            self.expired += 1

    def connect(self):
        self.client.start(timeout=30)
        self.client.ensure_path(self.folder)

    def run(self):
        seq = 0
        try:
            while not self.stop.is_set():
                path = "%s/%010d" % (self.folder, seq)
                try:
                    self.client.create(path, b"x")
                    self.acks.append((time.monotonic_ns(), seq))
                except IN_DOUBT as e:
                    # Sent, answer lost: the create may have been applied. Go on with the next number; the
                    # next call waits in kazoo's queue until the session is connected again.
                    self.in_doubt.append(seq)
                    self._count(e)
                except (SessionExpiredError, NodeExistsError) as e:
                    self._count(e)
                seq += 1
        except KazooException as e:
            self.failure = "%s: %r" % (self.name, e)

    def _count(self, e):
        name = type(e).__name__
        self.errors[name] = self.errors.get(name, 0) + 1


def longest_gap(times):
    """(gap ns, start ns) of the longest stretch between consecutive times (sorted)."""
    best, start = 0, None
    for a, b in zip(times, times[1:]):
        if b - a > best:
            best, start = b - a, a
    return best, start


def verify(hosts, root, writers, session_timeout):
    """Every acknowledged create present after a sync through a surviving member; nothing beyond acked + in doubt."""
    client = KazooClient(hosts=hosts, timeout=session_timeout)
    client.start(timeout=30)
    try:
        client.sync(root)
        lost, unexpected, in_doubt_present = 0, 0, 0
        examples = []
        for w in writers:
            client.sync(w.folder)
            present = set(int(name) for name in client.get_children(w.folder))
            acked = set(seq for _, seq in w.acks)
            doubt = set(w.in_doubt)
            missing = acked - present
            lost += len(missing)
            if missing:
                examples.append("%s lost %s" % (w.folder, sorted(missing)[:5]))
            extra = present - acked - doubt
            unexpected += len(extra)
            if extra:
                examples.append("%s holds never-sent %s" % (w.folder, sorted(extra)[:5]))
            in_doubt_present += len(present & doubt)
        return lost, unexpected, in_doubt_present, examples
    finally:
        client.stop()
        client.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hosts", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--writers", type=int, default=8)
    p.add_argument("--warmup-seconds", type=float, default=2.0)
    p.add_argument("--after-seconds", type=float, default=2.0)
    p.add_argument("--resume-timeout-seconds", type=float, default=60.0)
    p.add_argument("--session-timeout-seconds", type=float, default=10.0)
    a = p.parse_args()
    # kazoo's own warnings (connection dropped, session moved, ...) on stderr with the writer thread and the
    # CLOCK_MONOTONIC time in ms, so a slow resume can be read against the kill time.
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(monotonic_ms)s %(threadName)s %(levelname)s %(message)s")
    old_factory = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = old_factory(*args, **kwargs)
        record.monotonic_ms = "%.1f" % (time.monotonic_ns() / 1e6)
        return record
    logging.setLogRecordFactory(factory)

    stop = threading.Event()
    writers = [Writer(i, a.hosts, a.root, a.session_timeout_seconds, stop) for i in range(a.writers)]
    try:
        for w in writers:
            w.connect()
    except Exception as e:  # noqa: BLE001 - any failure to start is reported, not raised
        say("error connecting the writers: %r" % (e,))
        return 1
    say("connected")
    for w in writers:
        w.start()

    started = time.monotonic_ns()
    time.sleep(a.warmup_seconds)
    say("steady")

    line = sys.stdin.readline().split()
    if len(line) != 3 or line[0] != "killed":
        stop.set()
        say("error expected 'killed HOST:PORT NS' on stdin, got %r" % (line,))
        return 1
    killed, kill_ns = line[1], int(line[2])

    # Wait for every writer to be acknowledged after the kill, then AFTER seconds more.
    deadline = kill_ns + int(a.resume_timeout_seconds * 1e9)
    while True:
        resumed = [w for w in writers if w.acks and w.acks[-1][0] > kill_ns]
        failed = [w.failure for w in writers if w.failure]
        if failed:
            stop.set()
            say("error %s" % "; ".join(failed))
            return 1
        if len(resumed) == len(writers):
            break
        if time.monotonic_ns() > deadline:
            stop.set()
            say("error %d of %d writers had no acknowledged write within %.0f s of the kill"
                % (len(writers) - len(resumed), len(writers), a.resume_timeout_seconds))
            return 1
        time.sleep(0.01)
    all_resumed_ns = max(next(t for t, _ in w.acks if t > kill_ns) for w in writers)
    time.sleep(a.after_seconds)
    stop.set()
    for w in writers:
        w.join(timeout=30)

    # The pause: the longest stretch, from the first write to the end, in which no writer was acknowledged.
    merged = sorted(t for w in writers for t, _ in w.acks)
    pause_ns, pause_start = longest_gap(merged)
    worst_writer_ns = max(longest_gap([t for t, _ in w.acks])[0] for w in writers)
    before = [t for t in merged if t <= kill_ns]
    after = [t for t in merged if t > kill_ns]
    # Write rate before the kill, to tell a pause from the ordinary spacing of acknowledgements.
    rate_before = len(before) / ((kill_ns - started) / 1e9) if kill_ns > started else 0.0

    survivors = ",".join(h for h in a.hosts.split(",") if h != killed)
    try:
        lost, unexpected, in_doubt_present, examples = verify(survivors, a.root, writers, a.session_timeout_seconds)
    except Exception as e:  # noqa: BLE001
        say("error verifying through %s: %r" % (survivors, e))
        return 1
    for w in writers:
        w.client.stop()
        w.client.close()

    errors = {}
    for w in writers:
        for k, v in w.errors.items():
            errors[k] = errors.get(k, 0) + v
    result = {
        "pause_ms": round(pause_ns / 1e6, 1),
        "pause_starts_after_kill_ms": round((pause_start - kill_ns) / 1e6, 1) if pause_start is not None else None,
        "all_resumed_ms": round((all_resumed_ns - kill_ns) / 1e6, 1),
        "worst_writer_gap_ms": round(worst_writer_ns / 1e6, 1),
        "first_ack_after_kill_ms": round((after[0] - kill_ns) / 1e6, 1) if after else None,
        "writes_per_s_before": round(rate_before, 1),
        "acknowledged": sum(len(w.acks) for w in writers),
        "in_doubt": sum(len(w.in_doubt) for w in writers),
        "in_doubt_present": in_doubt_present,
        "lost": lost,
        "unexpected": unexpected,
        "sessions_expired": sum(w.expired for w in writers),
        "errors": errors,
        "examples": examples,
        "resumed_ms_by_writer": [round((next(t for t, _ in w.acks if t > kill_ns) - kill_ns) / 1e6, 1) for w in writers],
        "kill_monotonic_ms": round(kill_ns / 1e6, 1),
        "killed": killed,
        "verified_through": survivors,
    }
    say("result " + json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
