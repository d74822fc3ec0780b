using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.TestKit.Xunit2.Internals;
using Coord.Actors.Applier;
using Coord.Actors.Core;
using Coord.Actors.Ensemble;
using Coord.Actors.Journal;
using Coord.Actors.Replication;
using Coord.Actors.Sessions;
using Coord.Actors.Settings;
using Coord.Actors.Specs.Sequencer;
using Coord.Actors.Time;
using Coord.Protocol.Records;
using Xunit.Abstractions;

namespace Coord.Actors.Specs.Ensemble;

/// <summary>
/// One member of an in-process ensemble: an ActorSystem named "coord" with Akka.Remote on 127.0.0.1 (the throttler
/// adapter applied, so specs can cut links), its core started as the server starts it (recovered from its journal
/// and snapshot folder), in-memory client connections, and the roles its replication reports. The journal object
/// and the snapshot folder outlive the ActorSystem: a restart is a new system on the same port recovering from them,
/// as a restarted process would.
/// </summary>
internal sealed class EnsembleMember : IConnectionDirectory
{
    private readonly EnsembleHarness _ensemble;
    private readonly ITestOutputHelper? _output;
    private readonly ConcurrentDictionary<long, FakeConnection> _connections = new();
    private readonly Lock _gate = new();
    private readonly List<(Func<RoleChanged, bool> Match, TaskCompletionSource<RoleChanged> Seen)> _waiters = [];
    private readonly TaskCompletionSource<Exception> _fatal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RoleChanged _role = Stopped;
    private int _generation;
    private Timer? _ticks;

    private static readonly RoleChanged Stopped = new(PeerState.Looking, 0, 0, false, "not running");

    public EnsembleMember(EnsembleHarness ensemble, long id, string folder, ITestOutputHelper? output, Stopwatch since)
    {
        _ensemble = ensemble;
        _output = output;
        Id = id;
        SnapshotFolder = Path.Combine(folder, $"m{id}-snapshots");
        Log = new MemberLog(id, output, since);
    }

    public long Id { get; }

    /// <summary>The journal; it survives restarts (the member's disk).</summary>
    public InMemoryJournal Journal { get; } = new();

    public string SnapshotFolder { get; }
    public MemberLog Log { get; }

    /// <summary>The peer port, bound on the first start and reused by every restart.</summary>
    public int Port { get; private set; }

    /// <summary>The address other members reach this one at (its protocol names the throttler: akka.trttl.tcp).</summary>
    public Address Address { get; private set; } = Address.AllSystems;

    public ActorSystem? System { get; private set; }
    public CoreRefs Core { get; private set; } = null!;
    public bool Running => System is not null;

    /// <summary>The last role this member's replication reported (Looking "not running" while stopped).</summary>
    public RoleChanged Role
    {
        get { lock (_gate) return _role; }
    }

    public bool IsLeader => Role is { State: PeerState.Leading, Serving: true };

    /// <summary>Completes when this member's core stops on a fatal failure (a broken invariant).</summary>
    public Task<Exception> Fatal => _fatal.Task;

    public override string ToString()
    {
        var r = Role;
        return $"m{Id} {r.State} (leader {r.LeaderId}, epoch {r.Epoch}, serving {r.Serving}: {r.Reason})";
    }

    // ---- lifecycle ----

