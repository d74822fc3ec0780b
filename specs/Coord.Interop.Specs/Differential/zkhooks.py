"""Hooks on one kazoo client's connection: what the session saw, in the order it saw it.

Installed per client (instance attributes, nothing global). In kazoo's connection thread, in arrival order:
  - every watch notification the server sent: ("e", type, state, path), whether or not kazoo has a watcher for it
    (persistent watches, events re-fired by SetWatches);
  - every reply to a tagged request: ("r", tag) — tags are the op indexes, so a timeline shows which events came
    before which replies ("event before newer data" is compared, not only the event lists);
  - after a reconnect of the same session: ("setwatches", relative zxid is not recorded, the five lists sent)
    and ("setwatches-reply", err).
It also keeps the watches the client holds, as the Java client's ZKWatchManager does (data / exist / child,
one-time; persistent / recursive), and re-registers them after a reconnect: SetWatches, or SetWatches2 when any
persistent watch exists, xid -8, relative zxid = the last zxid the client saw, sent after auth as the Java client
does. kazoo 2.8 itself never re-registers watches.
Replies to zkwire requests are decoded here (kazoo's reply path knows only its own error codes).
"""
import threading

from kazoo.protocol.serialization import Exists, GetChildren, GetChildren2, GetData, Watch

import zkwire

CREATED, DELETED, CHANGED, CHILD = 1, 2, 3, 4


