using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Bench;

/// <summary>The figures of one fresh follower's sync (one server, one round).</summary>
public sealed record SyncFreshResult(string Server, int Round, IReadOnlyDictionary<string, double> Figures, string? Failure, string Json) : IFigureRun
{
    public bool Clean => Failure is null;
}

/// <summary>
/// --sync-fresh --compare: how long a member with an empty data folder takes to join a loaded ensemble (issue 12's
/// "a fresh follower synced from a 1,000,000-znode leader no slower than ZooKeeper's"). Per round and server (order
/// swapped every round): an ensemble from zoo.cfg files with its last member held back (its dataDir holds only myid);
/// --znodes creates of --value-bytes each, under parents of 1000, pipelined through the leader by C clients with K in
/// flight; then the held-back member's process is started, and the time from that start until it answers <c>srvr</c>
/// with <c>Mode: follower</c> is measured (polled every 10 ms, the same question to both servers: ZooKeeper answers
/// srvr only once its follower is synced and serving, Coord reports follower only while it serves). Afterwards its
/// <c>srvr</c> Node count must equal the leader's, which must be what was there before plus everything created.
/// </summary>
public static class SyncFresh
{
    private static readonly TimeSpan SrvrPoll = TimeSpan.FromMilliseconds(10);
    private const int PerParent = 1000;

    /// <summary>Table rows: (figure, whether coord/zk means something for it).</summary>
    private static readonly FigureRow[] Rows =
    [
        new("synced_ms"), new("coord_role_line_ms", Ratio: false), new("fill_creates_per_s"), new("znodes_expected", Ratio: false),
        new("znodes_leader", Ratio: false), new("znodes_fresh", Ratio: false), new("fresh_rss_mib"), new("coord_synced_by_snapshot", Ratio: false),
    ];

    public static async Task<int> RunAsync(BenchOptions o, CancellationToken ct)
    {
        string coordDll = o.CoordDll ?? await Compare.LocateCoordDllAsync(ct);
        var settings = new Ensemble.Settings(o.Ensemble, coordDll, o.ZooKeeperForceSync, o.ZooKeeperHeapMib);
        var shape = o.Shapes[0];
        Console.WriteLine($"# coord: {coordDll} (built {File.GetLastWriteTimeUtc(coordDll):yyyy-MM-dd HH:mm:ss} UTC)");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# sync-fresh: ensembles of {o.Ensemble} from zoo.cfg (tickTime {Ensemble.TickMs}, initLimit {Ensemble.InitLimitTicks}, syncLimit {Ensemble.SyncLimitTicks}; zookeeper forceSync={(o.ZooKeeperForceSync ? "yes" : "no")}, -Xmx{o.ZooKeeperHeapMib}m), member {o.Ensemble} held back with an empty dataDir"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {o.Znodes} znodes of {o.ValueBytes} B under parents of {PerParent}, created through the leader by {shape}; then member {o.Ensemble} starts: process start -> srvr 'Mode: follower' (polled every {SrvrPoll.TotalMilliseconds:0} ms); {o.Rounds} round(s)"));

        var results = new List<SyncFreshResult>();
        for (int round = 1; round <= o.Rounds; round++)
        {
            string[] order = round % 2 == 1 ? ["zookeeper", "coord"] : ["coord", "zookeeper"];
            foreach (var server in order)
            {
                var r = await RunOnceAsync(server, round, settings, o, ct);
                results.Add(r);
                Console.WriteLine(Line(r));
                Console.WriteLine("json " + r.Json);
            }
        }

        return FigureTable.Finish(string.Create(CultureInfo.InvariantCulture, $"sync-fresh over {o.Rounds} round(s): medians; ratio = coord/zk"),
            results, Rows, o.Markdown, "failed", Line);
    }

