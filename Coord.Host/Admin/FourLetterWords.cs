using System.Buffers;
using System.Globalization;
using System.Text;
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
/// ZooKeeper's four-letter words on the client port, with ZooKeeper's output formats (tools such as
/// zkServer.sh status and kazoo's server_version parse them).
/// </summary>
public sealed class FourLetterWords(CoreRefs core, ConnectionRegistry connections, ServerStats stats, ServerFacts facts)
{
    /// <summary>The version string clients parse: the ZooKeeper protocol level we speak, then ours.</summary>
    public const string Version = "3.9.4-coord-0.1.0, built on 2026-11-22 00:00 UTC";

    public static readonly IReadOnlyList<string> Supported =
        ["ruok", "srvr", "stat", "envi", "mntr", "conf", "cons", "crst", "srst", "wchs", "wchc", "wchp", "dump", "isro"];

    private static readonly string[] Known =
        [.. Supported, "dirs", "gtmk", "stmk", "hash"];

    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(5);

    /// <summary>True if the first four bytes of a connection spell a four-letter word rather than a frame length.</summary>
    public static bool TryParse(ReadOnlySequence<byte> first4, out string word)
    {
        Span<byte> b = stackalloc byte[4];
        first4.CopyTo(b);
        word = "";
        foreach (var c in b) if (c < 'a' || c > 'z') return false;
        string w = Encoding.ASCII.GetString(b);
        if (Array.IndexOf(Known, w) < 0) return false;
        word = w;
        return true;
    }

    public bool Allowed(string word) => facts.Whitelist.Contains("*") || facts.Whitelist.Contains(word);

    public async Task<string> RunAsync(string word, CancellationToken ct)
    {
        if (!Allowed(word)) return $"{word} is not executed because it is not in the whitelist.\n";
        switch (word)
        {
            case "ruok": return "imok";
            case "isro": return "rw";
            case "crst": connections.ResetStats(); return "Connection stats reset.\n";
            case "srst": stats.Reset(); return "Server stats reset.\n";
            case "conf": return Conf();
            case "envi": return Envi();
            case "cons": return Cons();
        }
        if (!Supported.Contains(word)) return $"{word} is not supported by this server.\n";
        switch (word)
        {
            case "srvr": return Srvr(await Stats(), withClients: false);
            case "stat": return Srvr(await Stats(), withClients: true);
            case "mntr": return Mntr(await Stats());
            case "wchs":
            {
                var s = await Stats();
                return $"{s.Watchers} connections watching {s.WatchedPaths} paths\nTotal watches:{s.WatchCount}\n";
            }
            case "wchc":
            {
                var report = await core.Applier.Ask<WatchReport>(WatchReportQuery.Instance, QueryTimeout, ct);
                var sb = new StringBuilder();
                foreach (var (sid, paths) in report.BySession)
                {
                    sb.Append("0x").Append(sid.ToString("x", CultureInfo.InvariantCulture)).Append('\n');
                    foreach (var p in paths) sb.Append('\t').Append(p).Append('\n');
                }
                return sb.ToString();
            }
            case "wchp":
            {
                var report = await core.Applier.Ask<WatchReport>(WatchReportQuery.Instance, QueryTimeout, ct);
                var sb = new StringBuilder();
                foreach (var (path, sessions) in report.ByPath)
                {
                    sb.Append(path).Append('\n');
                    foreach (var sid in sessions) sb.Append("\t0x").Append(sid.ToString("x", CultureInfo.InvariantCulture)).Append('\n');
                }
                return sb.ToString();
            }
            case "dump": return await Dump();
        }
        return "";
    }

    private Task<CoreStats> Stats() => core.Applier.Ask<CoreStats>(StatsQuery.Instance, QueryTimeout);

