#!/usr/bin/python3
"""Differential test: one seeded operation sequence, run against two ZooKeeper-compatible servers, compared.

Usage:
  /usr/bin/python3 differential.py --seed S --ops N --sessions K A_HOSTPORT B_HOSTPORT
      [--root /d] [--self-test-mutate] [--serial] [--max-report 50] [--json-summary FILE]

The operation list is generated up front from the seed alone (it never depends on a server's answers), so
both servers receive exactly the same operations in exactly the same order. Consecutive operations of one
session slot form a "burst" that is pipelined with kazoo's *_async calls (FIFO per session makes that
deterministic); a burst is awaited completely before the next session's burst starts. Auth and session
close/re-open are never pipelined.

Compared per operation: result value or exception class name, returned paths (sequential names), Stat
fields version/cversion/aversion/dataLength/numChildren and ephemeralOwner mapped to the session slot
("s3g1" = slot 3, generation 1), data, children (sorted), ACLs (in server order).
Compared per session (slot, generation): the ordered list of watch events (type, path[, state]).
Compared at the end: a recursive dump of the test root (data, normalised Stat, ACLs).

Prints `ops=N sessions=K differences=D` then each difference; exit code 1 if D > 0, 2 on harness error.
Needs kazoo (Debian python3-kazoo) => run with /usr/bin/python3.
"""
import argparse
import hashlib
import random
import sys
import threading
import time
import traceback

from kazoo.client import KazooClient
from kazoo.protocol.states import Callback, ZnodeStat
from kazoo.security import ACL, Id, Permissions, make_digest_acl, OPEN_ACL_UNSAFE, CREATOR_ALL_ACL

USERS = [("u1", "p1"), ("u2", "p2")]
L1 = "abcdefgh"
L2 = "abcdefgh"
L3 = "abc"
SPECIAL = ("close", "auth")


def acl_choices():
    d1all = make_digest_acl("u1", "p1", all=True)
    d2all = make_digest_acl("u2", "p2", all=True)
    d1read = make_digest_acl("u1", "p1", read=True)
    world = lambda perms: ACL(perms, Id("world", "anyone"))
    P = Permissions
    return [
        None,                                          # default (OPEN_ACL_UNSAFE)
        list(OPEN_ACL_UNSAFE),
        [d1all],
        [d2all, world(P.READ)],
        [d1all, d2all],
        [d1read, d2all],
        [world(P.READ | P.CREATE | P.ADMIN)],          # nobody may write data or delete children (ADMIN can reset)
        [world(P.READ | P.WRITE | P.ADMIN)],           # nobody may create children
        list(CREATOR_ALL_ACL),                         # InvalidACL for unauthenticated sessions
        [world(P.ALL), world(P.ALL)],                  # duplicates (server dedups)
        [ACL(P.ALL, Id("digest", "nocolon"))],         # InvalidACL
        [ACL(P.ALL, Id("nosuchscheme", "x"))],         # InvalidACL
    ]


ACLS = acl_choices()


