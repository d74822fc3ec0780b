"""Jute records for the requests kazoo 2.8 (Debian's python3-kazoo) does not offer, sent through a kazoo client.

kazoo 2.8 has no addWatch, removeWatches/checkWatches, multiRead, getEphemerals, getAllChildrenNumber, createTTL,
createContainer, and it never re-registers watches on reconnect (no SetWatches). The classes here are requests in
kazoo's shape (`type`, `serialize()`, `deserialize(buf, off)`) so they go through `KazooClient._call` on the
session's own connection, pipelined in order with kazoo's requests. Their replies are decoded by `Hooks` in
differential.py (kazoo's reply path knows only its own error codes), which sets the async result to the decoded
value or to `WireError(code)`.

Layouts follow ZooKeeper 3.8's zookeeper.jute; the ZooKeeper Java client is the model for what is sent when.
"""
import struct

from kazoo.protocol.serialization import MultiHeader, multiheader_struct, stat_struct
from kazoo.protocol.states import ZnodeStat

_int = struct.Struct("!i")
_long = struct.Struct("!q")

# ZooDefs.OpCode
CREATE, DELETE, EXISTS, GET_DATA, SET_DATA, GET_CHILDREN, CHECK, MULTI, CREATE2 = 1, 2, 3, 4, 5, 8, 13, 14, 15
CHECK_WATCHES, REMOVE_WATCHES, CREATE_CONTAINER, CREATE_TTL, MULTI_READ = 17, 18, 19, 21, 22
SET_WATCHES, GET_EPHEMERALS, GET_ALL_CHILDREN_NUMBER, SET_WATCHES2, ADD_WATCH = 101, 103, 104, 105, 106
SET_WATCHES_XID = -8

# CreateMode flags
PERSISTENT, EPHEMERAL, PERSISTENT_SEQUENTIAL, CONTAINER, TTL, TTL_SEQUENTIAL = 0, 1, 2, 4, 5, 6


