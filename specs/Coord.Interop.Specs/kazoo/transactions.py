"""kazoo transaction() (multi): a committed transaction and a failed one, with per-op results
(RolledBackError for the ops that were fine, the real error for the op that failed)."""
from kazoo.exceptions import BadVersionError, NoNodeError, RolledBackError, RuntimeInconsistency

from _common import check, client, eq, run, unique_root


def main():
    c = client()
    try:
        root = unique_root(c, "txn")
        c.create(root + "/existing", b"old")

        t = c.transaction()
        t.create(root + "/a", b"A")
        t.create(root + "/a/b", b"B")
        t.set_data(root + "/existing", b"new", version=0)
        t.check(root + "/existing", 1)
        t.create(root + "/s-", sequence=True)
        results = t.commit()
        eq(len(results), 5, "number of results")
        eq(results[0], root + "/a", "create result")
        eq(results[1], root + "/a/b", "nested create result")
        eq(results[2].version, 1, "set_data result is the new Stat")
        eq(results[3], True, "check result")
        eq(results[4], root + "/s-0000000002", "sequential create inside a transaction (3rd child of root)")
        eq(c.get(root + "/existing")[0], b"new", "data committed")
        _, sa = c.get(root + "/a")
        _, sb = c.get(root + "/a/b")
        eq(sa.czxid, sb.czxid, "all ops of a multi share one zxid")

        # failure in the middle: earlier and later ops roll back.
        t = c.transaction()
        t.create(root + "/never", b"")
        t.delete(root + "/missing")
        t.set_data(root + "/existing", b"again")
        results = t.commit()
        eq(len(results), 3, "number of results on failure")
        check(isinstance(results[0], RolledBackError), "op before the failure rolled back: %r" % (results[0],))
        check(isinstance(results[1], NoNodeError), "failing op reports NoNode: %r" % (results[1],))
        # ZooKeeper marks ops after the failing one RUNTIMEINCONSISTENCY (-2), ops before it OK -> RolledBack
        check(isinstance(results[2], RuntimeInconsistency), "op after the failure: %r" % (results[2],))
        eq(c.exists(root + "/never"), None, "nothing of a failed transaction is applied")
        eq(c.get(root + "/existing")[1].version, 1, "set_data in a failed transaction did not apply")

        t = c.transaction()
        t.check(root + "/existing", 7)
        t.create(root + "/a")
        results = t.commit()
        check(isinstance(results[0], BadVersionError), "failed check reports BadVersion: %r" % (results[0],))
        check(isinstance(results[1], RuntimeInconsistency),
              "op after the failure: %r" % (results[1],))

        t = c.transaction()
        t.delete(root + "/a/b")
        t.delete(root + "/a")
        results = t.commit()
        eq(results, [True, True], "deletes in order")
        eq(c.exists(root + "/a"), None, "deleted by transaction")
        c.delete(root, recursive=True)
    finally:
        c.stop()
        c.close()


run(main)
