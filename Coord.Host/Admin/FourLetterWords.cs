using System.Buffers;
using System.Globalization;
using System.Text;
using Coord.Actors.Applier;
using Coord.Host.Connections;

namespace Coord.Host.Admin;

/// <summary>
/// ZooKeeper's four-letter words on the client port, with ZooKeeper's output formats (tools such as
/// zkServer.sh status and kazoo's server_version parse them). The figures come from <see cref="AdminFigures"/>, which
/// the admin HTTP commands read too.
/// </summary>
public sealed class FourLetterWords(AdminFigures figures)
{
    /// <summary>The version string clients parse: the ZooKeeper protocol level we speak, then ours.</summary>
    public const string Version = AdminFigures.Version;

    public static readonly IReadOnlyList<string> Supported =
        ["ruok", "srvr", "stat", "envi", "mntr", "conf", "cons", "crst", "srst", "wchs", "wchc", "wchp", "dump", "isro", "dirs"];

    private static readonly string[] Known =
        [.. Supported, "gtmk", "stmk", "hash"];

    private ServerFacts facts => figures.Facts;

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
            case "crst": figures.ResetConnectionStats(); return "Connection stats reset.\n";
            case "srst": figures.ResetServerStats(); return "Server stats reset.\n";
            case "conf": return Conf();
            case "envi": return Envi();
            case "cons": return Cons();
            case "dirs":
            {
                // ZooKeeper: the bytes under dataDir (snapshots) and dataLogDir (txn logs); Coord keeps both in one folder.
                long size = AdminFigures.DirectorySize(facts.DataDir);
                return $"datadir_size: {size}\nlogdir_size: {size}\n";
            }
        }
        if (!Supported.Contains(word)) return $"{word} is not supported by this server.\n";
        switch (word)
        {
            case "srvr": return Srvr(await figures.CoreStatsAsync(ct), withClients: false);
            case "stat": return Srvr(await figures.CoreStatsAsync(ct), withClients: true);
            case "mntr": return Mntr(await figures.CoreStatsAsync(ct));
            case "wchs":
            {
                var (connections, paths, watches) = (await figures.WatchesAsync(ct)).Summary;
                return $"{connections} connections watching {paths} paths\nTotal watches:{watches}\n";
            }
            case "wchc":
            {
                var report = await figures.WatchesAsync(ct);
                var sb = new StringBuilder();
                foreach (var (sid, paths) in report.BySession)
                {
                    sb.Append("0x").Append(sid.ToString("x", CultureInfo.InvariantCulture)).Append('\n');
                    foreach (var p in paths) sb.Append('\t').Append(p).Append('\n');
                }
                return sb.Append('\n').ToString(); // ZooKeeper ends the dump with an empty line
            }
            case "wchp":
            {
                var report = await figures.WatchesAsync(ct);
                var sb = new StringBuilder();
                foreach (var (path, sessions) in report.ByPath)
                {
                    sb.Append(path).Append('\n');
                    foreach (var sid in sessions) sb.Append("\t0x").Append(sid.ToString("x", CultureInfo.InvariantCulture)).Append('\n');
                }
                return sb.Append('\n').ToString(); // ZooKeeper ends the dump with an empty line
            }
            case "dump": return await Dump(ct);
        }
        return "";
    }

    private string Srvr(CoreStats s, bool withClients)
    {
        var stats = figures.Stats;
        var sb = new StringBuilder();
        sb.Append("Zookeeper version: ").Append(Version).Append('\n');
        if (withClients)
        {
            sb.Append("Clients:\n");
            foreach (var c in figures.Connections) AppendConnection(sb, c, brief: true).Append('\n');
            sb.Append('\n');
        }
        var (min, avg, max, _) = stats.Latency.Snapshot();
        sb.Append(CultureInfo.InvariantCulture, $"Latency min/avg/max: {min:0.###}/{avg:0.0###}/{max:0.###}\n");
        sb.Append("Received: ").Append(stats.Received).Append('\n');
        sb.Append("Sent: ").Append(stats.Sent).Append('\n');
        sb.Append("Connections: ").Append(figures.ConnectionCount).Append('\n');
        sb.Append("Outstanding: ").Append(s.OutstandingRequests).Append('\n');
        sb.Append("Zxid: 0x").Append(s.LastZxid.ToString("x", CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("Mode: ").Append(figures.Role.ServerState).Append('\n');
        sb.Append("Node count: ").Append(s.NodeCount).Append('\n');
        return sb.ToString();
    }

    private string Mntr(CoreStats s)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in figures.Monitor(s))
        {
            var text = v switch
            {
                double d => d.ToString("0.0###", CultureInfo.InvariantCulture),
                long n => n.ToString(CultureInfo.InvariantCulture),
                _ => v.ToString(),
            };
            sb.Append(k).Append('\t').Append(text).Append('\n');
        }
        return sb.ToString();
    }

    private string Conf()
    {
        long dataDirSize = AdminFigures.DirectorySize(facts.DataDir);
        var sb = new StringBuilder();
        sb.Append("clientPort=").Append(facts.ClientPort).Append('\n');
        sb.Append("secureClientPort=-1\n");
        sb.Append("dataDir=").Append(facts.DataDir).Append('\n');
        sb.Append("dataDirSize=").Append(dataDirSize).Append('\n');
        sb.Append("dataLogDir=").Append(facts.DataDir).Append('\n');
        sb.Append("dataLogSize=").Append(dataDirSize).Append('\n');
        sb.Append("tickTime=").Append(facts.TickMs).Append('\n');
        sb.Append("maxClientCnxns=").Append(facts.MaxClientCnxns).Append('\n');
        sb.Append("minSessionTimeout=").Append(facts.MinSessionTimeoutMs).Append('\n');
        sb.Append("maxSessionTimeout=").Append(facts.MaxSessionTimeoutMs).Append('\n');
        sb.Append("clientPortListenBacklog=").Append(facts.ListenBacklog).Append('\n');
        sb.Append("serverId=").Append(facts.ServerId).Append('\n');
        return sb.ToString();
    }

    private static string Envi()
    {
        var sb = new StringBuilder("Environment:\n");
        foreach (var (k, v) in AdminFigures.Environment()) sb.Append(k).Append('=').Append(v).Append('\n');
        return sb.ToString();
    }

    private string Cons()
    {
        var sb = new StringBuilder();
        foreach (var c in figures.Connections) AppendConnection(sb, c, brief: false).Append('\n');
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
            sb.Append(inv, $",sid=0x{f.SessionId:x},lop={AdminFigures.ShortName(f.LastOp)},est={f.EstablishedAtMs},to={f.SessionTimeoutMs}");
            if (f.LastCxid >= 0) sb.Append(inv, $",lcxid=0x{f.LastCxid:x}");
            sb.Append(inv, $",lzxid=0x{f.LastZxid:x},lresp={f.LastResponseMs},llat={f.LastLatencyMs}")
                .Append(inv, $",minlat={f.MinLatencyMs},avglat={f.AvgLatencyMs},maxlat={f.MaxLatencyMs}");
        }
        return sb.Append(')');
    }

    private async Task<string> Dump(CancellationToken ct)
    {
        var (expiry, ephemerals) = await figures.DumpAsync(ct);
        var sb = new StringBuilder("SessionTracker dump:\n");
        sb.Append("Session Sets (").Append(expiry.Expiry.Count).Append(")/(")
            .Append(expiry.Expiry.Sum(e => e.Sessions.Count)).Append("):\n");
        foreach (var (at, sessions) in expiry.Expiry)
        {
            sb.Append(sessions.Count).Append(" expire at ").Append(at).Append(":\n");
            foreach (var sid in sessions) sb.Append("\t0x").Append(sid.ToString("x", CultureInfo.InvariantCulture)).Append('\n');
        }
        sb.Append("ephemeral nodes dump:\n");
        sb.Append("Sessions with Ephemerals (").Append(ephemerals.Ephemerals.Count).Append("):\n");
        foreach (var (sid, paths) in ephemerals.Ephemerals)
        {
            sb.Append("0x").Append(sid.ToString("x", CultureInfo.InvariantCulture)).Append(":\n");
            foreach (var p in paths) sb.Append('\t').Append(p).Append('\n');
        }
        sb.Append("Connections dump:\n");
        sb.Append("Connections Sets (1)/(").Append(figures.ConnectionCount).Append("):\n");
        return sb.ToString();
    }
}
