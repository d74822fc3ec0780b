"""Watches: data, child and exists watches are one-shot; event types and paths as ZooKeeper sends them."""
from kazoo.protocol.states import EventType

from _common import Events, check, client, eq, run, unique_root


def expect_one(events, type_, path, what):
    got = events.wait(1)
    eq(len(got), 1, what + ": number of events")
    eq(got[0].type, type_, what + ": event type")
    eq(got[0].path, path, what + ": event path")


def main():
    w = client()   # sets watches
    m = client()   # mutates
    try:
        root = unique_root(m, "watch")
        node = root + "/n"

        # exists watch on a missing node fires NodeCreated.
        created = Events()
        eq(w.exists(node, watch=created), None, "exists on missing node")
        m.create(node, b"v0")
        expect_one(created, EventType.CREATED, node, "exists watch")

        # data watch: one shot — the second set does not fire it again.
        changed = Events()
        w.get(node, watch=changed)
        m.set(node, b"v1")
        expect_one(changed, EventType.CHANGED, node, "data watch")
        m.set(node, b"v2")
        # a fresh watch set after the second change proves the server processed it; the old one stayed silent
        probe = Events()
        w.get(node, watch=probe)
        m.set(node, b"v3")
        expect_one(probe, EventType.CHANGED, node, "re-armed data watch")
        eq(len(changed.items), 1, "a one-shot data watch fires once")

        # child watch: NodeChildrenChanged on the parent path for a create and, re-armed, for a delete.
        kids = Events()
        eq(w.get_children(root, watch=kids), ["n"], "children")
        m.create(root + "/c1")
        expect_one(kids, EventType.CHILD, root, "child watch on create")
        kids2 = Events()
        w.get_children(root, watch=kids2)
        m.set(node, b"data change is not a child change")
        m.delete(root + "/c1")
        expect_one(kids2, EventType.CHILD, root, "child watch on delete")
        eq(len(kids.items), 1, "a one-shot child watch fires once")

        # exists watch on an existing node fires on change; data watch fires NodeDeleted.
        ex = Events()
        check(w.exists(node, watch=ex) is not None, "exists on present node")
        m.set(node, b"v4")
        expect_one(ex, EventType.CHANGED, node, "exists watch on set")

        deleted = Events()
        kids3 = Events()
        w.get(node, watch=deleted)
        w.get_children(root, watch=kids3)
        m.delete(node)
        expect_one(deleted, EventType.DELETED, node, "data watch on delete")
        expect_one(kids3, EventType.CHILD, root, "child watch on child delete")

        # a child watch on the node itself fires NodeDeleted when the node goes.
        m.create(node)
        own = Events()
        w.get_children(node, watch=own)
        m.delete(node)
        expect_one(own, EventType.DELETED, node, "child watch on the deleted node itself")

        # the watching client's own writes trigger its watches too.
        m.create(node, b"x")
        selfw = Events()
        w.get(node, watch=selfw)
        w.set(node, b"y")
        expect_one(selfw, EventType.CHANGED, node, "watch triggered by own write")

        m.delete(root, recursive=True)
    finally:
        for c in (w, m):
            c.stop()
            c.close()


run(main)