    /// <summary>Starts the ActorSystem (port 0 the first time, the same port afterwards) and learns its address.</summary>
    public void StartSystem()
    {
        if (System is not null) throw new InvalidOperationException($"m{Id} is running");
        var config = ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = WARNING
              stdout-loglevel = OFF
              loggers = []
              log-dead-letters = off
              log-dead-letters-during-shutdown = off
              actor.provider = remote
              coordinated-shutdown.run-by-clr-shutdown-hook = off
              remote {
                use-passive-connections = off # as EnsembleBoot.RemoteConfig (RestartedPeerLinkSpecs shows why)
                retry-gate-closed-for = 200ms
                dot-netty.tcp {
                  hostname = 127.0.0.1
                  port = {{Port}}
                  applied-adapters = ["trttl"]
                  maximum-frame-size = 4194304b
                  send-buffer-size = 4194304b
                  receive-buffer-size = 4194304b
                }
              }
            }
            """);
        var system = ActorSystem.Create("coord", PeerSerialization.WithPeerSerializer(config));
        if (_output is not null)
        {
            // Akka's own warnings and errors (associations, gating, serialization) into the test output, through
            // TestKit.Xunit2's logger; its debug chatter stays out.
            var logger = system.ActorOf(Props.Create(() => new TestOutputLogger(_output)), "test-output-logger");
            system.EventStream.Subscribe(logger, typeof(Warning));
            system.EventStream.Subscribe(logger, typeof(Error));
        }
        Address = ((ExtendedActorSystem)system).Provider.DefaultAddress;
        Port = Address.Port ?? throw new InvalidOperationException($"m{Id}: Akka.Remote reported no port ({Address})");
        System = system;
    }

    /// <summary>
    /// Starts the core as the server does: the tree recovered from the snapshot folder and the journal, the
    /// replication core from the journal's epochs and the txns after the snapshot, and a start count as incarnation.
    /// </summary>
    public async Task StartCoreAsync(ReplicationConfig config, EnsemblePeers peers, CoordSettings settings, int incarnation)
    {
        var system = System ?? throw new InvalidOperationException($"m{Id} has no ActorSystem");
        var journalLog = Log.CreateLogger("Coord.Journal");
        var snapshots = new SnapshotStore(SnapshotFolder, journalLog);
        var recovered = Recovery.Recover(snapshots, Journal, journalLog);
        var durable = new DurableState(Journal.AcceptedEpoch, Journal.CurrentEpoch, recovered.SnapshotZxid,
            Journal.ReadAfter(recovered.SnapshotZxid).ToList());
        int generation;
        lock (_gate) generation = ++_generation;
        var clock = new RealClock();
        var parts = new CoreParts(settings with { ServerId = (int)Id }, clock, Journal, recovered.Tree, snapshots, this,
            () => RandomNumberGenerator.GetBytes(16), Log, ApplierActor.FirstSessionId(clock.WallMs, (int)Id),
            Epoch: Journal.CurrentEpoch,
            Ensemble: new EnsembleParts(config, peers, durable, incarnation, r => OnRole(generation, r)));
        Core = await CoreStart.StartAsync(system, parts, e => _fatal.TrySetResult(e), EnsembleHarness.CoreName);
        // As the server's tick loop: the applier reports touched sessions (and the leader expires sessions) several times a tick.
        var applier = Core.Applier;
        _ticks = new Timer(_ => applier.Tell(TickElapsed.Instance), null, 0, Math.Max(10, settings.TickMs / 4));
    }

    /// <summary>Stops the member as a crash of its process would look to the others: the ActorSystem goes away.</summary>
    public async Task StopAsync()
    {
        if (System is not { } system) return;
        lock (_gate) _generation++; // role reports of the old core no longer count
        if (_ticks is not null) await _ticks.DisposeAsync();
        _ticks = null;
        await system.Terminate().WaitAsync(TimeSpan.FromSeconds(20));
        System = null;
        foreach (var c in _connections.Values) c.Close("member stopped");
        _connections.Clear();
        SetRole(Stopped);
    }

    // ---- roles ----

    private void OnRole(int generation, RoleChanged r)
    {
        lock (_gate)
            if (generation != _generation) return;
        Log.Note($"role: {r.State} (leader {r.LeaderId}, epoch {r.Epoch}, serving {r.Serving}): {r.Reason}");
        SetRole(r);
    }

    private void SetRole(RoleChanged r)
    {
        List<TaskCompletionSource<RoleChanged>> done = [];
        lock (_gate)
        {
            _role = r;
            foreach (var w in _waiters)
                if (w.Match(r)) done.Add(w.Seen);
            _waiters.RemoveAll(w => w.Match(r));
        }
        foreach (var d in done) d.TrySetResult(r);
    }

    /// <summary>
    /// Completes with the member's role once it matches (at once if it does now). Fails with the member's current
    /// role if that takes longer than <paramref name="timeout"/>, and at once if the member's core fails.
    /// </summary>
    public async Task<RoleChanged> WaitForRoleAsync(Func<RoleChanged, bool> match, TimeSpan timeout, string what, CancellationToken cancel = default)
    {
        var seen = new TaskCompletionSource<RoleChanged>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (match(_role)) return _role;
            _waiters.Add((match, seen));
        }
        var first = await Task.WhenAny(seen.Task, Fatal, Task.Delay(timeout, cancel));
        if (first == seen.Task) return await seen.Task;
        lock (_gate) _waiters.RemoveAll(w => w.Seen == seen);
        if (first == Fatal) throw new InvalidOperationException($"m{Id} failed while waiting for {what}", await Fatal);
        cancel.ThrowIfCancellationRequested();
        throw new TimeoutException($"m{Id} was not {what} within {timeout.TotalMilliseconds} ms; it is {this}; ensemble: {_ensemble.Describe()}");
    }

    /// <summary>Waits until this member follows <paramref name="leader"/> and serves clients.</summary>
    public Task<RoleChanged> WaitFollowingAsync(EnsembleMember leader, TimeSpan timeout) =>
        WaitForRoleAsync(r => r.State == PeerState.Following && r.Serving && r.LeaderId == leader.Id, timeout, $"following m{leader.Id} and serving");

    // ---- clients ----

    public IClientConnection? Find(long connectionId) => _connections.GetValueOrDefault(connectionId);

    /// <summary>
    /// A client's handshake with this member. Throws if the member closes the connection instead of answering (it is
    /// not serving), as a real client would see it; a refused session answers with timeOut 0 and is returned as is.
    /// </summary>
    public async Task<Client> ConnectAsync(int timeoutMs = 20_000, long sessionId = 0, byte[]? password = null, long lastZxidSeen = 0)
    {
        var conn = new FakeConnection();
        _connections[conn.Id] = conn;
        Core.Applier.Tell(new ConnectRequested(conn.Id, new ConnectRequest(0, lastZxidSeen, timeoutMs, sessionId, password ?? new byte[16], false)));
        var response = conn.NextConnectResponseAsync();
        if (await Task.WhenAny(response, conn.ClosedTask) != response)
            throw new InvalidOperationException($"m{Id} closed the connection instead of answering the handshake: {await conn.ClosedTask}");
        var answer = await response;
        var session = answer.TimeOut > 0 ? await conn.EstablishedTask.WaitAsync(TimeSpan.FromSeconds(5)) : null;
        return new Client(conn, session, answer);
    }

    /// <summary>Monotonic and wall time from the machine: the replication actor's timer ticks in real time.</summary>
    private sealed class RealClock : IClock
    {
        public long MonotonicMs => Environment.TickCount64;
        public long WallMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    }
}