# ---------------------------------------------------------------------------------------------------------
# Operation generation (pure function of the seed)
# ---------------------------------------------------------------------------------------------------------
class Gen:
    def __init__(self, seed, root, nsessions):
        self.r = random.Random(seed)
        self.root = root
        self.n = nsessions

    def data(self):
        r = self.r
        k = r.random()
        if k < 0.08:
            return None
        if k < 0.18:
            return b""
        if k < 0.75:
            return bytes(r.getrandbits(8) for _ in range(r.randint(1, 16)))
        if k < 0.97:
            return r.randbytes(r.randint(17, 1024)) if hasattr(r, "randbytes") else bytes(r.getrandbits(8) for _ in range(r.randint(17, 1024)))
        return r.randbytes(r.randint(4096, 20000))

    def path(self, for_seq_prefix=False, for_create=False):
        r = self.r
        a = r.choice(L1)
        k = r.random()
        if for_create and not for_seq_prefix:
            k = [0.1, 0.4, 0.75][r.randrange(3)] if k < 0.9 else k
        if for_seq_prefix:
            if k < 0.4:
                return "%s/%s/s-" % (self.root, a)
            if k < 0.8:
                return "%s/%s/%s/s-" % (self.root, a, r.choice(L2))
            return "%s/%s/e-" % (self.root, a)
        if k < 0.22:
            return "%s/%s" % (self.root, a)
        if k < 0.67:
            return "%s/%s/%s" % (self.root, a, r.choice(L2))
        if k < 0.82:
            return "%s/%s/%s/%s" % (self.root, a, r.choice(L2), r.choice(L3))
        if k < 0.92:
            return "%s/%s/s-%010d" % (self.root, a, r.randint(0, 12))
        if k < 0.97:
            return "%s/%s/%s/s-%010d" % (self.root, a, r.choice(L2), r.randint(0, 6))
        return self.root

    def version(self, p_any):
        return -1 if self.r.random() < p_any else self.r.randint(0, 3)

    def acl(self, p_default=0.8):
        if self.r.random() < p_default:
            return None
        return self.r.choice(ACLS)

    def txn_op(self):
        r = self.r
        k = r.random()
        if k < 0.35:
            seq = r.random() < 0.3
            return ("create", self.path(seq, True), self.data() or b"", self.acl(0.9), r.random() < 0.15, seq)
        if k < 0.55:
            return ("delete", self.path(), self.version(0.6))
        if k < 0.8:
            return ("set_data", self.path(), self.data() or b"", self.version(0.5))
        return ("check", self.path(), self.version(0.3))

    def op(self):
        r = self.r
        k = r.random()
        if k < 0.28:
            mode = r.random()
            eph = 0.40 <= mode < 0.60 or mode >= 0.90
            seq = 0.60 <= mode
            return ("create", self.path(seq, True), self.data(), self.acl(), eph, seq, r.random() < 0.3)
        if k < 0.36:
            return ("delete", self.path(), self.version(0.5))
        if k < 0.47:
            return ("set", self.path(), self.data() or b"", self.version(0.4))
        if k < 0.56:
            return ("get", self.path(), r.random() < 0.6)
        if k < 0.66:
            return ("exists", self.path(), r.random() < 0.6)
        if k < 0.76:
            return ("children", self.path(), r.random() < 0.6, r.random() < 0.5)
        if k < 0.82:
            return ("set_acls", self.path(), r.choice(ACLS[1:]), self.version(0.5))
        if k < 0.86:
            return ("get_acls", self.path())
        if k < 0.955:
            return ("txn", [self.txn_op() for _ in range(r.randint(1, 5))])
        if k < 0.99:
            return ("sync", self.path())
        if k < 0.996:
            return ("close",)
        return ("auth", r.randrange(len(USERS)))

    def ops(self, n):
        out = []
        r = self.r
        while len(out) < n:
            slot = r.randrange(self.n)
            burst = min(n - len(out), 1 + int(r.expovariate(0.5)))
            for _ in range(burst):
                o = self.op()
                out.append((slot,) + o)
                if o[0] in SPECIAL:
                    break
        return out


# ---------------------------------------------------------------------------------------------------------
# Execution against one server
# ---------------------------------------------------------------------------------------------------------
def exc_name(e):
    return ("exc", type(e).__name__)


