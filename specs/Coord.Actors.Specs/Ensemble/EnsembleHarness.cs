using System.Diagnostics;
using Akka.Actor;
using Akka.Remote;
using Akka.Remote.Transport;
using Coord.Actors.Ensemble;
using Coord.Actors.Replication;
using Coord.Actors.Settings;
using Coord.Actors.Specs.Sequencer;
using Coord.Protocol;
using Coord.Protocol.Records;
using Xunit.Abstractions;

namespace Coord.Actors.Specs.Ensemble;

/// <summary>
/// An ensemble in one process: one ActorSystem per member on a loopback port, each running a member's core as
/// <c>coord serve</c> does (Coord.Host's EnsembleBoot is the model: system name "coord", peers at
/// <c>{address}/user/core/replication</c>, the peer serializer bound), with real time and short ZooKeeper limits.
/// Partitions go through Akka.Remote's throttler adapter (<see cref="CutOffAsync"/>, <see cref="HealAsync"/>);
/// restarts reuse the member's journal, snapshot folder and port. Disposing stops every system and deletes the folder.
/// </summary>
internal sealed class EnsembleHarness : IAsyncDisposable
{
    public const string CoreName = "core";

    /// <summary>ZooKeeper's tickTime for the ensemble; init and sync limits are 10 and 5 ticks, as in the server's defaults.</summary>
    public const int TickMs = 200;

    public static ReplicationTiming Timing { get; } = ReplicationTiming.FromTicks(TickMs, initLimitTicks: 10, syncLimitTicks: 5);

    /// <summary>Long enough for any role change the specs wait for on a busy 2-core machine, short enough to fail fast.</summary>
    public static TimeSpan RoleTimeout { get; } = TimeSpan.FromSeconds(20);

    public static CoordSettings Settings { get; } = CoordSettings.Default with
    {
        TickMs = TickMs,
        Session = new SessionSettings(TimeoutMsMin: 2 * TickMs, TimeoutMsMax: 60_000, SessionsMax: 10_000),
    };

    private readonly string _folder;
    private readonly int _windowTxnsMax;
    private readonly int _snapshotChunkBytes;
    private readonly Dictionary<long, int> _starts = new();

    private EnsembleHarness(string folder, int windowTxnsMax, int snapshotChunkBytes)
    {
        _folder = folder;
        _windowTxnsMax = windowTxnsMax;
        _snapshotChunkBytes = snapshotChunkBytes;
    }

    public IReadOnlyList<EnsembleMember> Members { get; private set; } = [];

    public EnsembleMember this[long id] => Members.Single(m => m.Id == id);

