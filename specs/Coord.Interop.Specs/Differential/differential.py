#!/usr/bin/python3
"""Differential test: one seeded operation sequence, run against two ZooKeeper-compatible servers, compared.

Usage:
  /usr/bin/python3 differential.py --seed S --ops N --sessions K A_HOSTPORT B_HOSTPORT
      [--root /d] [--serial] [--max-report 100]
      [--self-tests] [--self-test-mutate | --self-test-extra-write | --self-test-zxid-swap | --self-test-event-late]

The operation list (opgen.py) is generated up front from the seed alone, so both servers receive exactly the
same operations in exactly the same order. Consecutive operations of one session slot form a "burst" that is
pipelined (FIFO per session makes that deterministic); a burst is awaited completely before the next one starts.
Every session slot talks to its server through its own cuttable proxy (zkproxy.py), so a session can lose its
connection and reconnect (SetWatches), or be cut until the server expires it.

Compared per operation: result value or error, returned paths, Stat (version, cversion, aversion, dataLength,
numChildren, ephemeralOwner mapped to the session label "s3g1" = slot 3 generation 1 or printed in hex for TTL and
container nodes, and czxid/mzxid/pzxid mapped to their rank among all zxids that side showed), data, children
(sorted), ACLs (server order).
Compared per session (slot, generation): its timeline — watch events (type, state, path) interleaved with the
replies to its requests in arrival order, SetWatches sent on reconnect and the events they re-fired, expiry —
and the watches it still held at the end.
Compared at the end: a recursive dump of the test root (data, normalised Stat, ACLs).

Prints `ops=N sessions=K differences=D` then each difference; exit code 1 if D > 0, 2 on harness error.
Needs kazoo (Debian python3-kazoo) => run with /usr/bin/python3.
"""
import argparse
import copy
import hashlib
import logging
import sys
import threading
import time
import traceback
import types

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState, ZnodeStat
from kazoo.security import ACL, OPEN_ACL_UNSAFE

import zkwire
from opgen import Gen, SPECIAL, USERS
from zkhooks import Hooks
from zkproxy import CuttableProxy

MARK_ROOT = "/dmark"            # ephemeral markers of short sessions (outside the compared root)
LONG_SESSION_S = 15.0
SHORT_SESSION_S = 3.0


class Z:
    """A zxid as one server printed it; replaced by its rank among that side's zxids before comparing."""
    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def __repr__(self):
        return "Z(0x%x)" % self.v


class NotSent(Exception):
    """An op the harness does not send (the same decision on both sides), recorded as such."""


def exc_name(e):
    if isinstance(e, zkwire.WireError):
        return ("err", e.code)
    return ("exc", type(e).__name__)