class Side:
    def __init__(self, name, hostport, nsessions, root, timeout):
        self.name = name
        self.hostport = hostport
        self.n = nsessions
        self.root = root
        self.timeout = timeout
        self.owner = {}        # session id -> label
        self.gen = [0] * nsessions
        self.clients = [None] * nsessions
        self.events = {}       # label -> [(type, path, state)]
        self.labels_in_order = []
        self.results = []
        self.dump = None
        self.error = None
        self.seconds = 0.0

    def label(self, slot):
        return "s%dg%d" % (slot, self.gen[slot])

    def open(self, slot):
        lab = self.label(slot)
        c = KazooClient(hosts=self.hostport, timeout=15.0, connection_retry=None, command_retry=None)
        c.start(timeout=self.timeout)
        self.owner[c.client_id[0]] = lab
        self.events[lab] = []
        self.labels_in_order.append(lab)
        # Fixed per-slot authentication: 0 none, 1 u1, 2 u2, 3 both.
        mode = slot % 4
        if mode in (1, 3):
            c.add_auth("digest", "u1:p1")
        if mode in (2, 3):
            c.add_auth("digest", "u2:p2")
        self.clients[slot] = c
        return c

    def watcher(self, slot):
        evs = self.events[self.label(slot)]

        def cb(ev):
            # kazoo synthesises NONE events for pending watchers when it stops, racing its own callback
            # thread (stop() halts the handler before the close completes), so they are not compared;
            # close() records the pending watchers themselves instead.
            if ev.type != "NONE":
                evs.append((ev.type, ev.path))
        return cb

    def drain(self, slot):
        """Every event the server sent to this session before the reply to a sync has been dispatched."""
        c = self.clients[slot]
        c.sync(self.root if self.root else "/")
        done = threading.Event()
        c.handler.dispatch_callback(Callback("generic", done.set, ()))
        if not done.wait(self.timeout):
            raise RuntimeError("callback queue did not drain")

    def close(self, slot):
        self.drain(slot)
        c = self.clients[slot]
        # Watches the server never fired, as the client sees them: deterministic after drain().
        self.events[self.label(slot)].append(("PENDING",
            tuple(sorted((p, len(w)) for p, w in c._data_watchers.items() if w)),
            tuple(sorted((p, len(w)) for p, w in c._child_watchers.items() if w))))
        c.stop()
        c.close()
        self.clients[slot] = None

    # -- normalisation -------------------------------------------------------------------------------
    def stat(self, s):
        own = s.ephemeralOwner
        lab = "-" if own == 0 else self.owner.get(own, "unknown-session")
        return ("stat", s.version, s.cversion, s.aversion, s.dataLength, s.numChildren, lab)

    def norm(self, v):
        if isinstance(v, ZnodeStat):
            return self.stat(v)
        if isinstance(v, ACL):
            return ("acl", v.perms, v.id.scheme, v.id.id)
        if isinstance(v, BaseException):
            return exc_name(v)
        if isinstance(v, (bytes, bytearray)):
            b = bytes(v)
            return ("data", len(b), b if len(b) <= 64 else hashlib.sha1(b).hexdigest())
        if isinstance(v, (list, tuple)):
            return tuple(self.norm(x) for x in v)
        return v

    # -- issuing -------------------------------------------------------------------------------------
    def issue(self, slot, op):
        c = self.clients[slot]
        kind = op[0]
        if kind == "create":
            _, path, data, acl, eph, seq, incl = op
            return c.create_async(path, data, acl=acl, ephemeral=eph, sequence=seq, include_data=incl)
        if kind == "delete":
            return c.delete_async(op[1], version=op[2])
        if kind == "set":
            return c.set_async(op[1], op[2], version=op[3])
        if kind == "get":
            return c.get_async(op[1], watch=self.watcher(slot) if op[2] else None)
        if kind == "exists":
            return c.exists_async(op[1], watch=self.watcher(slot) if op[2] else None)
        if kind == "children":
            return c.get_children_async(op[1], watch=self.watcher(slot) if op[2] else None, include_data=op[3])
        if kind == "set_acls":
            return c.set_acls_async(op[1], op[2], version=op[3])
        if kind == "get_acls":
            return c.get_acls_async(op[1])
        if kind == "sync":
            return c.sync_async(op[1])
        if kind == "txn":
            t = c.transaction()
            for sub in op[1]:
                if sub[0] == "create":
                    _, path, data, acl, eph, seq = sub
                    t.create(path, data, acl=acl, ephemeral=eph, sequence=seq)
                elif sub[0] == "delete":
                    t.delete(sub[1], version=sub[2])
                elif sub[0] == "set_data":
                    t.set_data(sub[1], sub[2], version=sub[3])
                else:
                    t.check(sub[1], sub[2])
            return t.commit_async()
        raise ValueError(kind)

    def result_of(self, kind, v):
        if kind == "children" and isinstance(v, tuple):      # include_data=True -> (children, stat)
            return (("children",) + tuple(sorted(v[0])), self.norm(v[1]))
        if kind == "children" and isinstance(v, list):
            return ("children",) + tuple(sorted(v))
        return self.norm(v)

    def run(self, ops, mutate_at=None, extra_write_at=None):
        t0 = time.time()
        admin = KazooClient(hosts=self.hostport, timeout=15.0)
        admin.start(timeout=self.timeout)
        admin.add_auth("digest", "u1:p1")
        admin.add_auth("digest", "u2:p2")
        if admin.exists(self.root):
            reset_acls(admin, self.root)
            admin.delete(self.root, recursive=True)
        admin.create(self.root, b"root")
        admin.stop()
        admin.close()
        for s in range(self.n):
            self.open(s)
        results = [None] * len(ops)
        i = 0
        while i < len(ops):
            if extra_write_at is not None and i >= extra_write_at:
                c3 = self.clients[3 % self.n]   # slot 3 holds both digest identities
                c3.set_acls(self.root, OPEN_ACL_UNSAFE)
                c3.set(self.root, b"self-test extra write")
                extra_write_at = None
            slot = ops[i][0]
            kind = ops[i][1]
            if kind == "close":
                self.close(slot)
                self.gen[slot] += 1
                self.open(slot)
                results[i] = ("closed",)
                i += 1
                continue
            if kind == "auth":
                u, p = USERS[ops[i][2]]
                try:
                    results[i] = self.norm(self.clients[slot].add_auth("digest", "%s:%s" % (u, p)))
                except Exception as e:
                    results[i] = exc_name(e)
                i += 1
                continue
            pend = []
            j = i
            while j < len(ops) and ops[j][0] == slot and ops[j][1] not in SPECIAL:
                try:
                    pend.append((j, self.issue(slot, ops[j][1:])))
                except Exception as e:          # client-side validation (TypeError, ValueError, ...)
                    pend.append((j, e))
                j += 1
                if ops[j - 1][1] == "set_acls":
                    # Apache ZooKeeper 3.8 checks the ACL of a pipelined request against the node's ACL as
                    # either the outstanding change record (old ACL) or the tree (new ACL), depending on
                    # whether the setACL was already applied: a race. Never pipeline past a setACL.
                    break
            for (k, a) in pend:
                if isinstance(a, BaseException):
                    results[k] = exc_name(a)
                    continue
                try:
                    results[k] = self.result_of(ops[k][1], a.get(timeout=self.timeout))
                except Exception as e:
                    results[k] = exc_name(e)
            i = j
        if mutate_at is not None:
            results[mutate_at] = ("self-test-mutation", results[mutate_at])
        for s in range(self.n):
            self.close(s)
        self.results = results
        self.dump = dump_tree(self)
        self.seconds = time.time() - t0


