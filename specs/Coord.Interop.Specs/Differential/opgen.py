"""The differential's operation list: a pure function of the seed (never of a server's answers).

An op is a tuple (slot, kind, args...). Consecutive ops of one slot form a burst that is pipelined; the kinds in
SPECIAL end a burst and run alone:
  close (short_next)   drain, close the session, open the slot's next generation (short_next: a short session)
  auth (user)          add_auth mid-session
  cut                  drain, then cut the slot's connection (its proxy holds the reconnect); the slot gets no ops
                       until its restore, 1-4 bursts of other slots later
  restore              let the reconnect through: same session, watches re-registered with SetWatches(2)
  expire (short_next)  only on a short session: drain, cut, wait until the server expired it (its marker
                       ephemeral is deleted), restore (the client is told SESSION_EXPIRED), open the next generation
"""
import random

from kazoo.security import ACL, Id, Permissions, make_digest_acl, OPEN_ACL_UNSAFE, CREATOR_ALL_ACL

USERS = [("u1", "p1"), ("u2", "p2")]
L1 = "abcdefgh"
L2 = "abcdefgh"
L3 = "abc"
SPECIAL = ("close", "auth", "cut", "restore", "expire")
TTL_MS = 3600_000 * 24          # long enough that no TTL node expires during a run
TTL_MAX = (1 << 40) - 1          # ZooKeeper's EphemeralType.TTL maximum


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


def acl_or_open(acl):
    return list(OPEN_ACL_UNSAFE) if acl is None else acl


