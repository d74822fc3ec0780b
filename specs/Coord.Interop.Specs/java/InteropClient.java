import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * Apache ZooKeeper's Java client (Debian's zookeeper.jar) driven against a server.
 * Usage: InteropClient CASE HOST:PORT [DIRECT_HOST:PORT]
 * Prints "RESULT ..." lines for the C# test to assert, then "PASS CASE"; any failed check throws,
 * prints "FAIL ..." and exits 1. Each run works under a fresh unique root.
 */
public final class InteropClient {
    static final long WAIT_MS = 15_000;

    /** Routes every callback into queues: connection states and node events separately. */
    static final class Events implements Watcher {
        final BlockingQueue<KeeperState> states = new LinkedBlockingQueue<>();
        final BlockingQueue<WatchedEvent> nodes = new LinkedBlockingQueue<>();

        @Override
        public void process(WatchedEvent e) {
            if (e.getType() == EventType.None) {
                states.add(e.getState());
            } else {
                nodes.add(e);
            }
        }

        void awaitState(KeeperState wanted) throws InterruptedException {
            long deadline = System.currentTimeMillis() + WAIT_MS;
            while (true) {
                KeeperState s = states.poll(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
                if (s == wanted) {
                    return;
                }
                check(s != null, "no " + wanted + " state within " + WAIT_MS + " ms");
            }
        }

        WatchedEvent next(String what) throws InterruptedException {
            WatchedEvent e = nodes.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            check(e != null, "no event within " + WAIT_MS + " ms: expected " + what);
            return e;
        }
    }

    static void check(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }

    static void eq(Object actual, Object expected, String what) {
        if (expected == null ? actual != null : !expected.equals(actual)) {
            throw new AssertionError(what + ": expected " + expected + ", got " + actual);
        }
    }