def reset_acls(c, path):
    try:
        c.set_acls(path, OPEN_ACL_UNSAFE)
        for ch in c.get_children(path):
            reset_acls(c, path + "/" + ch)
    except Exception:
        pass


def dump_tree(side):
    """Recursive dump of side.root with a client authenticated as every user; pipelined level by level."""
    c = KazooClient(hosts=side.hostport, timeout=15.0)
    c.start(timeout=side.timeout)
    try:
        for u, p in USERS:
            c.add_auth("digest", "%s:%s" % (u, p))
        out = []
        level = [side.root]
        while level:
            reqs = [(p, c.get_async(p), c.get_acls_async(p), c.get_children_async(p)) for p in level]
            nxt = []
            for p, g, a, ch in reqs:
                try:
                    data, st = g.get(timeout=side.timeout)
                    acls, _ = a.get(timeout=side.timeout)
                    kids = sorted(ch.get(timeout=side.timeout))
                    out.append((p, side.norm(data), side.stat(st), side.norm(acls), tuple(kids)))
                    nxt.extend(p + "/" + k for k in kids)
                except Exception as e:
                    out.append((p, exc_name(e)))
            level = nxt
        out.sort()
        return out
    finally:
        c.stop()
        c.close()


# ---------------------------------------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------------------------------------
def short(v, n=300):
    s = repr(v)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def compare(ops, a, b):
    diffs = []
    for i, (ra, rb) in enumerate(zip(a.results, b.results)):
        if ra != rb:
            diffs.append("op %d %s: A=%s B=%s" % (i, short(describe(ops[i]), 200), short(ra), short(rb)))
    labels = sorted(set(a.events) | set(b.events))
    for lab in labels:
        ea, eb = a.events.get(lab), b.events.get(lab)
        if ea is None or eb is None:
            diffs.append("events %s: present only on %s" % (lab, "A" if eb is None else "B"))
            continue
        if ea != eb:
            k = next((x for x in range(min(len(ea), len(eb))) if ea[x] != eb[x]), min(len(ea), len(eb)))
            diffs.append("events %s: first difference at event #%d (A has %d events, B has %d): A=%s B=%s"
                         % (lab, k, len(ea), len(eb), short(ea[k:k + 3]), short(eb[k:k + 3])))
    da = {x[0]: x for x in a.dump}
    db = {x[0]: x for x in b.dump}
    for p in sorted(set(da) | set(db)):
        if da.get(p) != db.get(p):
            diffs.append("tree %s: A=%s B=%s" % (p, short(da.get(p)), short(db.get(p))))
    return diffs


