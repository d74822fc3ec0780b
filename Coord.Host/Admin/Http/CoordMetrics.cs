using Coord.Actors.Core;
using Coord.Actors.Journal;
using Coord.Protocol;
using Prometheus;

namespace Coord.Host.Admin.Http;

/// <summary>
/// The server's Prometheus metrics, in a registry of its own (two servers in one process, as in specs, never share
/// one). Names are ZooKeeper's where ZooKeeper has the metric (its PrometheusMetricsProvider exports ServerMetrics and
/// the mntr gauges without the "zk_" prefix), so existing dashboards and alerts keep working; Coord's own start with
/// "coord_".
/// <para>
/// Where the numbers come from, and what they cost: gauges and counters are read at scrape time (a before-collect
/// callback asks the core for its <c>CoreStats</c>, reads <see cref="ServerStats"/> and <see cref="CoreCounters"/>), so
/// the write path pays nothing for them. Histograms are observed where the event happens, once per request answered
/// (read/update latency), per journal batch (fsync time, batch size, group-commit wait) and per snapshot; a histogram
/// observation is a few interlocked adds, no lock.
/// </para>
/// <para>
/// ZooKeeper exports its timings as summaries (quantiles over a sliding window); here they are histograms with the
/// same names and units (milliseconds), so <c>rate(fsynctime_sum[1m]) / rate(fsynctime_count[1m])</c> reads the same,
/// and quantiles come from <c>histogram_quantile</c> over <c>_bucket</c> rather than a <c>quantile</c> label.
/// </para>
/// </summary>
public sealed class CoordMetrics
{
    private readonly Histogram _readLatency, _updateLatency, _fsyncTime, _snapshotTime, _batchTxns, _groupCommit;
    private readonly Gauge _znodes, _watches, _ephemerals, _connections, _outstanding, _dataSize, _sessions, _packetsReceived,
        _packetsSent, _uptime, _openFiles, _maxFiles, _avgLatency, _minLatency, _maxLatency, _journalBytes, _snapshotsBytes,
        _ready;
    private readonly Counter _refused, _expired, _journalTxns, _journalBatches, _fsyncSlow;

    public CoordMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var f = Metrics.WithCustomRegistry(Registry);