    private string Srvr(CoreStats s, bool withClients)
    {
        var sb = new StringBuilder();
        sb.Append("Zookeeper version: ").Append(Version).Append('\n');
        if (withClients)
        {
            sb.Append("Clients:\n");
            foreach (var c in connections.All()) AppendConnection(sb, c, brief: true).Append('\n');
            sb.Append('\n');
        }
        var (min, avg, max, _) = stats.Latency.Snapshot();
        sb.Append(CultureInfo.InvariantCulture, $"Latency min/avg/max: {min:0.###}/{avg:0.0###}/{max:0.###}\n");
        sb.Append("Received: ").Append(stats.Received).Append('\n');
        sb.Append("Sent: ").Append(stats.Sent).Append('\n');
        sb.Append("Connections: ").Append(connections.Count).Append('\n');
        sb.Append("Outstanding: ").Append(s.OutstandingRequests).Append('\n');
        sb.Append("Zxid: 0x").Append(s.LastZxid.ToString("x", CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("Mode: standalone\n");
        sb.Append("Node count: ").Append(s.NodeCount).Append('\n');
        return sb.ToString();
    }

    private string Mntr(CoreStats s)
    {
        var (min, avg, max, _) = stats.Latency.Snapshot();
        var lines = new List<(string, string)>
        {
            ("zk_version", Version),
            ("zk_server_state", "standalone"),
            ("zk_avg_latency", avg.ToString("0.0###", CultureInfo.InvariantCulture)),
            ("zk_max_latency", ((long)max).ToString(CultureInfo.InvariantCulture)),
            ("zk_min_latency", ((long)min).ToString(CultureInfo.InvariantCulture)),
            ("zk_packets_received", stats.Received.ToString(CultureInfo.InvariantCulture)),
            ("zk_packets_sent", stats.Sent.ToString(CultureInfo.InvariantCulture)),
            ("zk_num_alive_connections", connections.Count.ToString(CultureInfo.InvariantCulture)),
            ("zk_outstanding_requests", s.OutstandingRequests.ToString(CultureInfo.InvariantCulture)),
            ("zk_uptime", (Environment.TickCount64 - stats.StartedAtMs).ToString(CultureInfo.InvariantCulture)),
            ("zk_znode_count", s.NodeCount.ToString(CultureInfo.InvariantCulture)),
            ("zk_watch_count", s.WatchCount.ToString(CultureInfo.InvariantCulture)),
            ("zk_ephemerals_count", s.EphemeralCount.ToString(CultureInfo.InvariantCulture)),
            ("zk_approximate_data_size", s.ApproximateDataSize.ToString(CultureInfo.InvariantCulture)),
            ("zk_global_sessions", s.SessionCount.ToString(CultureInfo.InvariantCulture)),
            ("zk_local_sessions", "0"),
            ("zk_expired_sessions", s.ExpiredSessions.ToString(CultureInfo.InvariantCulture)),
            ("zk_open_file_descriptor_count", OpenFileDescriptors().ToString(CultureInfo.InvariantCulture)),
        };
        if (MaxOpenFiles() is { } maxFiles) lines.Add(("zk_max_file_descriptor_count", maxFiles.ToString(CultureInfo.InvariantCulture)));
        // Coord's own: batching since start (not reset by srst). Txns per journal batch is txns per fsync (group
        // commit); packets per socket write is how many replies and events leave in one send.
        lines.Add(("coord_journal_batches", core.Counters.JournalBatches.ToString(CultureInfo.InvariantCulture)));
        lines.Add(("coord_journal_txns", core.Counters.JournalTxns.ToString(CultureInfo.InvariantCulture)));
        lines.Add(("coord_packets_sent_total", stats.PacketsSentTotal.ToString(CultureInfo.InvariantCulture)));
        lines.Add(("coord_socket_writes", stats.SocketWrites.ToString(CultureInfo.InvariantCulture)));
        var sb = new StringBuilder();
        foreach (var (k, v) in lines) sb.Append(k).Append('\t').Append(v).Append('\n');
        return sb.ToString();
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

    private static int OpenFileDescriptors()
    {
        try { return Directory.GetFiles("/proc/self/fd").Length; } catch (IOException) { return -1; } catch (UnauthorizedAccessException) { return -1; }
    }

    private string Conf()
    {
        var sb = new StringBuilder();
        sb.Append("clientPort=").Append(facts.ClientPort).Append('\n');
        sb.Append("secureClientPort=-1\n");
        sb.Append("dataDir=").Append(facts.DataDir).Append('\n');
        sb.Append("dataDirSize=").Append(DirectorySize(facts.DataDir)).Append('\n');
        sb.Append("dataLogDir=").Append(facts.DataDir).Append('\n');
        sb.Append("dataLogSize=").Append(DirectorySize(facts.DataDir)).Append('\n');
        sb.Append("tickTime=").Append(facts.TickMs).Append('\n');
        sb.Append("maxClientCnxns=").Append(facts.MaxClientCnxns).Append('\n');
        sb.Append("minSessionTimeout=").Append(facts.MinSessionTimeoutMs).Append('\n');
        sb.Append("maxSessionTimeout=").Append(facts.MaxSessionTimeoutMs).Append('\n');
        sb.Append("clientPortListenBacklog=").Append(facts.ListenBacklog).Append('\n');
        sb.Append("serverId=").Append(facts.ServerId).Append('\n');
        return sb.ToString();
    }

    private static long DirectorySize(string dir)
    {
        try { return new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length); }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }

    private static string Envi()
    {
        var sb = new StringBuilder("Environment:\n");
        void Kv(string k, string? v) => sb.Append(k).Append('=').Append(v).Append('\n');
        Kv("zookeeper.version", Version);
        Kv("host.name", Environment.MachineName);
        Kv("java.version", "n/a (.NET " + Environment.Version + ")");
        Kv("java.vendor", "n/a");
        Kv("java.home", "n/a");
        Kv("java.class.path", "n/a");
        Kv("java.library.path", "n/a");
        Kv("java.io.tmpdir", Path.GetTempPath());
        Kv("java.compiler", "<NA>");
        Kv("os.name", System.Runtime.InteropServices.RuntimeInformation.OSDescription);
        Kv("os.arch", System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString());
        Kv("os.version", Environment.OSVersion.Version.ToString());
        Kv("user.name", Environment.UserName);
        Kv("user.home", Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        Kv("user.dir", Environment.CurrentDirectory);
        var (free, total, max) = Memory();
        Kv("os.memory.free", (free / 1048576) + "MB");
        Kv("os.memory.max", (max / 1048576) + "MB");
        Kv("os.memory.total", (total / 1048576) + "MB");
        return sb.ToString();
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

    private string Cons()
    {
        var sb = new StringBuilder();
        foreach (var c in connections.All()) AppendConnection(sb, c, brief: false).Append('\n');
        sb.Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// One connection as ZooKeeper 3.8's ServerCnxn.dumpConnectionInfo prints it: brief (stat, or no session yet)
    /// stops after sent; lcxid is left out while no request with a non-negative xid has been answered.
    /// </summary>
    private static StringBuilder AppendConnection(StringBuilder sb, ClientConnection c, bool brief)
    {
        var f = c.Figures();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(" /").Append(c.RemoteEndPoint).Append(f.Reading ? "[1]" : "[0]")
            .Append(inv, $"(queued={f.Outstanding},recved={f.Received},sent={f.Sent}");
        if (!brief && f.SessionId != 0)
        {
            sb.Append(inv, $",sid=0x{f.SessionId:x},lop={ShortName(f.LastOp)},est={f.EstablishedAtMs},to={f.SessionTimeoutMs}");
            if (f.LastCxid >= 0) sb.Append(inv, $",lcxid=0x{f.LastCxid:x}");
            sb.Append(inv, $",lzxid=0x{f.LastZxid:x},lresp={f.LastResponseMs},llat={f.LastLatencyMs}")
                .Append(inv, $",minlat={f.MinLatencyMs},avglat={f.AvgLatencyMs},maxlat={f.MaxLatencyMs}");
        }
        return sb.Append(')');
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

    private async Task<string> Dump()
    {
        // Expiry is the sequencer's (the leader tracks it), ephemerals are the applier's tree.
        var expiry = await core.Sequencer.Ask<ExpiryReport>(ExpiryQuery.Instance, QueryTimeout);
        var ephemerals = await core.Applier.Ask<EphemeralsReport>(EphemeralsQuery.Instance, QueryTimeout);
        var report = (expiry.Expiry, ephemerals.Ephemerals);
        var sb = new StringBuilder("SessionTracker dump:\n");
        sb.Append("Session Sets (").Append(report.Expiry.Count).Append(")/(")
            .Append(report.Expiry.Sum(e => e.Sessions.Count)).Append("):\n");
        foreach (var (at, sessions) in report.Expiry)
        {
            sb.Append(sessions.Count).Append(" expire at ").Append(at).Append(":\n");
            foreach (var sid in sessions) sb.Append("\t0x").Append(sid.ToString("x", CultureInfo.InvariantCulture)).Append('\n');
        }
        sb.Append("ephemeral nodes dump:\n");
        sb.Append("Sessions with Ephemerals (").Append(report.Ephemerals.Count).Append("):\n");
        foreach (var (sid, paths) in report.Ephemerals)
        {
            sb.Append("0x").Append(sid.ToString("x", CultureInfo.InvariantCulture)).Append(":\n");
            foreach (var p in paths) sb.Append('\t').Append(p).Append('\n');
        }
        sb.Append("Connections dump:\n");
        sb.Append("Connections Sets (1)/(").Append(connections.Count).Append("):\n");
        return sb.ToString();
    }
}