def describe(op):
    def d(x):
        if isinstance(x, (bytes, bytearray)):
            return "<%d bytes>" % len(x)
        if isinstance(x, list):
            return [d(y) for y in x]
        if isinstance(x, tuple):
            return tuple(d(y) for y in x)
        return x
    return d(op)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ops", type=int, default=10000)
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--root", default="/d")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--self-test-mutate", action="store_true",
                    help="perturb one recorded result on side B (the comparison must report it)")
    ap.add_argument("--self-test-extra-write", action="store_true",
                    help="side B performs one extra setData on the root half-way (server state really diverges)")
    ap.add_argument("--serial", action="store_true", help="run A then B instead of both at once")
    ap.add_argument("--max-report", type=int, default=100)
    ap.add_argument("a")
    ap.add_argument("b")
    args = ap.parse_args()

    t0 = time.time()
    ops = Gen(args.seed, args.root, args.sessions).ops(args.ops)
    a = Side("A", args.a, args.sessions, args.root, args.timeout)
    b = Side("B", args.b, args.sessions, args.root, args.timeout)
    mutate_at = len(ops) // 2 if args.self_test_mutate else None
    extra_at = len(ops) // 2 if args.self_test_extra_write else None

    def run(side, m, x=None):
        try:
            side.run(ops, m, x)
        except Exception:
            side.error = traceback.format_exc()

    if args.serial:
        run(a, None)
        run(b, mutate_at, extra_at)
    else:
        ta = threading.Thread(target=run, args=(a, None))
        tb = threading.Thread(target=run, args=(b, mutate_at, extra_at))
        ta.start(); tb.start(); ta.join(); tb.join()
    for s in (a, b):
        if s.error:
            print("HARNESS ERROR on side %s (%s):\n%s" % (s.name, s.hostport, s.error))
            print("ops=%d sessions=%d differences=-1" % (len(ops), args.sessions))
            return 2
    diffs = compare(ops, a, b)
    kinds = {}
    for o in ops:
        kinds[o[1]] = kinds.get(o[1], 0) + 1
    errs = {}
    for r in a.results:
        if isinstance(r, tuple) and r and r[0] == "exc":
            errs[r[1]] = errs.get(r[1], 0) + 1
    nev = sum(len(v) for v in a.events.values())
    print("ops=%d sessions=%d differences=%d" % (len(ops), args.sessions, len(diffs)))
    print("seed=%d A=%s (%.1fs) B=%s (%.1fs) total=%.1fs" % (args.seed, args.a, a.seconds, args.b, b.seconds, time.time() - t0))
    print("op mix: %s" % ", ".join("%s=%d" % kv for kv in sorted(kinds.items())))
    print("errors seen on A: %s" % ", ".join("%s=%d" % kv for kv in sorted(errs.items(), key=lambda kv: -kv[1])))
    print("watch events on A: %d over %d sessions; tree nodes on A: %d" % (nev, len(a.events), len(a.dump)))
    for d in diffs[:args.max_report]:
        print("DIFF " + d)
    if len(diffs) > args.max_report:
        print("... %d more differences" % (len(diffs) - args.max_report))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