    private static string Line(SyncFreshResult r)
    {
        string F(string name) => r.Figures.TryGetValue(name, out double v) ? v.ToString("0.#", CultureInfo.InvariantCulture) : "-";
        return r.Failure is not null
            ? $"sync-fresh {r.Server,-9} round {r.Round}: FAILED: {r.Failure}"
            : $"sync-fresh {r.Server,-9} round {r.Round}: synced {F("synced_ms")} ms after its start (role line {F("coord_role_line_ms")} ms), " +
              $"znodes {F("znodes_fresh")} of {F("znodes_expected")}, fill {F("fill_creates_per_s")} creates/s, fresh member rss {F("fresh_rss_mib")} MiB";
    }

    private static async Task<SyncFreshResult> RunOnceAsync(string server, int round, Ensemble.Settings settings, BenchOptions o, CancellationToken ct)
    {
        var figures = new Dictionary<string, double>();
        Ensemble? ensemble = null;
        try
        {
            ensemble = await Ensemble.StartAsync(server, settings, ct, heldBack: settings.Size);
            var fresh = ensemble.Members[^1];
            var leader = ensemble.Leader;
            long before = await Ensemble.NodeCountAsync(leader, ct)
                ?? throw new InvalidOperationException($"the leader (member {leader.Id}) answered no srvr Node count\n{ensemble.Tail()}");

            var (created, seconds) = await FillAsync(leader, $"/sync-fresh-{o.Label}-{round}", o, ct);
            figures["fill_creates_per_s"] = Math.Round(o.Znodes / seconds, 1);
            long expected = before + created;
            figures["znodes_expected"] = expected;
            long? onLeader = await Ensemble.NodeCountAsync(leader, ct);
            if (onLeader is { } n) figures["znodes_leader"] = n;
            if (onLeader != expected)
                throw new InvalidOperationException($"the leader holds {onLeader?.ToString(CultureInfo.InvariantCulture) ?? "?"} znodes after the fill, expected {expected}");

            // The sync: from the fresh member's process start until it answers srvr as a follower.
            var timeout = TimeSpan.FromSeconds(60 + o.Znodes / 2000.0);
            ensemble.StartMember(fresh);
            bool bySnapshot = false;
            fresh.Process.LineReceived += line => bySnapshot |= line.Contains("Installed the leader's snapshot", StringComparison.Ordinal);
            long started = fresh.Process.StartedTimestamp;
            var roleLine = server == "coord"
                ? ensemble.WaitForRoleLineAsync(fresh, r => r is { State: "following", Serving: true }, timeout, ct)
                : null;
            figures["synced_ms"] = Math.Round(await WaitForFollowerAsync(fresh, started, timeout, ct), 1);
            if (roleLine is not null)
            {
                figures["coord_role_line_ms"] = Math.Round(Setup.SecondsBetween(started, await roleLine) * 1000, 1);
                figures["coord_synced_by_snapshot"] = bySnapshot ? 1 : 0;
            }
            if (ProcStats.Sample(fresh.Process.Pid) is { } sample) figures["fresh_rss_mib"] = Math.Round(sample.RssKib / 1024.0, 1);
            long? onFresh = await Ensemble.NodeCountAsync(fresh, ct);
            if (onFresh is { } f) figures["znodes_fresh"] = f;
            if (onFresh != expected)
                throw new InvalidOperationException($"the fresh member holds {onFresh?.ToString(CultureInfo.InvariantCulture) ?? "?"} znodes once it follows, expected {expected}");
            return new SyncFreshResult(server, round, figures, null, Json(server, round, figures, null));
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is InvalidOperationException or TimeoutException or IOException
                                      or System.Net.Sockets.SocketException or System.ComponentModel.Win32Exception)
        {
            string failure = ensemble is not null && e is not TimeoutException ? $"{e.Message}\n{ensemble.Tail()}" : e.Message;
            return new SyncFreshResult(server, round, figures, failure, Json(server, round, figures, e.Message.Split('\n')[0]));
        }
        finally
        {
            if (ensemble is not null) await ensemble.DisposeAsync();
        }
    }

