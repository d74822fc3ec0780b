using System.Threading.Tasks.Sources;
using Akka.Actor;
using BenchmarkDotNet.Attributes;
using Coord.Actors.Core;
using Coord.Actors.Journal;
using Coord.Actors.Sessions;
using Coord.Actors.Settings;
using Coord.Actors.Time;
using Coord.Actors.Tree;
using Coord.Protocol;
using Coord.Protocol.Records;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Micro;

/// <summary>
/// One request end to end through the server core without sockets, as specs/Coord.Actors.Specs drive it:
/// session actor → applier → sequencer (prep) → journal actor → applier (apply, watches) → session actor →
/// reply frame handed to the connection. The journal is in memory, so this is the CPU and allocation cost of the
/// Akka actors, not of a disk.
/// </summary>
[MemoryDiagnoser]
public class SequencerBenchmarks
{
    private readonly byte[] _data = new byte[32];
    private ActorSystem? _system;
    private IActorRef? _session;
    private ReplyConnection _conn = new();
    private int _xid;

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("micro", "akka.loglevel = WARNING");
        _conn = new ReplyConnection();
        var settings = CoordSettings.Default with { TickMs = 1000, Session = new SessionSettings(2000, 20000, 60000) };
        var parts = new CoreParts(settings, new ManualClock(), new InMemoryJournal(), new DataTree(), null, _conn,
            () => new byte[16], NullLoggerFactory.Instance, FirstSessionId: 0x100);
        var core = CoreStart.StartAsync(_system, parts, _ => { }).GetAwaiter().GetResult();
        var connected = _conn.NextAsync();
        core.Applier.Tell(new ConnectRequested(_conn.Id, new ConnectRequest(0, 0, 10_000, 0, new byte[16], false)));
        connected.AsTask().GetAwaiter().GetResult();
        _session = _conn.Session.Task.GetAwaiter().GetResult();
        Call(OpCode.Create, new CreateRequest("/bench", _data, Acl.OpenAclUnsafe, 0)).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _system?.Terminate().GetAwaiter().GetResult();

    private ValueTask Call(OpCode op, object record)
    {
        var reply = _conn.NextAsync();
        _session!.Tell(new Inbound(_conn.Id, ++_xid, op, record));
        return reply;
    }

    [Benchmark]
    public ValueTask SetData() => Call(OpCode.SetData, new SetDataRequest("/bench", _data, -1));

    [Benchmark]
    public ValueTask GetData() => Call(OpCode.GetData, new PathWatchRequest("/bench", false));

    /// <summary>Completes one awaiter per frame; reused, so the harness itself allocates nothing per call.</summary>
    private sealed class ReplyConnection : IClientConnection, IConnectionDirectory, IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _next = new() { RunContinuationsAsynchronously = false };
        public TaskCompletionSource<IActorRef> Session { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Id => 1;
        public string RemoteIp => "127.0.0.1";

        public ValueTask NextAsync()
        {
            _next.Reset();
            return new ValueTask(this, _next.Version);
        }

        public void Send(ReadOnlySpan<byte> frame, bool completesRequest) => _next.SetResult(true);
        public void Flush() { }
        public void Close(string reason) { }
        public void Established(long sessionId, IActorRef session) => Session.TrySetResult(session);
        public IClientConnection? Find(long connectionId) => connectionId == Id ? this : null;

        public void GetResult(short token) => _next.GetResult(token);
        public ValueTaskSourceStatus GetStatus(short token) => _next.GetStatus(token);
        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _next.OnCompleted(continuation, state, token, flags);
    }
}
