using System.Globalization;
using System.Runtime.InteropServices;
using Akka.Actor;
using Coord.Actors.Applier;
using Coord.Actors.Core;
using Coord.Actors.Sequencer;
using Coord.Host.Connections;
using Coord.Protocol;

namespace Coord.Host.Admin;

/// <summary>What the four-letter words report about the server's configuration.</summary>
public sealed record ServerFacts(
    int ClientPort, string DataDir, int TickMs, int MaxClientCnxns, int MinSessionTimeoutMs, int MaxSessionTimeoutMs,
    int ListenBacklog, int ServerId, IReadOnlySet<string> Whitelist);

/// <summary>
/// The figures the four-letter words and the admin HTTP commands both report, gathered in one place so the text and
/// the JSON forms never disagree: <see cref="FourLetterWords"/> prints them as ZooKeeper's words do,
/// <c>Http/AdminCommands</c> writes them as ZooKeeper's AdminServer does. Thread-safe: the core's figures are asked of
/// its actors, the rest are read from thread-safe counters.
/// </summary>
public sealed class AdminFigures(CoreRefs core, ConnectionRegistry connections, ServerStats stats, ServerFacts facts, IMemberRole role)
{
    /// <summary>The version string clients parse: the ZooKeeper protocol level we speak, then ours.</summary>
    public const string Version = "3.9.4-coord-0.1.0, built on 2026-11-22 00:00 UTC";

    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(5);

    public ServerFacts Facts => facts;
    public IMemberRole Role => role;
    public ServerStats Stats => stats;
    public CoreCounters Counters => core.Counters;

    /// <summary>Live client connections, by id.</summary>
    public IEnumerable<ClientConnection> Connections => connections.All();

    public int ConnectionCount => connections.Count;

    public Task<CoreStats> CoreStatsAsync(CancellationToken ct = default) =>
        core.Applier.Ask<CoreStats>(StatsQuery.Instance, QueryTimeout, ct);

    public Task<WatchReport> WatchesAsync(CancellationToken ct = default) =>
        core.Applier.Ask<WatchReport>(WatchReportQuery.Instance, QueryTimeout, ct);

    /// <summary>dump's figures: expiry is the sequencer's (the leader tracks it), ephemerals are the applier's tree.</summary>
    public async Task<(ExpiryReport Expiry, EphemeralsReport Ephemerals)> DumpAsync(CancellationToken ct = default)
    {
        var expiry = await core.Sequencer.Ask<ExpiryReport>(ExpiryQuery.Instance, QueryTimeout, ct);
        var ephemerals = await core.Applier.Ask<EphemeralsReport>(EphemeralsQuery.Instance, QueryTimeout, ct);
        return (expiry, ephemerals);
    }

    public void ResetConnectionStats() => connections.ResetStats();

    public void ResetServerStats() => stats.Reset();

    /// <summary>Milliseconds since the server started.</summary>
    public long UptimeMs => System.Environment.TickCount64 - stats.StartedAtMs;

    /// <summary>
    /// mntr's lines in order, keys as the four-letter word prints them (zk_...; Coord's own coord_...). Values are
    /// <see cref="long"/>, <see cref="double"/> or <see cref="string"/>; the AdminServer's monitor command writes the
    /// same list without the "zk_" prefix, as ZooKeeper's does.
    /// </summary>
    public IReadOnlyList<(string Key, object Value)> Monitor(CoreStats s)
    {
        var (min, avg, max, _) = stats.Latency.Snapshot();
        var lines = new List<(string, object)>
        {
            ("zk_version", Version),
            ("zk_server_state", role.ServerState),
            ("zk_avg_latency", avg),
            ("zk_max_latency", (long)max),
            ("zk_min_latency", (long)min),
            ("zk_packets_received", stats.Received),
            ("zk_packets_sent", stats.Sent),
            ("zk_num_alive_connections", (long)connections.Count),
            ("zk_outstanding_requests", (long)s.OutstandingRequests),
            ("zk_uptime", UptimeMs),
            ("zk_znode_count", (long)s.NodeCount),
            ("zk_watch_count", (long)s.WatchCount),
            ("zk_ephemerals_count", (long)s.EphemeralCount),
            ("zk_approximate_data_size", s.ApproximateDataSize),
            ("zk_global_sessions", (long)s.SessionCount),
            ("zk_local_sessions", 0L),
            ("zk_expired_sessions", s.ExpiredSessions),
            ("zk_open_file_descriptor_count", (long)OpenFileDescriptors()),
        };
        if (MaxOpenFiles() is { } maxFiles) lines.Add(("zk_max_file_descriptor_count", maxFiles));
        lines.AddRange(role.MonitorLines);
        // Coord's own: batching since start (not reset by srst). Txns per journal batch is txns per fsync (group
        // commit); packets per socket write is how many replies and events leave in one send.
        lines.Add(("coord_journal_batches", core.Counters.JournalBatches));
        lines.Add(("coord_journal_txns", core.Counters.JournalTxns));
        lines.Add(("coord_packets_sent_total", stats.PacketsSentTotal));
        lines.Add(("coord_socket_writes", stats.SocketWrites));
        return lines;
    }