    /// <summary>
    /// Creates <c>root</c>, ceil(N/1000) parents and N children of --value-bytes each through <paramref name="leader"/>: C
    /// connections, K creates in flight each. Returns the znodes created and the seconds the children took.
    /// </summary>
    private static async Task<(long Created, double Seconds)> FillAsync(EnsembleMember leader, string root, BenchOptions o, CancellationToken ct)
    {
        int total = o.Znodes;
        int parents = (total + PerParent - 1) / PerParent;
        string Parent(int p) => string.Create(CultureInfo.InvariantCulture, $"{root}/d{p:D4}");
        string Node(int i) => string.Create(CultureInfo.InvariantCulture, $"{Parent(i / PerParent)}/n{i % PerParent:D3}");
        var value = new byte[o.ValueBytes];
        new Random(42).NextBytes(value);

        var setup = new List<(OpCode, IJuteWritable)> { (OpCode.Create, new CreateRequest(root, null, Acl.OpenAclUnsafe, 0)) };
        for (int p = 0; p < parents; p++) setup.Add((OpCode.Create, new CreateRequest(Parent(p), null, Acl.OpenAclUnsafe, 0)));
        await using (var conn = await BenchConnection.ConnectAsync(leader.EndPoint, ct))
        {
            var bad = (await conn.PipelineAsync(setup, ct)).Where(c => c != ErrorCode.Ok).ToList();
            if (bad.Count > 0) throw new InvalidOperationException($"creating {root} and its parents on the leader: {bad[0]}");
            await conn.CloseSessionAsync(ct);
        }

        var shape = o.Shapes[0];
        var conns = new List<BenchConnection>();
        try
        {
            for (int c = 0; c < shape.Clients; c++) conns.Add(await BenchConnection.ConnectAsync(leader.EndPoint, ct));
            var codes = new Dictionary<ErrorCode, long>[shape.Clients];
            long start = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, shape.Clients).Select(c => Task.Run(async () =>
            {
                codes[c] = new Dictionary<ErrorCode, long>();
                int mine = total / shape.Clients + (c < total % shape.Clients ? 1 : 0);
                await CountedLoop.RunAsync(conns[c], mine, shape.Outstanding, (w, xid, i) =>
                {
                    int frame = w.BeginFrame();
                    new RequestHeader(xid, OpCode.Create).Write(w);
                    new CreateRequest(Node(c + i * shape.Clients), value, Acl.OpenAclUnsafe, 0).Write(w);
                    w.EndFrame(frame);
                }, new LatencyHistogram(), codes[c], ct);
            }, ct)));
            double seconds = Setup.SecondsSince(start);
            var errors = codes.SelectMany(d => d).Where(kv => kv.Key != ErrorCode.Ok && kv.Value > 0).ToList();
            if (errors.Count > 0)
                throw new InvalidOperationException($"creates on the leader failed: {string.Join(", ", errors.Select(kv => $"{kv.Key} x{kv.Value}"))}");
            foreach (var conn in conns) await conn.CloseSessionAsync(ct);
            return (1 + parents + total, seconds);
        }
        finally
        {
            foreach (var conn in conns) await conn.DisposeAsync();
        }
    }

    /// <summary>Milliseconds from <paramref name="started"/> until the member answers srvr with Mode: follower.</summary>
    private static async Task<double> WaitForFollowerAsync(EnsembleMember m, long started, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (await Ensemble.ModeAsync(m, ct) == "follower") return Setup.SecondsSince(started) * 1000;
            if (!m.Running) throw new InvalidOperationException($"the fresh member {m.Id} exited while syncing");
            if (deadline.Elapsed > timeout) throw new TimeoutException($"the fresh member {m.Id} was no follower {timeout.TotalSeconds:0} s after its start\n{m.Process.Tail()}");
            await Task.Delay(SrvrPoll, ct);
        }
    }

    private static string Json(string server, int round, Dictionary<string, double> figures, string? failure)
    {
        using var stream = new MemoryStream();
        using (var j = new Utf8JsonWriter(stream))
        {
            j.WriteStartObject();
            j.WriteString("mode", "sync-fresh");
            j.WriteString("server", server);
            j.WriteNumber("round", round);
            foreach (var (name, value) in figures.OrderBy(f => f.Key, StringComparer.Ordinal)) j.WriteNumber(name, value);
            if (failure is null) j.WriteNull("failure"); else j.WriteString("failure", failure);
            j.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