        // ZooKeeper's ServerMetrics timings (ms), as histograms.
        _readLatency = f.CreateHistogram("readlatency", "Read request latency in ms, arrival to reply queued (ZooKeeper's readlatency)",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.05, 2, 16) });
        _updateLatency = f.CreateHistogram("updatelatency", "Write and session request latency in ms, arrival to reply queued: includes the journal's fsync (ZooKeeper's updatelatency)",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.05, 2, 16) });
        _fsyncTime = f.CreateHistogram("fsynctime", "Time in ms to write and fsync one journal batch (ZooKeeper's fsynctime)",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.25, 2, 14) });
        _snapshotTime = f.CreateHistogram("snapshottime", "Time in ms to write and fsync one snapshot (ZooKeeper's snapshottime)",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 18) });

        // ZooKeeper's mntr figures, read at scrape time.
        _znodes = f.CreateGauge("znode_count", "Znodes in the tree");
        _watches = f.CreateGauge("watch_count", "Watches armed, over all sessions and paths");
        _ephemerals = f.CreateGauge("ephemerals_count", "Ephemeral znodes");
        _connections = f.CreateGauge("num_alive_connections", "Open client connections");
        _outstanding = f.CreateGauge("outstanding_requests", "Requests received and not yet answered");
        _dataSize = f.CreateGauge("approximate_data_size", "Approximate bytes of paths and data in the tree");
        _sessions = f.CreateGauge("global_sessions", "Live sessions");
        _packetsReceived = f.CreateGauge("packets_received", "Packets received since start or the last srst");
        _packetsSent = f.CreateGauge("packets_sent", "Packets sent since start or the last srst");
        _uptime = f.CreateGauge("uptime", "Milliseconds since the server started");
        _openFiles = f.CreateGauge("open_file_descriptor_count", "Open file descriptors of the process");
        _maxFiles = f.CreateGauge("max_file_descriptor_count", "The process's open file limit (-1 = unlimited)");
        _avgLatency = f.CreateGauge("avg_latency", "Average request latency in ms since start or the last srst");
        _minLatency = f.CreateGauge("min_latency", "Smallest request latency in ms since start or the last srst");
        _maxLatency = f.CreateGauge("max_latency", "Largest request latency in ms since start or the last srst");
        // ZooKeeper's connection_rejected counter; the exposition adds _total as ZooKeeper 3.9's does.
        _refused = f.CreateCounter("connection_rejected_total", "Connections refused because their IP reached coord.client.connections-per-ip-max");

        // Coord's own.
        _batchTxns = f.CreateHistogram("coord_journal_batch_txns", "Txns per journal batch: how many writes share one fsync (group commit)",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 13) });
        _groupCommit = f.CreateHistogram("coord_group_commit_seconds", "Per journal batch, from its oldest txn reaching the journal to the batch being durable: the longest a write waited for the group commit",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        _journalTxns = f.CreateCounter("coord_journal_txns_total", "Txns made durable in the journal since start");
        _journalBatches = f.CreateCounter("coord_journal_batches_total", "Journal batches (appends, each one fsync) since start");
        _fsyncSlow = f.CreateCounter("coord_fsync_slow_total", "Journal batches whose write and fsync took longer than 1 s (ZooKeeper's fsync_threshold_exceed_count)");
        _expired = f.CreateCounter("coord_sessions_expired_total", "Sessions expired since start");
        _journalBytes = f.CreateGauge("coord_journal_bytes", "Bytes of the journal's SQLite files (coord.db and its WAL) in the data folder");
        _snapshotsBytes = f.CreateGauge("coord_snapshots_bytes", "Bytes of the snapshot files kept in the data folder");
        _ready = f.CreateGauge("coord_ready", "1 while the server serves clients (what /ready answers 200 for), else 0");
        // The ensemble's, from the member's role at scrape time (absent standalone): ZooKeeper's leader gauges and Coord's.
        _learners = f.CreateGauge("learners", "Leader: learners (followers and observers) with a link");
        _syncedFollowers = f.CreateGauge("synced_followers", "Leader: voting followers synced and receiving proposals");
        _syncedObservers = f.CreateGauge("synced_observers", "Leader: observers synced and receiving commits");
        _pendingSyncs = f.CreateGauge("pending_syncs", "Leader: learners still being synced");
        _epoch = f.CreateGauge("coord_epoch", "The epoch this member follows or leads (its zxids' upper half)");
        _elections = f.CreateGauge("coord_elections", "Times this member started looking for a leader since start");
        _peerSent = f.CreateGauge("coord_peer_messages_sent", "Replication messages this member sent to other members since start");
        _peerReceived = f.CreateGauge("coord_peer_messages_received", "Replication messages this member received from other members since start");
        _clusterUp = f.CreateGauge("coord_cluster_members_up", "Akka.Cluster members up in this member's view (reachable or not); absent without the cluster");
        _clusterUnreachable = f.CreateGauge("coord_cluster_unreachable", "Akka.Cluster members this member's failure detector finds unreachable");
        _clusterSelfUp = f.CreateGauge("coord_cluster_self_up", "1 while this member is up in its Akka.Cluster, else 0");
        _clusterRejoins = f.CreateGauge("coord_cluster_rejoins", "Fresh cluster systems this member started after the first (downed, removed, quarantined, or a join given up)");
        _followerLag = f.CreateGauge("coord_follower_lag_txns", "Leader: how many txns of its epoch each learner's acknowledgement trails its log",
            new GaugeConfiguration { LabelNames = ["server_id"] });
    }

    private readonly Gauge _learners, _syncedFollowers, _syncedObservers, _pendingSyncs, _epoch, _elections, _followerLag, _peerSent, _peerReceived;
    private readonly Gauge _clusterUp, _clusterUnreachable, _clusterSelfUp, _clusterRejoins;

    /// <summary>The role's mntr lines (<see cref="IMemberRole.MonitorLines"/>) as gauges; a learner's lag by its server id.</summary>
    private void CollectEnsemble(IMemberRole role)
    {
        foreach (var (key, value) in role.MonitorLines)
        {
            if (key == "coord_cluster_self_status") _clusterSelfUp.Set(value is "up" ? 1 : 0);
            if (value is not long n) continue;
            switch (key)
            {
                case "zk_learners": _learners.Set(n); break;
                case "zk_synced_followers": _syncedFollowers.Set(n); break;
                case "zk_synced_observers": _syncedObservers.Set(n); break;
                case "zk_pending_syncs": _pendingSyncs.Set(n); break;
                case "coord_epoch": _epoch.Set(n); break;
                case "coord_elections": _elections.Set(n); break;
                case "coord_peer_messages_sent": _peerSent.Set(n); break;
                case "coord_peer_messages_received": _peerReceived.Set(n); break;
                case "coord_cluster_members_up": _clusterUp.Set(n); break;
                case "coord_cluster_unreachable": _clusterUnreachable.Set(n); break;
                case "coord_cluster_rejoins": _clusterRejoins.Set(n); break;
                default:
                    if (key.StartsWith("coord_learner_", StringComparison.Ordinal) && key.EndsWith("_lag", StringComparison.Ordinal))
                        _followerLag.WithLabels(key["coord_learner_".Length..^"_lag".Length]).Set(n);
                    break;
            }
        }
    }

    public CollectorRegistry Registry { get; }

    /// <summary>A request was answered (<see cref="ServerStats"/>' observer): latency into the read or update histogram
    /// as ZooKeeper splits them (Request.isQuorum: writes and session create/close are updates).</summary>
    public void RequestAnswered(OpCode op, long us) => (IsUpdate(op) ? _updateLatency : _readLatency).Observe(us / 1000.0);

    /// <summary>A journal batch is durable (<see cref="CoreCounters"/>' observer, on the journal's writer thread).</summary>
    public void BatchDurable(JournalBatchDurable batch)
    {
        _fsyncTime.Observe(batch.Append.TotalMilliseconds);
        _batchTxns.Observe(batch.Txns);
        _groupCommit.Observe(batch.OldestWait.TotalSeconds);
    }

    /// <summary>A snapshot was written (<see cref="SnapshotStore.Written"/>).</summary>
    public void SnapshotWritten(SnapshotFile file, TimeSpan took, long bytes) => _snapshotTime.Observe(took.TotalMilliseconds);

    /// <summary>Reads the scrape-time figures from <paramref name="lifecycle"/> before each collection.</summary>
    public void CollectFrom(ServerLifecycle lifecycle, string dataDir, string snapshotsDir)
    {
        Registry.AddBeforeCollectCallback(async ct =>
        {
            _ready.Set(lifecycle.Ready ? 1 : 0);
            CollectEnsemble(lifecycle.Role);
            _journalBytes.Set(FilesSize(dataDir, "coord.db*"));
            _snapshotsBytes.Set(FilesSize(snapshotsDir, "snapshot-*.snap"));
            _openFiles.Set(AdminFigures.OpenFileDescriptors());
            if (AdminFigures.MaxOpenFiles() is { } maxFiles) _maxFiles.Set(maxFiles);
            // Figures of the core only while it serves: before, there is no core; after, it may no longer answer.
            if (lifecycle.Figures is not { } figures) return;
            var s = await figures.CoreStatsAsync(ct);
            _znodes.Set(s.NodeCount);
            _watches.Set(s.WatchCount);
            _ephemerals.Set(s.EphemeralCount);
            _outstanding.Set(s.OutstandingRequests);
            _dataSize.Set(s.ApproximateDataSize);
            _sessions.Set(s.SessionCount);
            _expired.IncTo(s.ExpiredSessions);
            _connections.Set(figures.ConnectionCount);
            var stats = figures.Stats;
            _packetsReceived.Set(stats.Received);
            _packetsSent.Set(stats.Sent);
            _uptime.Set(figures.UptimeMs);
            var (min, avg, max, _) = stats.Latency.Snapshot();
            _avgLatency.Set(avg);
            _minLatency.Set(min);
            _maxLatency.Set(max);
            _refused.IncTo(stats.ConnectionsRefused);
            _journalTxns.IncTo(figures.Counters.JournalTxns);
            _journalBatches.IncTo(figures.Counters.JournalBatches);
            _fsyncSlow.IncTo(figures.Counters.SlowAppends);
        });
    }

    /// <summary>ZooKeeper's Request.isQuorum: what goes through the write path (and so through the journal).</summary>
    internal static bool IsUpdate(OpCode op) => op is OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl
        or OpCode.Delete or OpCode.DeleteContainer or OpCode.SetData or OpCode.SetAcl or OpCode.Check or OpCode.Multi
        or OpCode.Reconfig or OpCode.CreateSession or OpCode.CloseSession;

    private static long FilesSize(string dir, string pattern)
    {
        try { return new DirectoryInfo(dir).EnumerateFiles(pattern).Sum(f => f.Length); }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }
}
