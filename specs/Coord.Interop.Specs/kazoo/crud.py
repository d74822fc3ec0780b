"""CRUD with Stat checks, server_version (envi) and NoNode/NodeExists/BadVersion/NotEmpty errors."""
from kazoo.exceptions import BadVersionError, NodeExistsError, NoNodeError, NotEmptyError

from _common import client, eq, check, raises, run, unique_root


def main():
    c = client()
    try:
        version = c.server_version()
        check(len(version) >= 2 and all(isinstance(v, int) for v in version),
              "server_version() should parse envi's zookeeper.version, got %r" % (version,))

        root = unique_root(c, "crud")
        _, root_stat = c.get(root)
        eq(root_stat.numChildren, 0, "fresh root numChildren")

        path = c.create(root + "/a", b"hello")
        eq(path, root + "/a", "create returns the path")
        data, st = c.get(path)
        eq(data, b"hello", "data after create")
        eq(st.version, 0, "version after create")
        eq(st.cversion, 0, "cversion after create")
        eq(st.aversion, 0, "aversion after create")
        eq(st.dataLength, 5, "dataLength")
        eq(st.numChildren, 0, "numChildren")
        eq(st.ephemeralOwner, 0, "ephemeralOwner of a persistent node")
        eq(st.czxid, st.mzxid, "czxid == mzxid after create")
        eq(st.czxid, st.pzxid, "czxid == pzxid after create")
        check(st.ctime == st.mtime and st.ctime > 0, "ctime == mtime > 0, got %r" % (st,))

        _, parent = c.get(root)
        eq(parent.numChildren, 1, "parent numChildren after create")
        eq(parent.cversion, root_stat.cversion + 1, "parent cversion +1 after create")
        eq(parent.pzxid, st.czxid, "parent pzxid = child's czxid")
        eq(parent.mzxid, root_stat.mzxid, "parent mzxid unchanged by a child create")
        eq(parent.version, root_stat.version, "parent version unchanged by a child create")

        st2 = c.set(path, b"world!")
        eq(st2.version, 1, "version after set")
        eq(st2.dataLength, 6, "dataLength after set")
        eq(st2.czxid, st.czxid, "czxid unchanged by set")
        check(st2.mzxid > st.mzxid, "mzxid grows on set")
        eq(c.get(path)[0], b"world!", "data after set")
        eq(c.set(path, b"world!").version, 2, "set with identical data still bumps version")

        raises(BadVersionError, c.set, path, b"x", version=0)
        raises(BadVersionError, c.delete, path, version=0)
        raises(NodeExistsError, c.create, path)
        raises(NoNodeError, c.get, root + "/missing")
        raises(NoNodeError, c.set, root + "/missing", b"")
        raises(NoNodeError, c.create, root + "/missing/child")
        eq(c.exists(root + "/missing"), None, "exists on a missing node")
        eq(c.exists(path).version, 2, "exists returns the Stat")

        c.create(path + "/k1")
        c.create(path + "/k2", b"")
        eq(sorted(c.get_children(path)), ["k1", "k2"], "get_children")
        children, cst = c.get_children(path, include_data=True)
        eq(cst.numChildren, 2, "get_children stat numChildren")
        raises(NotEmptyError, c.delete, path)

        empty = c.create(root + "/empty")
        data, est = c.get(empty)
        eq(data, b"", "data of a node created without data")
        eq(est.dataLength, 0, "dataLength of an empty node")

        c.delete(path + "/k1")
        _, after = c.get(path)
        eq(after.numChildren, 1, "numChildren after delete")
        eq(after.cversion, 3, "cversion counts creates and deletes")
        c.delete(path, recursive=True)
        eq(c.exists(path), None, "node gone after recursive delete")

        deep = c.ensure_path(root + "/x/y/z")
        check(c.exists(root + "/x/y/z") is not None, "ensure_path creates intermediate nodes (%r)" % (deep,))

        c.delete(root, recursive=True)
        eq(c.exists(root), None, "root gone")
    finally:
        c.stop()
        c.close()


run(main)