class Hooks:
    def __init__(self, client, timeline):
        self.client = client
        self.timeline = timeline
        self.next_tag = None
        self.tags = {}                 # id(request object) -> tag, while the request is pending
        self.data, self.exist, self.child = set(), set(), set()
        self.persistent, self.recursive = set(), set()
        self.family = {}               # path -> the one family of watch this session uses there (see issued())
        self.reconnected = threading.Event()
        self.setwatches_sent = 0
        conn = client._connection
        self._orig_call = client._call
        self._orig_event = conn._read_watch_event
        self._orig_response = conn._read_response
        self._orig_connect = conn._connect
        client._call = self._call
        conn._read_watch_event = self._on_event
        conn._read_response = self._on_response
        conn._connect = self._on_connect

    # -- requests ---------------------------------------------------------------------------------------
    def call(self, tag, fn, *args, **kwargs):
        """Runs a kazoo *_async call (or _call with a zkwire request) with the request it queues tagged."""
        self.next_tag = tag
        try:
            return fn(*args, **kwargs)
        finally:
            self.next_tag = None

    def _call(self, request, async_object):
        if self.next_tag is not None:
            self.tags[id(request)] = self.next_tag
        return self._orig_call(request, async_object)

    # -- what the connection thread reads ----------------------------------------------------------------
    def _on_event(self, buffer, offset):
        w, _ = Watch.deserialize(buffer, offset)
        self.timeline.append(("e", w.type, w.state, w.path))
        self._fired(w.type, w.path)
        return self._orig_event(buffer, offset)

    def _fired(self, etype, path):
        if etype in (CREATED, CHANGED):
            self.data.discard(path)
            self.exist.discard(path)
        elif etype == DELETED:
            self.data.discard(path)
            self.exist.discard(path)
            self.child.discard(path)
        elif etype == CHILD:
            self.child.discard(path)

    def _on_response(self, header, buffer, offset):
        client = self.client
        request, async_object, xid = client._pending[0]
        tag = self.tags.pop(id(request), None)
        if tag is not None:
            self.timeline.append(("r", tag))
        if not isinstance(request, zkwire.Request):
            ok = header.err == 0
            if getattr(request, "watcher", None) is not None and header.xid == xid:
                if isinstance(request, (GetChildren, GetChildren2)) and ok:
                    self.child.add(request.path)
                elif isinstance(request, GetData) and ok:
                    self.data.add(request.path)
                elif isinstance(request, Exists) and (ok or header.err == -101):
                    (self.data if ok else self.exist).add(request.path)
            return self._orig_response(header, buffer, offset)

        client._pending.popleft()
        if header.zxid and header.zxid > 0:
            client.last_zxid = header.zxid
        if header.xid != xid:
            exc = RuntimeError("xids do not match, expected %r received %r" % (xid, header.xid))
            async_object.set_exception(exc)
            raise exc
        if header.err:
            async_object.set_exception(zkwire.WireError(header.err))
            return None
        try:
            value = request.deserialize(buffer, offset)
        except Exception as e:      # a reply the record cannot be read from is a finding, not a crash
            async_object.set_exception(e)
            return None
        self._armed(request, value)
        async_object.set(value)
        return None

    def _armed(self, request, value):
        if isinstance(request, zkwire.AddWatch):
            (self.recursive if request.mode == 1 else self.persistent).add(request.path)
        elif isinstance(request, zkwire.RemoveWatches) and not request.check:
            # ZooKeeper 3.9's WatcherType semantics (Children / Data: one-time watches only; Any: every kind), which
            # Coord follows; the differential never sends Children / Data where 3.8.0 would differ (see issued()).
            p, t = request.path, request.wtype
            if t in (1, 3):
                self.child.discard(p)
            if t in (2, 3):
                self.data.discard(p)
                self.exist.discard(p)
            if t == 3:
                self.persistent.discard(p)
                self.recursive.discard(p)

    # ZooKeeper 3.8.0 keeps ONE mode per (watcher, path) in each of its two watch tables: asking for another
    # kind of watch on a path the session already watches replaces the old mode (a one-time watch turns a
    # persistent one into a one-time one, PERSISTENT replaces PERSISTENT_RECURSIVE, ...), and persistent and
    # recursive watches sit in both tables, so removeWatches Children / Data removes half of them. ZooKeeper 3.9
    # (ZOOKEEPER-4466) keeps every kind side by side, and so does Coord. The harness therefore lets a session use
    # one family of watch per path — one-time, persistent or recursive — until a removeWatches Any clears it, and
    # decides at issue time (from what was asked, never from replies in flight), identically on both sides.
    def issued(self, request):
        """Called as a zkwire request is queued; False = do not send it (recorded as NotSent on both sides)."""
        if isinstance(request, zkwire.AddWatch):
            return self._claim(request.path, "recursive" if request.mode == 1 else "persistent")
        if isinstance(request, zkwire.RemoveWatches):
            if request.wtype == 3:
                self.family.pop(request.path, None)
            elif self.family.get(request.path) in ("persistent", "recursive"):
                return False
        return True

    def watch_allowed(self, path):
        """Whether a one-time watch may be asked for on path (else the harness reads without a watch)."""
        return self._claim(path, "once")

    def _claim(self, path, family):
        if self.family.get(path, family) != family:
            return False
        self.family[path] = family
        return True

    def held(self):
        """The watches the client holds (what a reconnect re-registers), sorted."""
        return tuple(tuple(sorted(s)) for s in (self.data, self.exist, self.child, self.persistent, self.recursive))

    # -- reconnect ---------------------------------------------------------------------------------------
    def _on_connect(self, host, hostip, port):
        client = self.client
        conn = client._connection
        was = client._session_id
        result = self._orig_connect(host, hostip, port)
        held = self.held()
        if was and client._session_id == was and any(held):
            sw = zkwire.SetWatches(client.last_zxid, *held)
            self.timeline.append(("setwatches", sw.type) + held)
            self.setwatches_sent += 1
            timeout = client._session_timeout / 1000.0
            conn._write(sw.frame(), timeout)
            while True:
                header, buffer, offset = conn._read_header(timeout)
                if header.xid == -1:
                    self._on_event(buffer, offset)
                elif header.xid == zkwire.SET_WATCHES_XID:
                    if header.zxid and header.zxid > 0:
                        client.last_zxid = header.zxid
                    self.timeline.append(("setwatches-reply", header.err))
                    break
                else:
                    raise RuntimeError("unexpected reply xid %d while waiting for SetWatches" % header.xid)
        self.reconnected.set()
        return result