class Gen:
    def __init__(self, seed, root, nsessions):
        self.r = random.Random(seed)
        self.root = root
        self.n = nsessions
        # The last slot starts as a short session so every run expires at least one (budget permitting).
        self.short = [s == nsessions - 1 for s in range(nsessions)]
        self.expiries_left = 0

    # -- values ----------------------------------------------------------------------------------------
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
            return r.randbytes(r.randint(17, 1024))
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

    def ttl(self):
        k = self.r.random()
        if k < 0.85:
            return TTL_MS + self.r.randint(0, 1000)
        return self.r.choice([0, -1, TTL_MAX, TTL_MAX + 1, -5])

    def ttl_create(self, in_multi=False):
        """(path, flags, ttl): mostly TTL modes (5, 6) with a valid TTL, sometimes a non-TTL mode or a bad TTL.
        Outside a multi a non-TTL mode only comes with a TTL >= 0 (BADARGUMENTS): with a negative one ZooKeeper
        3.8.0 accepts the request and its SyncThread dies applying the txn (EphemeralType.toEphemeralOwner throws),
        which stops the server. Inside a multi the TTL of a non-TTL mode is dropped, so any value goes."""
        r = self.r
        k = r.random()
        if k < 0.45:
            return self.path(False, True), 5, self.ttl()
        if k < 0.85:
            return self.path(True, True), 6, self.ttl()
        ttls = [-1, 0, TTL_MS, -7] if in_multi else [0, TTL_MS, TTL_MAX + 1]
        return self.path(False, True), r.choice([0, 1, 2, 4, 3]), r.choice(ttls)

    # -- ops -------------------------------------------------------------------------------------------
    def txn_op(self):
        r = self.r
        k = r.random()
        if k < 0.30:
            seq = r.random() < 0.3
            flags = (1 if r.random() < 0.15 else 0) | (2 if seq else 0)
            return ("create", self.path(seq, True), self.data() or b"", acl_or_open(self.acl(0.9)), flags)
        if k < 0.34:
            path, flags, ttl = self.ttl_create(in_multi=True)
            return ("create_ttl", path, self.data() or b"", acl_or_open(self.acl(0.9)), flags, ttl)
        if k < 0.38:
            # create / create2 / createContainer: inside a multi ZooKeeper types them by their flags
            opcode = r.choice([19, 19, 1, 15])
            flags = 4 if r.random() < 0.6 else r.choice([0, 1, 2, 5, 7])
            return ("create_raw", opcode, self.path(flags in (2, 6), True), self.data() or b"",
                    acl_or_open(self.acl(0.9)), flags)
        if k < 0.56:
            return ("delete", self.path(), self.version(0.6))
        if k < 0.8:
            return ("set_data", self.path(), self.data() or b"", self.version(0.5))
        return ("check", self.path(), self.version(0.3))

    def op(self, slot):
        r = self.r
        k = r.random()
        if k < 0.24:
            mode = r.random()
            eph = 0.40 <= mode < 0.60 or mode >= 0.90
            seq = 0.60 <= mode
            return ("create", self.path(seq, True), self.data(), self.acl(), eph, seq, r.random() < 0.3)
        if k < 0.26:
            path, flags, ttl = self.ttl_create()
            return ("create_ttl", path, self.data(), acl_or_open(self.acl()), flags, ttl)
        if k < 0.28:
            opcode = r.choice([19, 19, 19, 1, 15])      # createContainer; or create/create2 asking for CONTAINER
            flags = 4 if r.random() < 0.85 else r.choice([0, 1, 5, 7, -1])
            return ("create_raw", opcode, self.path(False, True), self.data(), acl_or_open(self.acl()), flags)
        if k < 0.35:
            return ("delete", self.path(), self.version(0.5))
        if k < 0.45:
            return ("set", self.path(), self.data() or b"", self.version(0.4))
        if k < 0.53:
            return ("get", self.path(), r.random() < 0.6)
        if k < 0.62:
            return ("exists", self.path(), r.random() < 0.6)
        if k < 0.71:
            return ("children", self.path(), r.random() < 0.6, r.random() < 0.5)
        if k < 0.74:
            return ("add_watch", self.path() if r.random() < 0.9 else self.root, r.randrange(2))
        if k < 0.765:
            # removeWatches only: ZooKeeper 3.8.0's checkWatches answers for any session's watch on the path
            # (WatchManager.containsWatcher ignores the watcher), fixed in later releases, which Coord follows.
            return ("remove_watches", self.path(), r.choice([1, 2, 3]))
        if k < 0.79:
            return ("multi_read", [(r.choice(["get", "children"]), self.path(), r.random() < 0.3)
                                   for _ in range(r.randint(1, 5))])
        if k < 0.80:
            return ("ephemerals", r.choice([self.root, self.root + "/" + r.choice(L1), self.root + "/" + r.choice(L1) + "/",
                                            "/", "", self.root + "/" + r.choice(L1) + "/e-"]))
        if k < 0.81:
            return ("all_children", self.path() if r.random() < 0.8 else self.root)
        if k < 0.85:
            return ("set_acls", self.path(), r.choice(ACLS[1:]), self.version(0.5))
        if k < 0.87:
            return ("get_acls", self.path())
        if k < 0.955:
            return ("txn", [self.txn_op() for _ in range(r.randint(1, 5))])
        if k < 0.985:
            return ("sync", self.path())
        if self.short[slot] and self.expiries_left > 0 and k < 0.995:
            self.expiries_left -= 1
            return ("expire", self.next_short())
        if k < 0.991:
            return ("close", self.next_short())
        if k < 0.994:
            return ("cut",)
        return ("auth", r.randrange(len(USERS)))

    def next_short(self):
        return self.expiries_left > 0 and self.r.random() < 0.15

    def ops(self, n):
        self.expiries_left = max(1, n // 4000)
        out = []
        r = self.r
        cut = {}        # slot -> bursts of other slots before its restore
        while len(out) + len(cut) < n:
            slot = r.randrange(self.n)
            if slot in cut:
                cut[slot] -= 1
                if cut[slot] <= 0:
                    del cut[slot]
                    out.append((slot, "restore"))
                continue
            burst = min(n - len(out) - len(cut), 1 + int(r.expovariate(0.5)))
            for _ in range(burst):
                o = self.op(slot)
                if o[0] == "cut" and len(out) + len(cut) + 2 > n:
                    o = ("sync", self.root)         # no room left for its restore
                if o[0] in ("close", "expire"):
                    self.short[slot] = o[1]
                out.append((slot,) + o)
                if o[0] == "cut":
                    cut[slot] = r.randint(1, 4)
                if o[0] in SPECIAL:
                    break
        for slot in sorted(cut):
            out.append((slot, "restore"))
        return out