class Side:
    def __init__(self, name, hostport, nsessions, root, timeout, short):
        self.name = name
        self.hostport = hostport
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)
        self.n = nsessions
        self.root = root
        self.timeout = timeout
        self.owner = {}        # session id -> label
        self.gen = [0] * nsessions
        self.short = list(short)
        self.clients = [None] * nsessions
        self.hooks = [None] * nsessions
        self.lost = [None] * nsessions
        self.proxies = []
        self.timelines = {}    # label -> [entry]
        self.results = []
        self.dump = None
        self.error = None
        self.seconds = 0.0
        self.stats = {"reconnects": 0, "setwatches": 0, "expiries": 0, "expiry_s": 0.0}
        self.observer = None

    def label(self, slot):
        return "s%dg%d" % (slot, self.gen[slot])

    def open(self, slot):
        lab = self.label(slot)
        short = self.short[slot]
        c = KazooClient(hosts=self.proxies[slot].hostport, timeout=SHORT_SESSION_S if short else LONG_SESSION_S,
                        connection_retry=None, command_retry=None)
        timeline = []
        self.timelines[lab] = timeline
        self.hooks[slot] = Hooks(c, timeline)
        lost = threading.Event()
        c.add_listener(lambda state: lost.set() if state == KazooState.LOST else None)
        self.lost[slot] = lost
        c.start(timeout=self.timeout)
        self.owner[c.client_id[0]] = lab
        # Fixed per-slot authentication: 0 none, 1 u1, 2 u2, 3 both.
        mode = slot % 4
        if mode in (1, 3):
            c.add_auth("digest", "u1:p1")
        if mode in (2, 3):
            c.add_auth("digest", "u2:p2")
        if short:
            c.create("%s/%s" % (MARK_ROOT, lab), b"", ephemeral=True)
        self.clients[slot] = c
        return c

    def drain(self, slot):
        """Every event the server sent this session before the reply to a sync is in its timeline (the hooks
        record in the connection thread, before the sync's result is set)."""
        self.hooks[slot].call("drain", self.clients[slot].sync, self.root)

    def finish(self, slot, how):
        """The watches the client still held (the server never fired them), deterministic after drain()."""
        self.timelines[self.label(slot)].append((how, self.hooks[slot].held()))

    def close(self, slot):
        self.drain(slot)
        self.finish(slot, "closed")
        c = self.clients[slot]
        c.stop()
        c.close()
        self.clients[slot] = None

    def cut(self, slot):
        self.drain(slot)
        self.hooks[slot].reconnected.clear()
        self.proxies[slot].cut()
        self.timelines[self.label(slot)].append(("cut",))

    def restore(self, slot):
        self.proxies[slot].restore()
        if not self.hooks[slot].reconnected.wait(self.timeout):
            raise RuntimeError("slot %d did not reconnect within %.0f s" % (slot, self.timeout))
        self.stats["reconnects"] += 1

    def expire(self, slot):
        """Cut a short session until the server expires it (its marker ephemeral is deleted), then let the client
        reconnect and be told SESSION_EXPIRED."""
        lab = self.label(slot)
        self.drain(slot)
        gone = threading.Event()
        if self.observer.exists("%s/%s" % (MARK_ROOT, lab), watch=lambda ev: gone.set()) is None:
            raise RuntimeError("marker of %s missing before its expiry" % lab)
        self.finish(slot, "expiring")
        t0 = time.time()
        self.proxies[slot].cut()
        if not gone.wait(max(self.timeout, 60.0)):
            raise RuntimeError("session %s was not expired within 60 s of losing its connection" % lab)
        self.stats["expiry_s"] += time.time() - t0
        self.stats["expiries"] += 1
        self.proxies[slot].restore()
        told = self.lost[slot].wait(self.timeout)
        self.timelines[lab].append(("expired", told))
        c = self.clients[slot]
        c.stop()
        c.close()
        self.clients[slot] = None

    # -- normalisation -------------------------------------------------------------------------------
    def stat(self, s):
        own = s.ephemeralOwner
        if own == 0:
            lab = "-"
        elif own in self.owner:
            lab = self.owner[own]
        else:
            lab = "0x%x" % (own & 0xFFFFFFFFFFFFFFFF)      # TTL (0xFF...ttl) and container (0x8000...) nodes
        return ("stat", s.version, s.cversion, s.aversion, s.dataLength, s.numChildren, lab,
                Z(s.czxid), Z(s.mzxid), Z(s.pzxid))

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
    def issue(self, slot, tag, op):
        h = self.hooks[slot]
        c = self.clients[slot]
        kind = op[0]
        noop = lambda ev: None
        if kind == "create":
            _, path, data, acl, eph, seq, incl = op
            return h.call(tag, c.create_async, path, data, acl=acl, ephemeral=eph, sequence=seq, include_data=incl)
        if kind == "delete":
            return h.call(tag, c.delete_async, op[1], version=op[2])
        if kind == "set":
            return h.call(tag, c.set_async, op[1], op[2], version=op[3])
        if kind == "get":
            return h.call(tag, c.get_async, op[1], watch=noop if op[2] and h.watch_allowed(op[1]) else None)
        if kind == "exists":
            return h.call(tag, c.exists_async, op[1], watch=noop if op[2] and h.watch_allowed(op[1]) else None)
        if kind == "children":
            return h.call(tag, c.get_children_async, op[1],
                          watch=noop if op[2] and h.watch_allowed(op[1]) else None, include_data=op[3])
        if kind == "set_acls":
            return h.call(tag, c.set_acls_async, op[1], op[2], version=op[3])
        if kind == "get_acls":
            return h.call(tag, c.get_acls_async, op[1])
        if kind == "sync":
            return h.call(tag, c.sync_async, op[1])
        if kind == "txn":
            return self.raw(slot, tag, zkwire.Multi(op[1]))
        if kind == "create_ttl":
            _, path, data, acl, flags, ttl = op
            return self.raw(slot, tag, zkwire.CreateTtl(path, data, acl, flags, ttl))
        if kind == "create_raw":
            _, opcode, path, data, acl, flags = op
            return self.raw(slot, tag, zkwire.CreateRaw(opcode, path, data, acl, flags))
        if kind == "add_watch":
            return self.raw(slot, tag, zkwire.AddWatch(op[1], op[2]))
        if kind == "remove_watches":
            return self.raw(slot, tag, zkwire.RemoveWatches(op[1], op[2]))
        if kind == "multi_read":
            return self.raw(slot, tag, zkwire.MultiRead(op[1]))
        if kind == "ephemerals":
            return self.raw(slot, tag, zkwire.GetEphemerals(op[1]))
        if kind == "all_children":
            return self.raw(slot, tag, zkwire.GetAllChildrenNumber(op[1]))
        raise ValueError(kind)

    def raw(self, slot, tag, request):
        c = self.clients[slot]
        if not self.hooks[slot].issued(request):
            raise NotSent("not sent: ZooKeeper 3.8.0 and 3.9+ differ here")
        async_object = c.handler.async_result()
        self.hooks[slot].call(tag, c._call, request, async_object)
        return async_object

    def result_of(self, kind, v):
        if kind == "children" and isinstance(v, tuple):      # include_data=True -> (children, stat)
            return (("children",) + tuple(sorted(v[0])), self.norm(v[1]))
        if kind == "children" and isinstance(v, list):
            return ("children",) + tuple(sorted(v))
        if kind == "ephemerals":
            # ZooKeeper lists a session's ephemerals in Java HashSet order (DataTree.getEphemerals): not a
            # contract, so compared as a set.
            return ("ephemerals",) + tuple(sorted(v[1:]))
        if kind == "multi_read":
            return tuple(("children",) + tuple(sorted(r[1])) if isinstance(r, tuple) and r[0] == "children"
                         else self.norm(r) for r in v)
        return self.norm(v)

    def run(self, ops, mutate_at=None, extra_write_at=None):
        t0 = time.time()
        admin = KazooClient(hosts=self.hostport, timeout=15.0)
        admin.start(timeout=self.timeout)
        admin.add_auth("digest", "u1:p1")
        admin.add_auth("digest", "u2:p2")
        for root in (self.root, MARK_ROOT):
            if admin.exists(root):
                reset_acls(admin, root)
                admin.delete(root, recursive=True)
        admin.create(self.root, b"root")
        admin.create(MARK_ROOT, b"")
        admin.stop()
        admin.close()
        self.observer = KazooClient(hosts=self.hostport, timeout=LONG_SESSION_S)
        self.observer.start(timeout=self.timeout)
        self.proxies = [CuttableProxy(self.host, self.port) for _ in range(self.n)]
        try:
            self._run(ops, mutate_at, extra_write_at)
        finally:
            for p in self.proxies:
                p.close()
            self.observer.stop()
            self.observer.close()
        self.seconds = time.time() - t0

    def _run(self, ops, mutate_at, extra_write_at):
        for s in range(self.n):
            self.open(s)
        results = [None] * len(ops)
        i = 0
        while i < len(ops):
            if extra_write_at is not None and i >= extra_write_at:
                c3 = self.clients[3 % self.n]   # slot 3 holds both digest identities
                if c3 is not None and not self.proxies[3 % self.n].is_cut:
                    c3.set_acls(self.root, OPEN_ACL_UNSAFE)
                    c3.set(self.root, b"self-test extra write")
                    extra_write_at = None
            slot = ops[i][0]
            kind = ops[i][1]
            if kind in ("close", "expire"):
                if kind == "close":
                    self.close(slot)
                else:
                    self.expire(slot)
                self.gen[slot] += 1
                self.short[slot] = ops[i][2]
                self.open(slot)
                results[i] = (kind + "d",)
                i += 1
                continue
            if kind == "cut":
                self.cut(slot)
                results[i] = ("cut",)
                i += 1
                continue
            if kind == "restore":
                self.restore(slot)
                results[i] = ("restored",)
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
                    pend.append((j, self.issue(slot, j, ops[j][1:])))
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
            if self.proxies[s].is_cut:
                self.restore(s)
            self.close(s)
        self.results = results
        self.stats["setwatches"] = sum(1 for t in self.timelines.values() for e in t if e[0] == "setwatches")
        self.dump = dump_tree(self)


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
        out.sort(key=lambda x: x[0])
        return out
    finally:
        c.stop()
        c.close()