    /// <summary>
    /// Starts <paramref name="count"/> members: every ActorSystem first (each binds port 0), then each core with the
    /// others' real bound addresses.
    /// </summary>
    /// <param name="beforeCores">Runs once every system is bound and before any core starts (to cut links from the start).</param>
    /// <param name="snapshotChunkBytes">The size SNAP cuts a snapshot into (small, to stream a small tree in several chunks).</param>
    public static async Task<EnsembleHarness> StartAsync(ITestOutputHelper? output, int count = 3,
        int windowTxnsMax = 100_000, Func<EnsembleHarness, Task>? beforeCores = null,
        int snapshotChunkBytes = ReplicationConfig.SnapshotChunkBytesDefault)
    {
        var folder = Path.Combine(Path.GetTempPath(), "coord-ensemble-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var h = new EnsembleHarness(folder, windowTxnsMax, snapshotChunkBytes);
        var since = Stopwatch.StartNew();
        try
        {
            h.Members = [.. Enumerable.Range(1, count).Select(i => new EnsembleMember(h, i, folder, output, since))];
            foreach (var m in h.Members) m.StartSystem();
            if (beforeCores is not null) await beforeCores(h);
            foreach (var m in h.Members) await h.StartCoreAsync(m);
            return h;
        }
        catch
        {
            await h.DisposeAsync();
            throw;
        }
    }

    private ReplicationConfig ConfigFor(EnsembleMember m) =>
        new(m.Id, [.. Members.Select(x => new ReplicationMember(x.Id, Observer: false))], Timing, WindowTxnsMax: _windowTxnsMax,
            SnapshotChunkBytes: _snapshotChunkBytes);

    /// <summary>Where <paramref name="m"/> finds the other members' replication actors: their bound addresses.</summary>
    private EnsemblePeers PeersOf(EnsembleMember m) => new(Members.Where(x => x.Id != m.Id)
        .ToDictionary(x => x.Id, x => $"{x.Address}/user/{CoreName}/replication"));

    private Task StartCoreAsync(EnsembleMember m)
    {
        int start = _starts[m.Id] = _starts.GetValueOrDefault(m.Id) + 1;
        return m.StartCoreAsync(ConfigFor(m), PeersOf(m), Settings, incarnation: start);
    }

    /// <summary>A restart: the member's ActorSystem terminates, then a new one binds the same port and recovers from its journal.</summary>
    public async Task RestartAsync(EnsembleMember m)
    {
        await m.StopAsync();
        await StartAgainAsync(m);
    }

    /// <summary>Starts a stopped member again on its port, from its journal and snapshot folder.</summary>
    public async Task StartAgainAsync(EnsembleMember m)
    {
        int port = m.Port;
        m.StartSystem();
        Assert.Equal(port, m.Port);
        await StartCoreAsync(m);
    }

    // ---- partitions ----

    /// <summary>Drops every message between <paramref name="m"/> and each other running member, both ways, on both ends.</summary>
    public Task CutOffAsync(EnsembleMember m) => ThrottleAsync(m, Members.Where(x => x.Id != m.Id && x.Running), Blackhole.Instance);

    /// <summary>Lets messages between <paramref name="m"/> and the others through again.</summary>
    public Task HealAsync(EnsembleMember m) => ThrottleAsync(m, Members.Where(x => x.Id != m.Id && x.Running), Unthrottled.Instance);

    /// <summary>Drops every message between <paramref name="a"/> and <paramref name="b"/> only.</summary>
    public Task CutAsync(EnsembleMember a, EnsembleMember b) => ThrottleAsync(a, [b], Blackhole.Instance);

    /// <summary>Lets messages between <paramref name="a"/> and <paramref name="b"/> through again.</summary>
    public Task HealAsync(EnsembleMember a, EnsembleMember b) => ThrottleAsync(a, [b], Unthrottled.Instance);

    /// <summary>Drops every message <paramref name="from"/> sends <paramref name="to"/>; the other direction still flows.</summary>
    public async Task CutOneWayAsync(EnsembleMember from, EnsembleMember to)
    {
        await SetThrottleAsync(from, to, Blackhole.Instance, ThrottleTransportAdapter.Direction.Send);
        from.Log.Note($"sends nothing more to m{to.Id}");
    }

    private static async Task ThrottleAsync(EnsembleMember m, IEnumerable<EnsembleMember> others, ThrottleMode mode)
    {
        var toward = others.ToList();
        foreach (var other in toward)
        {
            await SetThrottleAsync(m, other, mode);
            await SetThrottleAsync(other, m, mode);
        }
        m.Log.Note($"{(mode is Blackhole ? "cut off from" : "healed with")} {string.Join(", ", toward.Select(x => "m" + x.Id))}");
    }

    private static async Task SetThrottleAsync(EnsembleMember on, EnsembleMember toward, ThrottleMode mode,
        ThrottleTransportAdapter.Direction direction = ThrottleTransportAdapter.Direction.Both)
    {
        // What RARP.For(system).Provider.Transport gives inside Akka.Remote (RARP is internal in 1.5).
        var transport = ((IRemoteActorRefProvider)((ExtendedActorSystem)on.System!).Provider).Transport;
        bool done = await transport.ManagementCommand(new SetThrottle(toward.Address, direction, mode))
            .WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(done, $"m{on.Id}: the throttler refused {mode} toward {toward.Address}");
    }

    // ---- roles ----

    /// <summary>
    /// Waits until one of <paramref name="members"/> leads and serves and every other one follows it and serves;
    /// returns the leader. Event-driven: each wait completes on a role report.
    /// </summary>
    public async Task<EnsembleMember> WaitForLeaderAsync(IReadOnlyCollection<EnsembleMember>? members = null, TimeSpan? timeout = null)
    {
        var among = members ?? Members;
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? RoleTimeout;
        while (true)
        {
            using var others = new CancellationTokenSource();
            var leading = among.Select(m => m.WaitForRoleAsync(r => r.State == PeerState.Leading && r.Serving, Remaining(), "leading and serving", others.Token)).ToList();
            var first = await Task.WhenAny(leading);
            var leader = among.ElementAt(leading.IndexOf(first));
            await first;
            others.Cancel(); // the waits on the other members end now, not at their timeout
            await Task.WhenAll(leading).ContinueWith(_ => { }, TaskScheduler.Default);
            try
            {
                foreach (var m in among.Where(m => m != leader)) await m.WaitFollowingAsync(leader, Remaining());
                // Still leading: a leader that lost its quorum meanwhile would have reported it.
                if (leader.IsLeader) return leader;
            }
            catch (TimeoutException) when (deadline.Elapsed < limit && !leader.IsLeader)
            {
                // The one that led first lost the role meanwhile (an election in progress); wait for the next.
            }
        }

        TimeSpan Remaining() => limit - deadline.Elapsed is { Ticks: > 0 } left ? left : TimeSpan.Zero;
    }

    /// <summary>Every member's role, for failure messages.</summary>
    public string Describe() => string.Join("; ", Members.Select(m => m.ToString()));

    // ---- what clients see ----

    /// <summary>
    /// The tree as a client of <paramref name="c"/>'s member reads it after a sync: every path with its data, version
    /// and ephemeral owner, in path order. Two members with equal dumps serve the same state.
    /// </summary>
    public static async Task<IReadOnlyList<string>> DumpAsync(Client c)
    {
        var sync = await c.CallAsync(OpCode.Sync, new PathRequest("/"));
        Assert.Equal(ErrorCode.Ok, sync.Header.Err);
        var lines = new List<string>();
        var pending = new Stack<string>();
        pending.Push("/");
        while (pending.TryPop(out var path))
        {
            var data = await c.CallAsync(OpCode.GetData, new PathWatchRequest(path, false));
            Assert.Equal(ErrorCode.Ok, data.Header.Err);
            var node = FakeConnection.Body<GetDataResponse>(data.Body);
            lines.Add($"{path} v{node.Stat.Version} owner {node.Stat.EphemeralOwner:x} czxid {node.Stat.Czxid:x} data {Convert.ToHexString(node.Data ?? [])}");
            var children = await c.CallAsync(OpCode.GetChildren, new PathWatchRequest(path, false));
            Assert.Equal(ErrorCode.Ok, children.Header.Err);
            foreach (var child in FakeConnection.Body<GetChildrenResponse>(children.Body).Children)
                pending.Push(path == "/" ? "/" + child : path + "/" + child);
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var m in Members)
        {
            try { await m.StopAsync(); }
            catch (TimeoutException) { } // keep cleaning up the others
        }
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }
}
