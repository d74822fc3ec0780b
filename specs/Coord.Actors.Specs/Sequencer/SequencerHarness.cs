using Coord.Actors.Journal;
using Coord.Actors.Runtime;
using Coord.Actors.Sequencer;
using Coord.Actors.Sessions;
using Coord.Actors.Time;
using Coord.Actors.Tree;
using Coord.Protocol;
using Coord.Protocol.Records;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Actors.Specs.Sequencer;

/// <summary>A sequencer with a manual clock and in-memory connections; no sockets.</summary>
internal sealed class SequencerHarness
{
    public ManualClock Clock { get; } = new();
    public SequencerActor Core { get; }
    public IJournal Journal { get; }
    private int _passwordSeed;

    public SequencerHarness(SequencerOptions? options = null, IJournal? journal = null)
    {
        Journal = journal ?? new InMemoryJournal();
        Core = new SequencerActor(options ?? new SequencerOptions { TickMs = 1000, SessionTimeoutMsMin = 2000, SessionTimeoutMsMax = 20000 },
            Clock, Journal, new DataTree(), firstSessionId: 0x100, NextPassword, NullLogger.Instance);
    }

    private byte[] NextPassword()
    {
        var pw = new byte[16];
        pw[0] = (byte)Interlocked.Increment(ref _passwordSeed);
        return pw;
    }

    public async Task<Client> ConnectAsync(int timeoutMs = 10_000, long sessionId = 0, byte[]? password = null)
    {
        var conn = new FakeConnection();
        Core.Tell(new ConnectRequested(new ConnectRequest(0, 0, timeoutMs, sessionId, password ?? new byte[16], false), conn));
        var response = await conn.NextConnectResponseAsync();
        var session = response.TimeOut > 0 ? await conn.EstablishedTask.WaitAsync(TimeSpan.FromSeconds(5)) : null;
        return new Client(conn, session, response);
    }

    public async Task<CoreStats> StatsAsync() =>
        await Core.Ask<CoreMessage, CoreStats>(tcs => new StatsQuery(tcs), TimeSpan.FromSeconds(5));

    public void Tick() => Core.Tell(TickElapsed.Instance);
}

internal sealed class Client(FakeConnection connection, SessionActor? session, ConnectResponse response)
{
    private int _xid;
    public FakeConnection Connection { get; } = connection;
    public SessionActor? Session { get; } = session;
    public ConnectResponse Response { get; } = response;

    public int Send(OpCode op, object? record)
    {
        int xid = op == OpCode.Ping ? Xids.Ping : ++_xid;
        Session!.Tell(new Inbound(Connection, xid, op, record));
        return xid;
    }

    public void SendOn(FakeConnection other, OpCode op, object? record) => Session!.Tell(new Inbound(other, ++_xid, op, record));

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