class WireError(Exception):
    """A reply header's error code, kept as the number (kazoo 2.8 has no class for e.g. NOWATCHER, -121)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code

    def __eq__(self, other):
        return isinstance(other, WireError) and other.code == self.code

    def __hash__(self):
        return hash(self.code)


def wstr(s):
    b = s.encode("utf-8")
    return _int.pack(len(b)) + b


def wbuf(b):
    return _int.pack(-1) if b is None else _int.pack(len(b)) + b


def wacl(acl):
    out = bytearray(_int.pack(len(acl)))
    for a in acl:
        out += _int.pack(a.perms) + wstr(a.id.scheme) + wstr(a.id.id)
    return bytes(out)


def wbool(v):
    return b"\x01" if v else b"\x00"


def rint(buf, off):
    return _int.unpack_from(buf, off)[0], off + 4


def rstr(buf, off):
    n, off = rint(buf, off)
    if n < 0:
        return None, off
    return bytes(buf[off:off + n]).decode("utf-8"), off + n


def rbuf(buf, off):
    n, off = rint(buf, off)
    if n < 0:
        return None, off
    return bytes(buf[off:off + n]), off + n


def rstat(buf, off):
    return ZnodeStat._make(stat_struct.unpack_from(buf, off)), off + stat_struct.size


def rstrings(buf, off):
    n, off = rint(buf, off)
    out = []
    for _ in range(max(n, 0)):
        s, off = rstr(buf, off)
        out.append(s)
    return out, off


class Request:
    """Base: one record, its opcode, and how to read an OK reply body. `watch` names what a successful reply
    arms on this connection (None, "data", "child", "persistent", "recursive"); `path` the watched path."""
    type = None
    path = None
    watch = None
    watcher = None     # kazoo's own watcher bookkeeping is not used for these

    def serialize(self):
        raise NotImplementedError

    def deserialize(self, buf, off):
        return True


class CreateTtl(Request):
    type = CREATE_TTL

    def __init__(self, path, data, acl, flags, ttl):
        self.path, self.data, self.acl, self.flags, self.ttl = path, data, acl, flags, ttl

    def serialize(self):
        return wstr(self.path) + wbuf(self.data) + wacl(self.acl) + _int.pack(self.flags) + _long.pack(self.ttl)

    def deserialize(self, buf, off):
        p, off = rstr(buf, off)
        st, off = rstat(buf, off)
        return (p, st)


class CreateRaw(Request):
    """create (1), create2 (15) or createContainer (19) with any flags (CONTAINER = 4, and invalid ones)."""

    def __init__(self, opcode, path, data, acl, flags):
        self.type, self.path, self.data, self.acl, self.flags = opcode, path, data, acl, flags

    def serialize(self):
        return wstr(self.path) + wbuf(self.data) + wacl(self.acl) + _int.pack(self.flags)

    def deserialize(self, buf, off):
        p, off = rstr(buf, off)
        if self.type == CREATE:
            return p
        st, off = rstat(buf, off)
        return (p, st)


class AddWatch(Request):
    """mode 0 = PERSISTENT, 1 = PERSISTENT_RECURSIVE; the reply body is an ErrorResponse (int)."""
    type = ADD_WATCH

    def __init__(self, path, mode):
        self.path, self.mode = path, mode
        self.watch = "recursive" if mode == 1 else "persistent"

    def serialize(self):
        return wstr(self.path) + _int.pack(self.mode)

    def deserialize(self, buf, off):
        return ("added", rint(buf, off)[0] if len(buf) >= off + 4 else None)


class RemoveWatches(Request):
    """type 1 = Children, 2 = Data, 3 = Any (ZooKeeper 3.8's WatcherType); NOWATCHER (-121) when none."""

    def __init__(self, path, wtype, check=False):
        self.type = CHECK_WATCHES if check else REMOVE_WATCHES
        self.path, self.wtype, self.check = path, wtype, check

    def serialize(self):
        return wstr(self.path) + _int.pack(self.wtype)


class GetEphemerals(Request):
    type = GET_EPHEMERALS

    def __init__(self, prefix):
        self.prefix = prefix

    def serialize(self):
        return wstr(self.prefix)

    def deserialize(self, buf, off):
        return ("ephemerals",) + tuple(rstrings(buf, off)[0])


class GetAllChildrenNumber(Request):
    type = GET_ALL_CHILDREN_NUMBER

    def __init__(self, path):
        self.path = path

    def serialize(self):
        return wstr(self.path)

    def deserialize(self, buf, off):
        return ("count", rint(buf, off)[0])


def _read_multi_results(buf, off, on_result):
    out = []
    while True:
        (t, done, err), off = multiheader_struct.unpack_from(buf, off), off + multiheader_struct.size
        if done:
            return out
        if t == -1:
            code, off = rint(buf, off)
            out.append(WireError(code))
            continue
        value, off = on_result(t, buf, off)
        out.append(value)


class MultiRead(Request):
    """ops: ("get", path, watch) / ("children", path, watch). Errors are per op (ErrorResult), never for the whole."""
    type = MULTI_READ

    def __init__(self, ops):
        self.ops = ops

    def serialize(self):
        out = bytearray()
        for kind, path, watch in self.ops:
            op = GET_DATA if kind == "get" else GET_CHILDREN
            out += MultiHeader(op, False, -1).serialize() + wstr(path) + wbool(watch)
        return bytes(out + MultiHeader(-1, True, -1).serialize())

    def deserialize(self, buf, off):
        def one(t, b, o):
            if t == GET_DATA:
                data, o = rbuf(b, o)
                st, o = rstat(b, o)
                return ("data", data, st), o
            if t == GET_CHILDREN:
                kids, o = rstrings(b, o)
                return ("children", kids), o
            raise ValueError("unexpected multiRead result type %d" % t)
        return _read_multi_results(buf, off, one)


class Multi(Request):
    """A write multi whose sub-ops may also be createTTL / createContainer (kazoo's Transaction cannot decode
    their Create2-shaped results). Sub-ops: ("create", path, data, acl, flags), ("create_raw", opcode, path, data,
    acl, flags) for create/create2/createContainer with any flags, ("create_ttl", path, data, acl,
    flags, ttl), ("delete", path, version), ("set_data", path, data,
    version), ("check", path, version)."""
    type = MULTI

    def __init__(self, ops):
        self.ops = ops

    def serialize(self):
        out = bytearray()
        for op in self.ops:
            kind = op[0]
            if kind == "create":
                _, path, data, acl, flags = op
                out += MultiHeader(CREATE, False, -1).serialize() + wstr(path) + wbuf(data) + wacl(acl) + _int.pack(flags)
            elif kind == "create_ttl":
                _, path, data, acl, flags, ttl = op
                out += (MultiHeader(CREATE_TTL, False, -1).serialize() + wstr(path) + wbuf(data) + wacl(acl)
                        + _int.pack(flags) + _long.pack(ttl))
            elif kind == "create_raw":
                _, opcode, path, data, acl, flags = op
                out += MultiHeader(opcode, False, -1).serialize() + wstr(path) + wbuf(data) + wacl(acl) + _int.pack(flags)
            elif kind == "delete":
                out += MultiHeader(DELETE, False, -1).serialize() + wstr(op[1]) + _int.pack(op[2])
            elif kind == "set_data":
                out += MultiHeader(SET_DATA, False, -1).serialize() + wstr(op[1]) + wbuf(op[2]) + _int.pack(op[3])
            elif kind == "check":
                out += MultiHeader(CHECK, False, -1).serialize() + wstr(op[1]) + _int.pack(op[2])
            else:
                raise ValueError(kind)
        return bytes(out + MultiHeader(-1, True, -1).serialize())

    def deserialize(self, buf, off):
        def one(t, b, o):
            if t == CREATE:
                p, o = rstr(b, o)
                return ("created", p), o
            if t in (CREATE2, CREATE_TTL, CREATE_CONTAINER):
                p, o = rstr(b, o)
                st, o = rstat(b, o)
                return ("created2", t, p, st), o
            if t == SET_DATA:
                st, o = rstat(b, o)
                return ("set", st), o
            if t in (DELETE, CHECK):
                return ("ok", t), o
            raise ValueError("unexpected multi result type %d" % t)
        return _read_multi_results(buf, off, one)


class SetWatches:
    """Sent by Hooks right after a reconnect of the same session, as the Java client does (SetWatches, or
    SetWatches2 once persistent watches exist), with xid -8 and the last zxid the client saw."""

    def __init__(self, relative_zxid, data, exist, child, persistent, recursive):
        self.rel, self.data, self.exist, self.child = relative_zxid, data, exist, child
        self.persistent, self.recursive = persistent, recursive
        self.type = SET_WATCHES2 if (persistent or recursive) else SET_WATCHES

    def frame(self):
        def strings(xs):
            return _int.pack(len(xs)) + b"".join(wstr(x) for x in xs)
        body = _long.pack(self.rel) + strings(self.data) + strings(self.exist) + strings(self.child)
        if self.type == SET_WATCHES2:
            body += strings(self.persistent) + strings(self.recursive)
        payload = _int.pack(SET_WATCHES_XID) + _int.pack(self.type) + body
        return _int.pack(len(payload)) + payload
