using System.Collections.Concurrent;
using Akka.Actor;
using Coord.Actors.Applier;
using Coord.Actors.Core;
using Coord.Actors.Journal;
using Coord.Actors.Sessions;
using Coord.Actors.Settings;
using Coord.Actors.Time;
using Coord.Actors.Tree;
using Coord.Protocol;
using Coord.Protocol.Records;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Actors.Specs.Sequencer;

/// <summary>
/// One member's core (journal, applier, sequencer, session actors) in a TestKit ActorSystem, with a manual clock
/// and in-memory connections; no sockets.
/// </summary>
internal sealed class SequencerHarness : IConnectionDirectory
{
    public static CoordSettings DefaultSettings { get; } = CoordSettings.Default with
    {
        TickMs = 1000,
        Session = new SessionSettings(TimeoutMsMin: 2000, TimeoutMsMax: 20000, SessionsMax: 60000),
    };

    private readonly ConcurrentDictionary<long, FakeConnection> _connections = new();
    private readonly TaskCompletionSource<Exception> _fatal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _passwordSeed;

    public ManualClock Clock { get; } = new();
    public IJournal Journal { get; }
    public CoreRefs Core { get; private set; } = null!;

    /// <summary>Completes with the cause when the core stops on a fatal failure.</summary>
    public Task<Exception> Fatal => _fatal.Task;

    private SequencerHarness(IJournal journal) => Journal = journal;

    public static async Task<SequencerHarness> StartAsync(
        ActorSystem system, CoordSettings? settings = null, IJournal? journal = null, ILoggerFactory? loggers = null,
        long counterMax = Coord.Actors.Sequencer.ZxidAllocator.CounterMaxDefault, DataTree? tree = null)
    {
        var h = new SequencerHarness(journal ?? new InMemoryJournal());
        var parts = new CoreParts(settings ?? DefaultSettings, h.Clock, h.Journal, tree ?? new DataTree(), Snapshots: null,
            h, h.NextPassword, loggers ?? NullLoggerFactory.Instance, FirstSessionId: 0x100, CounterMax: counterMax);
        h.Core = await CoreStart.StartAsync(system, parts, e => h._fatal.TrySetResult(e), "core-" + Guid.NewGuid().ToString("N"));
        return h;
    }

    public IClientConnection? Find(long connectionId) => _connections.GetValueOrDefault(connectionId);

    private byte[] NextPassword()
    {
        var pw = new byte[16];
        pw[0] = (byte)Interlocked.Increment(ref _passwordSeed);
        return pw;
    }

    public FakeConnection NewConnection(FakeConnection? connection = null)
    {
        var conn = connection ?? new FakeConnection();
        _connections[conn.Id] = conn;
        return conn;
    }

    public async Task<Client> ConnectAsync(int timeoutMs = 10_000, long sessionId = 0, byte[]? password = null, FakeConnection? connection = null)
    {
        var conn = NewConnection(connection);
        Core.Applier.Tell(new ConnectRequested(conn.Id, new ConnectRequest(0, 0, timeoutMs, sessionId, password ?? new byte[16], false)));
        var response = await conn.NextConnectResponseAsync();
        var session = response.TimeOut > 0 ? await conn.EstablishedTask.WaitAsync(TimeSpan.FromSeconds(5)) : null;
        return new Client(conn, session, response);
    }

    public Task<CoreStats> StatsAsync() => Core.Applier.Ask<CoreStats>(StatsQuery.Instance, TimeSpan.FromSeconds(5));

    public void Tick() => Core.Applier.Tell(TickElapsed.Instance);
}

internal sealed class Client(FakeConnection connection, IActorRef? session, ConnectResponse response)
{
    private int _xid;
    public FakeConnection Connection { get; } = connection;
    public IActorRef? Session { get; } = session;
    public ConnectResponse Response { get; } = response;

    public int Send(OpCode op, object? record)
    {
        int xid = op == OpCode.Ping ? Xids.Ping : ++_xid;
        Session!.Tell(new Inbound(Connection.Id, xid, op, record));
        return xid;
    }

    /// <summary>Requests decoded from one read of the connection: one InboundBatch, as the host's connection sends them.</summary>
    public void SendBurst(IEnumerable<(OpCode Op, object? Record)> requests) =>
        Session!.Tell(new InboundBatch([.. requests.Select(r => new Inbound(Connection.Id, ++_xid, r.Op, r.Record))]));

    public void SendOn(FakeConnection other, OpCode op, object? record) => Session!.Tell(new Inbound(other.Id, ++_xid, op, record));

    public Task<(ReplyHeader Header, byte[] Body)> NextAsync() => Connection.NextReplyAsync();

    public async Task<(ReplyHeader Header, byte[] Body)> CallAsync(OpCode op, object? record)
    {
        int xid = Send(op, record);
        var reply = await NextAsync();
        Assert.Equal(xid, reply.Header.Xid);
        return reply;
    }

    public Task<(ReplyHeader Header, byte[] Body)> CreateAsync(string path, byte[]? data = null, CreateMode mode = CreateMode.Persistent) =>
        CallAsync(OpCode.Create, new CreateRequest(path, data, Acl.OpenAclUnsafe, (int)mode));
}