# ---------------------------------------------------------------------------------------------------------
# zxids: each side's mapped to their order
# ---------------------------------------------------------------------------------------------------------
def collect_zxids(v, into):
    if isinstance(v, Z):
        into.add(v.v)
    elif isinstance(v, (list, tuple)):
        for x in v:
            collect_zxids(x, into)


def rank_zxids(v, rank):
    if isinstance(v, Z):
        return ("zx", rank[v.v])
    if isinstance(v, list):
        return [rank_zxids(x, rank) for x in v]
    if isinstance(v, tuple):
        return tuple(rank_zxids(x, rank) for x in v)
    return v


def map_zxids(side, swap=False):
    """Replaces every zxid in side's results and dump with its rank among all zxids the side showed. Two servers
    number their txns differently (ZooKeeper also spends zxids on failed writes and session txns), but the order
    of the txns that stats point at must be the same. swap: the self-test — two adjacent ranks exchanged, as if
    the server had ordered two txns the other way round."""
    seen = set()
    collect_zxids(side.results, seen)
    collect_zxids(side.dump, seen)
    order = sorted(seen)
    rank = {z: k for k, z in enumerate(order)}
    if swap and len(order) >= 2:
        a, b = order[len(order) // 2], order[len(order) // 2 + 1]
        rank[a], rank[b] = rank[b], rank[a]
    side.results = rank_zxids(side.results, rank)
    side.dump = rank_zxids(side.dump, rank)
    return len(order)


def delay_one_event(side):
    """Self-test: in one timeline, an event that arrived before a reply is moved after it (a server that sent
    the notification after newer data). Returns the label changed, or None."""
    for lab in sorted(side.timelines):
        t = side.timelines[lab]
        for k in range(len(t) // 2, len(t) - 1):
            if t[k][0] == "e" and t[k + 1][0] == "r":
                t[k], t[k + 1] = t[k + 1], t[k]
                return lab
    return None


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
    labels = sorted(set(a.timelines) | set(b.timelines))
    for lab in labels:
        ea, eb = a.timelines.get(lab), b.timelines.get(lab)
        if ea is None or eb is None:
            diffs.append("timeline %s: present only on %s" % (lab, "A" if eb is None else "B"))
            continue
        if ea != eb:
            k = next((x for x in range(min(len(ea), len(eb))) if ea[x] != eb[x]), min(len(ea), len(eb)))
            diffs.append("timeline %s: first difference at entry #%d (A has %d entries, B has %d): "
                         "before=%s A=%s B=%s"
                         % (lab, k, len(ea), len(eb), short(ea[max(0, k - 2):k]), short(ea[k:k + 3]), short(eb[k:k + 3])))
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
        if isinstance(x, ACL):
            return "%s:%s:%d" % (x.id.scheme, x.id.id, x.perms)
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
    ap.add_argument("--self-test-zxid-swap", action="store_true",
                    help="side B's zxid order has two adjacent txns exchanged (the zxid comparison must see it)")
    ap.add_argument("--self-test-event-late", action="store_true",
                    help="side B sees one watch event after the reply that followed it (the timelines must differ)")
    ap.add_argument("--self-tests", action="store_true",
                    help="after the real comparison, compare again with side B's record perturbed each way above "
                         "(mutate, zxid-swap, event-late) and print 'NAME: differences=N' for each")
    ap.add_argument("--serial", action="store_true", help="run A then B instead of both at once")
    ap.add_argument("--max-report", type=int, default=100)
    ap.add_argument("a")
    ap.add_argument("b")
    args = ap.parse_args()
    # kazoo warns on every dropped connection; the cuts and expiries here are deliberate.
    logging.basicConfig(level=logging.ERROR)

    t0 = time.time()
    gen = Gen(args.seed, args.root, args.sessions)
    short0 = list(gen.short)
    ops = gen.ops(args.ops)
    a = Side("A", args.a, args.sessions, args.root, args.timeout, short0)
    b = Side("B", args.b, args.sessions, args.root, args.timeout, short0)
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
    offline = {}
    if args.self_tests:
        offline = {name: types.SimpleNamespace(results=copy.deepcopy(b.results), dump=copy.deepcopy(b.dump),
                                               timelines=copy.deepcopy(b.timelines))
                   for name in ("self-test-mutate", "self-test-zxid-swap", "self-test-event-late")}
    zx = map_zxids(a)
    map_zxids(b, swap=args.self_test_zxid_swap)
    if args.self_test_event_late:
        print("self-test-event-late: moved an event in %s" % delay_one_event(b))
    diffs = compare(ops, a, b)
    for name, side in offline.items():
        # The same recorded run, perturbed after the fact: each must show up as differences.
        map_zxids(side, swap=name == "self-test-zxid-swap")
        if name == "self-test-event-late":
            delay_one_event(side)
        if name == "self-test-mutate":
            side.results[len(ops) // 2] = ("self-test-mutation", side.results[len(ops) // 2])
        print("%s: differences=%d" % (name, len(compare(ops, a, side))))
    kinds = {}
    for o in ops:
        kinds[o[1]] = kinds.get(o[1], 0) + 1
    errs = {}
    for r in a.results:
        if isinstance(r, tuple) and r and r[0] in ("exc", "err"):
            key = str(r[1])
            errs[key] = errs.get(key, 0) + 1
    nev = sum(1 for t in a.timelines.values() for e in t if e[0] == "e")
    print("ops=%d sessions=%d differences=%d" % (len(ops), args.sessions, len(diffs)))
    print("seed=%d A=%s (%.1fs) B=%s (%.1fs) total=%.1fs" % (args.seed, args.a, a.seconds, args.b, b.seconds, time.time() - t0))
    print("op mix: %s" % ", ".join("%s=%d" % kv for kv in sorted(kinds.items())))
    print("errors seen on A: %s" % ", ".join("%s=%d" % kv for kv in sorted(errs.items(), key=lambda kv: -kv[1])))
    print("watch events on A: %d over %d sessions; zxids compared by order: %d; tree nodes on A: %d"
          % (nev, len(a.timelines), zx, len(a.dump)))
    for s in (a, b):
        print("side %s: reconnects=%d setwatches=%d expiries=%d (%.1f s waiting for expiry)"
              % (s.name, s.stats["reconnects"], s.stats["setwatches"], s.stats["expiries"], s.stats["expiry_s"]))
    for d in diffs[:args.max_report]:
        print("DIFF " + d)
    if len(diffs) > args.max_report:
        print("... %d more differences" % (len(diffs) - args.max_report))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
