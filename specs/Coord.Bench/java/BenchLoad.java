// Closed-loop load through Apache ZooKeeper's own Java client (Debian's zookeeper.jar), driven by
// coord-bench --driver java. C clients (one ZooKeeper handle = one session each), K async calls in flight
// per client: every callback issues the next call. The C# side creates the nodes beforehand and parses
// the lines this prints:
//   window-start             when the measured window begins (the C# side samples the server's CPU then)
//   window-end               when it ends
//   result ops=N seconds=S count=N p50_us=.. p90_us=.. p99_us=.. p999_us=.. mean_us=.. max_us=.. errors=CODE:N,...
//
// usage: BenchLoad HOST:PORT WORKLOAD CLIENTS OUTSTANDING VALUE_BYTES ROOT KEYS RUN_TAG WARMUP_S SECONDS
//   WORKLOAD: create | set | get | exists | mixed (90% get, 10% set)
//   ROOT: /bench-LABEL; keys are ROOT/data/kNNNNNN, creates go to ROOT/cI/jRUN_TAG-N

import java.util.Arrays;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

public final class BenchLoad {
    static String workload;
    static String root;
    static int clients, outstanding, keys;
    static byte[] value;
    static String runTag;
    static volatile long windowStart, windowEnd;

    public static void main(String[] args) throws Exception {
        if (args.length != 10) {
            System.err.println("usage: BenchLoad HOST:PORT WORKLOAD CLIENTS OUTSTANDING VALUE_BYTES ROOT KEYS RUN_TAG WARMUP_S SECONDS");
            System.exit(2);
        }
        String connect = args[0];
        workload = args[1];
        clients = Integer.parseInt(args[2]);
        outstanding = Integer.parseInt(args[3]);
        value = new byte[Integer.parseInt(args[4])];
        for (int i = 0; i < value.length; i++) value[i] = (byte) (i * 31 + 7); // as Setup.Value in C#
        root = args[5];
        keys = Integer.parseInt(args[6]);
        runTag = args[7];
        double warmup = Double.parseDouble(args[8]);
        double seconds = Double.parseDouble(args[9]);

        Client[] cs = new Client[clients];
        for (int i = 0; i < clients; i++) {
            CountDownLatch connected = new CountDownLatch(1);
            ZooKeeper zk = new ZooKeeper(connect, 30000, e -> {
                if (e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) connected.countDown();
            });
            if (!connected.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("client " + i + " did not connect");
            cs[i] = new Client(i, zk);
        }

        long t0 = System.nanoTime();
        windowStart = t0 + (long) (warmup * 1e9);
        windowEnd = windowStart + (long) (seconds * 1e9);
        for (Client c : cs) c.start();

        sleepUntil(windowStart);
        System.out.println("window-start");
        System.out.flush();
        sleepUntil(windowEnd);
        System.out.println("window-end");
        System.out.flush();

        long ops = 0;
        int count = 0;
        TreeMap<String, Long> errors = new TreeMap<>();
        for (Client c : cs) {
            if (!c.drained.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("client " + c.index + " did not drain");
            synchronized (c) {
                ops += c.completed;
                count += c.latencyCount;
                c.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
            }
        }
        long[] all = new long[count];
        int at = 0;
        for (Client c : cs) {
            System.arraycopy(c.latencyNs, 0, all, at, c.latencyCount);
            at += c.latencyCount;
        }
        Arrays.sort(all);
        double sum = 0;
        for (long v : all) sum += v;
        StringBuilder err = new StringBuilder();
        errors.forEach((k, v) -> err.append(err.length() > 0 ? "," : "").append(k).append(':').append(v));
        System.out.printf(java.util.Locale.ROOT,
            "result ops=%d seconds=%.3f count=%d p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f mean_us=%.1f max_us=%.1f errors=%s%n",
            ops, seconds, count, q(all, 0.50), q(all, 0.90), q(all, 0.99), q(all, 0.999),
            count == 0 ? Double.NaN : sum / count / 1000.0, count == 0 ? Double.NaN : all[count - 1] / 1000.0, err);
        System.out.flush();
        for (Client c : cs) c.zk.close();
    }

    static double q(long[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        int rank = (int) Math.max(1, Math.ceil(q * sorted.length));
        return sorted[rank - 1] / 1000.0;
    }

    static void sleepUntil(long nanos) throws InterruptedException {
        long ms;
        while ((ms = (nanos - System.nanoTime()) / 1_000_000) > 0) Thread.sleep(ms);
    }

    static String key(int k) { return String.format(java.util.Locale.ROOT, "%s/data/k%06d", root, k); }

    /** One session; its callbacks all run on that handle's event thread, so state is guarded by the object. */
    static final class Client implements AsyncCallback.StringCallback, AsyncCallback.StatCallback, AsyncCallback.DataCallback {
        final int index;
        final ZooKeeper zk;
        final CountDownLatch drained = new CountDownLatch(1);
        final TreeMap<String, Long> errors = new TreeMap<>();
        final String[] keyPaths;
        long seq, completed, createCounter;
        int inFlight;
        long[] latencyNs = new long[1 << 16];
        int latencyCount;
        boolean stopping;

        Client(int index, ZooKeeper zk) {
            this.index = index;
            this.zk = zk;
            keyPaths = new String[workload.equals("create") ? 0 : keys];
            for (int k = 0; k < keyPaths.length; k++) keyPaths[k] = key(k);
        }

        synchronized void start() {
            for (int i = 0; i < outstanding; i++) issue();
        }

        // Called with the monitor held.
        void issue() {
            long s = seq++;
            int k = keyPaths.length == 0 ? 0 : (int) ((s * clients + index) % keyPaths.length);
            Long started = System.nanoTime();
            inFlight++;
            switch (workload) {
                case "create":
                    zk.create(root + "/c" + index + "/j" + runTag + "-" + (createCounter++), value,
                        ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, this, started);
                    break;
                case "set":
                    zk.setData(keyPaths[k], value, -1, this, started);
                    break;
                case "get":
                    zk.getData(keyPaths[k], false, this, started);
                    break;
                case "exists":
                    zk.exists(keyPaths[k], false, this, started);
                    break;
                case "mixed":
                    if (s % 10 == 9) zk.setData(keyPaths[k], value, -1, this, started);
                    else zk.getData(keyPaths[k], false, this, started);
                    break;
                default:
                    throw new IllegalArgumentException("unknown workload " + workload);
            }
        }

        synchronized void done(int rc, Object ctx) {
            long now = System.nanoTime();
            inFlight--;
            if (rc != 0) errors.merge(KeeperException.Code.get(rc).name(), 1L, Long::sum);
            if (now >= windowStart && now < windowEnd) {
                completed++;
                if (latencyCount == latencyNs.length) latencyNs = Arrays.copyOf(latencyNs, latencyNs.length * 2);
                latencyNs[latencyCount++] = now - (Long) ctx;
            }
            if (now >= windowEnd) stopping = true;
            if (!stopping) issue();
            else if (inFlight == 0) drained.countDown();
        }

        @Override public void processResult(int rc, String path, Object ctx, String name) { done(rc, ctx); }
        @Override public void processResult(int rc, String path, Object ctx, Stat stat) { done(rc, ctx); }
        @Override public void processResult(int rc, String path, Object ctx, byte[] data, Stat stat) { done(rc, ctx); }
    }
}