    /// <summary>envi's pairs in ZooKeeper's order (the JVM's names; .NET's figures where a JVM one has no equivalent).</summary>
    public static IReadOnlyList<(string Key, string Value)> Environment()
    {
        var (free, total, max) = Memory();
        return
        [
            ("zookeeper.version", Version),
            ("host.name", System.Environment.MachineName),
            ("java.version", "n/a (.NET " + System.Environment.Version + ")"),
            ("java.vendor", "n/a"),
            ("java.home", "n/a"),
            ("java.class.path", "n/a"),
            ("java.library.path", "n/a"),
            ("java.io.tmpdir", Path.GetTempPath()),
            ("java.compiler", "<NA>"),
            ("os.name", RuntimeInformation.OSDescription),
            ("os.arch", RuntimeInformation.OSArchitecture.ToString()),
            ("os.version", System.Environment.OSVersion.Version.ToString()),
            ("user.name", System.Environment.UserName),
            ("user.home", System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile)),
            ("user.dir", System.Environment.CurrentDirectory),
            ("os.memory.free", (free / 1048576).ToString(CultureInfo.InvariantCulture) + "MB"),
            ("os.memory.max", (max / 1048576).ToString(CultureInfo.InvariantCulture) + "MB"),
            ("os.memory.total", (total / 1048576).ToString(CultureInfo.InvariantCulture) + "MB"),
        ];
    }

    /// <summary>
    /// ZooKeeper prints the JVM's Runtime free/total/maxMemory: the heap's unused part, the heap committed now, and
    /// the most the heap may grow to (-Xmx). The managed heap's equivalents: max = the GC's limit
    /// (TotalAvailableMemoryBytes: physical memory, the container's limit or GCHeapHardLimit); total = the heap
    /// committed at the last GC, or what is in use if that has grown past it since (committed holds at least what
    /// is in use); free = total - in use. So free &lt;= total, and total &lt;= max unless the heap outgrows its limit.
    /// </summary>
    internal static (long Free, long Total, long Max) Memory()
    {
        var info = GC.GetGCMemoryInfo();
        long inUse = GC.GetTotalMemory(forceFullCollection: false);
        long total = Math.Max(info.TotalCommittedBytes, inUse);
        return (total - inUse, total, info.TotalAvailableMemoryBytes);
    }

    /// <summary>
    /// The soft RLIMIT_NOFILE of this process (what the JVM's getMaxFileDescriptorCount reports for ZooKeeper;
    /// .NET, like the JVM, raises the soft limit to the hard one at start). "unlimited" is -1, as the JVM's cast of
    /// RLIM_INFINITY. Null where /proc is not there; mntr then leaves the line out, as ZooKeeper off Unix.
    /// </summary>
    internal static long? MaxOpenFiles()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
                var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return soft == "unlimited" ? -1 : long.Parse(soft, CultureInfo.InvariantCulture);
            }
            return null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    internal static int OpenFileDescriptors()
    {
        try { return Directory.GetFiles("/proc/self/fd").Length; } catch (IOException) { return -1; } catch (UnauthorizedAccessException) { return -1; }
    }

    /// <summary>Bytes in a folder and below (conf's dataDirSize; 0 if it cannot be read).</summary>
    public static long DirectorySize(string dir)
    {
        try { return new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length); }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }

    /// <summary>cons's lop: the names ZooKeeper 3.8's FinalRequestProcessor gives each request type.</summary>
    internal static string ShortName(OpCode? op) => op switch
    {
        OpCode.CreateSession => "SESS",
        OpCode.CloseSession => "CLOS",
        OpCode.Ping => "PING",
        OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => "CREA",
        OpCode.Delete or OpCode.DeleteContainer => "DELE",
        OpCode.Exists => "EXIS",
        OpCode.GetData => "GETD",
        OpCode.SetData => "SETD",
        OpCode.GetAcl => "GETA",
        OpCode.SetAcl => "SETA",
        OpCode.GetChildren or OpCode.GetChildren2 => "GETC",
        OpCode.Sync => "SYNC",
        OpCode.Check => "CHEC",
        OpCode.Multi => "MULT",
        OpCode.MultiRead => "MLTR",
        OpCode.Reconfig => "RECO",
        OpCode.CheckWatches => "CHKW",
        OpCode.RemoveWatches => "REMW",
        OpCode.SetWatches => "SETW",
        OpCode.SetWatches2 => "STW2",
        OpCode.AddWatch => "ADDW",
        OpCode.GetEphemerals => "GETE",
        OpCode.GetAllChildrenNumber => "GETACN",
        OpCode.WhoAmI => "HOMI",
        _ => "NA",
    };
}