    static void result(String line) {
        System.out.println("RESULT " + line);
        System.out.flush();
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static ZooKeeper connect(String hosts, Events events, int timeoutMs) throws Exception {
        ZooKeeper zk = new ZooKeeper(hosts, timeoutMs, events);
        events.awaitState(KeeperState.SyncConnected);
        return zk;
    }

    static String uniqueRoot(ZooKeeper zk, String name) throws Exception {
        return zk.create("/java-" + name + "-" + Long.toHexString(System.nanoTime()), new byte[0],
                Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    }

    static <T extends KeeperException> T expect(Class<T> type, ThrowingRunnable body) throws Exception {
        try {
            body.run();
        } catch (KeeperException e) {
            check(type.isInstance(e), "expected " + type.getSimpleName() + ", got " + e);
            return type.cast(e);
        }
        throw new AssertionError("expected " + type.getSimpleName() + ", nothing thrown");
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    // ---- cases ----

    static void crud(String hosts) throws Exception {
        Events ev = new Events();
        ZooKeeper zk = connect(hosts, ev, 30_000);
        try {
            String root = uniqueRoot(zk, "crud");
            Stat created = new Stat();
            String path = zk.create(root + "/a", b("hello"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, created);
            eq(path, root + "/a", "create2 path");
            eq(created.getVersion(), 0, "create2 stat version");
            eq(created.getDataLength(), 5, "create2 stat dataLength");
            eq(created.getCzxid(), created.getMzxid(), "czxid == mzxid");
            result("create " + path.substring(root.length()) + " version=" + created.getVersion());

            Stat st = new Stat();
            eq(s(zk.getData(path, false, st)), "hello", "getData");
            eq(st, created, "getData stat equals create2 stat");
            Stat set = zk.setData(path, b("world"), 0);
            eq(set.getVersion(), 1, "setData version");
            check(set.getMzxid() > created.getMzxid(), "mzxid grows");
            result("setData version=" + set.getVersion());
            eq(zk.exists(path, false).getVersion(), 1, "exists stat");
            check(zk.exists(root + "/none", false) == null, "exists on a missing node is null");

            expect(KeeperException.BadVersionException.class, () -> zk.setData(path, b("x"), 0));
            expect(KeeperException.NodeExistsException.class,
                    () -> zk.create(path, null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
            expect(KeeperException.NoNodeException.class, () -> zk.getData(root + "/none", false, null));
            expect(KeeperException.NotEmptyException.class, () -> {
                zk.create(path + "/kid", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                zk.delete(path, -1);
            });
            expect(KeeperException.BadVersionException.class, () -> zk.delete(path + "/kid", 3));
            zk.delete(path + "/kid", 0);
            zk.delete(path, 1);
            check(zk.exists(path, false) == null, "deleted");
            result("delete ok");

            String seq = zk.create(root + "/s-", null, Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL);
            eq(seq, root + "/s-0000000001", "ephemeral sequential name");
            eq(zk.exists(seq, false).getEphemeralOwner(), zk.getSessionId(), "ephemeralOwner");

            // extended types (server started with zookeeper.extendedTypesEnabled=true)
            Stat ttl = new Stat();
            zk.create(root + "/ttl", b("t"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, ttl, 60_000);
            eq(ttl.getEphemeralOwner(), 0L, "TTL node ephemeralOwner as seen by clients");
            zk.create(root + "/container", null, Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER);
            eq(zk.exists(root + "/container", false).getEphemeralOwner(), 0L, "container ephemeralOwner");
            result("ttl+container ok");

            zk.delete(seq, -1);
            zk.delete(root + "/ttl", -1);
            zk.delete(root + "/container", -1);
            zk.delete(root, -1);
        } finally {
            zk.close();
        }
    }

    static void children2(String hosts) throws Exception {
        Events ev = new Events();
        ZooKeeper zk = connect(hosts, ev, 30_000);
        try {
            String root = uniqueRoot(zk, "children");
            Stat before = zk.exists(root, false);
            String last = null;
            for (String name : new String[] {"c", "a", "b"}) {
                last = zk.create(root + "/" + name, b(name), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            }
            zk.delete(root + "/c", -1);
            Stat st = new Stat();
            List<String> kids = new ArrayList<>(zk.getChildren(root, false, st));
            Collections.sort(kids);
            eq(kids, Arrays.asList("a", "b"), "children");
            eq(st.getNumChildren(), 2, "numChildren");
            eq(st.getCversion(), before.getCversion() + 4, "cversion counts 3 creates + 1 delete");
            check(st.getPzxid() > zk.exists(last, false).getCzxid(), "pzxid moved with the delete");
            eq(st.getMzxid(), before.getMzxid(), "parent mzxid untouched");
            eq(st.getVersion(), 0, "parent version untouched");
            result("children2 numChildren=" + st.getNumChildren() + " cversionDelta=" + (st.getCversion() - before.getCversion()));
            eq(zk.getAllChildrenNumber(root), 2, "getAllChildrenNumber");
            for (String k : kids) {
                zk.delete(root + "/" + k, -1);
            }
            zk.delete(root, -1);
        } finally {
            zk.close();
        }
    }

    static void multi(String hosts) throws Exception {
        Events ev = new Events();
        ZooKeeper zk = connect(hosts, ev, 30_000);
        try {
            String root = uniqueRoot(zk, "multi");
            List<OpResult> ok = zk.multi(Arrays.asList(
                    Op.create(root + "/x", b("1"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                    Op.setData(root + "/x", b("2"), 0),
                    Op.check(root + "/x", 1),
                    Op.create(root + "/y", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                    Op.delete(root + "/y", 0)));
            eq(ok.size(), 5, "results");
            check(ok.get(0) instanceof OpResult.CreateResult, "create result " + ok.get(0));
            eq(((OpResult.CreateResult) ok.get(0)).getPath(), root + "/x", "create result path");
            eq(((OpResult.SetDataResult) ok.get(1)).getStat().getVersion(), 1, "setData result version");
            check(ok.get(2) instanceof OpResult.CheckResult, "check result " + ok.get(2));
            check(ok.get(4) instanceof OpResult.DeleteResult, "delete result " + ok.get(4));
            eq(s(zk.getData(root + "/x", false, null)), "2", "data after multi");
            result("multi ok results=" + ok.size());

            try {
                zk.multi(Arrays.asList(
                        Op.create(root + "/z", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                        Op.check(root + "/x", 7),
                        Op.delete(root + "/x", -1)));
                throw new AssertionError("failing multi did not throw");
            } catch (KeeperException e) {
                eq(e.code(), KeeperException.Code.BADVERSION, "multi exception code");
                List<OpResult> rs = e.getResults();
                StringBuilder codes = new StringBuilder();
                for (OpResult r : rs) {
                    codes.append(' ').append(((OpResult.ErrorResult) r).getErr());
                }
                result("multi failed codes=" + codes.toString().trim());
            }
            check(zk.exists(root + "/z", false) == null, "failed multi applied nothing");
            check(zk.exists(root + "/x", false) != null, "failed multi deleted nothing");

            List<OpResult> txn = zk.transaction().delete(root + "/x", 1).delete(root, -1).commit();
            eq(txn.size(), 2, "transaction() results");
            check(zk.exists(root, false) == null, "transaction() applied");
            result("transaction ok");
        } finally {
            zk.close();
        }
    }

    static void recursive(String hosts) throws Exception {
        Events ev = new Events();
        ZooKeeper zk = connect(hosts, ev, 30_000);
        Events otherEv = new Events();
        ZooKeeper other = connect(hosts, otherEv, 30_000);
        try {
            String root = uniqueRoot(zk, "recursive");
            Events rec = new Events();
            zk.addWatch(root, rec, AddWatchMode.PERSISTENT_RECURSIVE);
            other.create(root + "/a", b("1"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            other.setData(root + "/a", b("2"), -1);
            other.create(root + "/a/b", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            other.setData(root + "/a/b", b("3"), -1);
            other.delete(root + "/a/b", -1);
            other.setData(root, b("4"), -1);
            other.delete(root + "/a", -1);
            String[][] expected = {
                {"NodeCreated", "/a"}, {"NodeDataChanged", "/a"}, {"NodeCreated", "/a/b"},
                {"NodeDataChanged", "/a/b"}, {"NodeDeleted", "/a/b"}, {"NodeDataChanged", ""},
                {"NodeDeleted", "/a"},
            };
            for (String[] want : expected) {
                WatchedEvent e = rec.next(want[0] + " " + want[1]);
                eq(e.getType().name() + " " + e.getPath(), want[0] + " " + root + want[1], "recursive event");
                result("event " + e.getType() + " " + e.getPath().substring(root.length()));
            }

            zk.removeWatches(root, rec, Watcher.WatcherType.Any, false);
            Events sentinel = new Events();
            zk.exists(root + "/sentinel", sentinel);
            other.create(root + "/after", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            other.create(root + "/sentinel", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            eq(sentinel.next("sentinel NodeCreated").getType(), EventType.NodeCreated, "sentinel event");
            for (WatchedEvent e : rec.nodes) {
                check(e.getType() == EventType.PersistentWatchRemoved, "event after removeWatches: " + e);
            }
            result("removed watch silent");
            other.delete(root + "/after", -1);
            other.delete(root + "/sentinel", -1);
            other.delete(root, -1);
        } finally {
            zk.close();
            other.close();
        }
    }

    /** Needs the C# harness: HOSTS goes through a TCP proxy that the test drops after "ARMED". */
    static void setWatches(String proxied, String direct) throws Exception {
        Events ev = new Events();
        ZooKeeper zk = connect(proxied, ev, 30_000);
        Events otherEv = new Events();
        ZooKeeper other = connect(direct, otherEv, 30_000);
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            String root = uniqueRoot(other, "setwatches");
            other.create(root + "/w", b("v0"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            other.create(root + "/gone", b("g"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            Events watches = new Events();
            zk.getData(root + "/w", watches, null);
            zk.getData(root + "/gone", watches, null);
            check(zk.exists(root + "/born", watches) == null, "born does not exist yet");
            long session = zk.getSessionId();
            System.out.println("ARMED");
            System.out.flush();

            ev.awaitState(KeeperState.Disconnected);
            other.setData(root + "/w", b("v1"), -1);
            other.delete(root + "/gone", -1);
            other.create(root + "/born", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            System.out.println("CHANGED");
            System.out.flush();
            check("RESUMED".equals(stdin.readLine()), "expected RESUMED from the test");

            ev.awaitState(KeeperState.SyncConnected);
            eq(zk.getSessionId(), session, "same session after reconnect");
            result("reconnected same session");
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                WatchedEvent e = watches.next("3 replayed watch events");
                got.add(e.getType() + " " + e.getPath().substring(root.length()));
            }
            Collections.sort(got);
            for (String g : got) {
                result("event " + g);
            }
            eq(got, Arrays.asList("NodeCreated /born", "NodeDataChanged /w", "NodeDeleted /gone"), "replayed events");
            other.delete(root + "/w", -1);
            other.delete(root + "/born", -1);
            other.delete(root, -1);
        } finally {
            zk.close();
            other.close();
        }
    }

    public static void main(String[] args) {
        String name = args.length > 0 ? args[0] : "?";
        try {
            switch (name) {
                case "crud": crud(args[1]); break;
                case "children2": children2(args[1]); break;
                case "multi": multi(args[1]); break;
                case "recursive": recursive(args[1]); break;
                case "setwatches": setWatches(args[1], args[2]); break;
                default:
                    System.out.println("usage: InteropClient crud|children2|multi|recursive|setwatches HOST:PORT [DIRECT]");
                    System.exit(2);
            }
        } catch (Throwable t) {
            System.out.println("FAIL " + name + ": " + t);
            t.printStackTrace(System.out);
            System.out.flush();
            System.exit(1);
        }
        System.out.println("PASS " + name);
        System.out.flush();
        System.exit(0);
    }
}
