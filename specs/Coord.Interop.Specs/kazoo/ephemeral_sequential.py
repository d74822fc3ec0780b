"""Ephemeral and sequential nodes: %010d suffixes, ephemeralOwner, NoChildrenForEphemerals, and an
ephemeral that vanishes when its session closes, as seen (by watch) from a second client."""
import re
import threading

from kazoo.exceptions import NoChildrenForEphemeralsError
from kazoo.protocol.states import EventType

from _common import WAIT_S, Events, check, client, eq, raises, run, unique_root


def main():
    a = client()
    b = client()
    try:
        root = unique_root(b, "eph")

        p0 = a.create(root + "/seq-", b"0", sequence=True)
        p1 = a.create(root + "/seq-", b"1", sequence=True)
        eq(p0, root + "/seq-0000000000", "first sequential name")
        eq(p1, root + "/seq-0000000001", "second sequential name")
        a.create(root + "/plain")  # a plain create also advances the parent's counter
        p3 = a.create(root + "/", sequence=True)
        eq(p3, root + "/0000000003", "sequential suffix counts every create under the parent")
        a.delete(p0)
        p4 = a.create(root + "/seq-", sequence=True)
        eq(p4, root + "/seq-0000000004", "deletes do not rewind the counter")

        e = a.create(root + "/eph", b"e", ephemeral=True)
        _, st = b.get(e)
        session_id, _ = a.client_id
        eq(st.ephemeralOwner, session_id, "ephemeralOwner is the creating session")
        raises(NoChildrenForEphemeralsError, a.create, e + "/child")

        es = a.create(root + "/es-", ephemeral=True, sequence=True)
        check(re.fullmatch(re.escape(root) + r"/es-\d{10}", es) is not None, "ephemeral sequential name %r" % es)

        gone = threading.Event()
        events = Events()

        def watcher(event):
            events(event)
            if event.type == EventType.DELETED:
                gone.set()

        check(b.exists(e, watch=watcher) is not None, "ephemeral visible to the second client")
        check(b.exists(es) is not None, "ephemeral sequential visible to the second client")

        a.stop()
        a.close()
        check(gone.wait(WAIT_S), "second client sees NodeDeleted for the ephemeral after close, got %r" % events.items)
        eq(events.items[0].path, e, "deleted event path")
        eq(b.exists(e), None, "ephemeral gone after close")
        eq(b.exists(es), None, "ephemeral sequential gone after close")
        check(b.exists(p1) is not None, "persistent sequential node survives the session")
        b.delete(root, recursive=True)
    finally:
        for c in (a, b):
            c.stop()
            c.close()


run(main)
