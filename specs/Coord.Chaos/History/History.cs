namespace Coord.Chaos.History;

/// <summary>A whole history: the starting tree, the ops and the watch events (each in any order).</summary>
public sealed record OpHistory(IReadOnlyList<InitNode> Init, IReadOnlyList<HistoryOp> Ops, IReadOnlyList<WatchEvent> Events)
{
    /// <summary>Role declarations (counters, locks, final readers): what the direct checks apply to.</summary>
    public IReadOnlyList<RoleRecord> Roles { get; init; } = [];

    public static OpHistory From(IEnumerable<HistoryRecord> records)
    {
        var init = new List<InitNode>();
        var ops = new List<HistoryOp>();
        var events = new List<WatchEvent>();
        var roles = new List<RoleRecord>();
        foreach (var r in records)
        {
            switch (r)
            {
                case InitNode n: init.Add(n); break;
                case HistoryOp o: ops.Add(o); break;
                case WatchEvent e: events.Add(e); break;
                case RoleRecord x: roles.Add(x); break;
            }
        }

        return new OpHistory(init, ops, events) { Roles = roles };
    }

    public IEnumerable<HistoryRecord> Records() => Roles.Cast<HistoryRecord>().Concat(Init).Concat(Ops).Concat(Events);
}

/// <summary>The order clock of a run: one counter for every client, so indices order invokes, replies and events.</summary>
public sealed class HistoryClock
{
    private long now;

    public long Next() => Interlocked.Increment(ref now);
}

/// <summary>
/// Collects a history while clients run (thread-safe). <see cref="Invoke"/> stamps the start, the returned handle
/// stamps the end with the outcome; ids are given in invoke order.
/// </summary>
public sealed class HistoryRecorder
{
    private readonly Lock gate = new();
    private readonly List<InitNode> init = [];
    private readonly List<HistoryOp> ops = [];
    private readonly List<WatchEvent> events = [];
    private readonly List<RoleRecord> roles = [];
    private long nextId;

    public HistoryClock Clock { get; } = new();

    public void AddInit(InitNode node)
    {
        lock (gate) init.Add(node);
    }

    public void AddRole(RoleRecord role)
    {
        lock (gate) roles.Add(role);
    }

    /// <summary>Records a finished op whose times the caller knows (e.g. a session expiry seen by the client: invoke =
    /// when the session was last known alive); its id is the next one.</summary>
    public HistoryOp Record(HistoryOp op)
    {
        var finished = op with { Id = Interlocked.Increment(ref nextId) };
        Add(finished);
        return finished;
    }

    /// <summary>Starts an op: <paramref name="op"/> carries the inputs; Id, Invoke and Outcome are filled here.</summary>
    public Pending Invoke(HistoryOp op) =>
        new(this, op with { Id = Interlocked.Increment(ref nextId), Invoke = Clock.Next(), Outcome = Outcome.Unknown });

    /// <summary>Records a watch event now. Call it in the order the connection delivered the event (from
    /// <see cref="Coord.Client.CoordClientOptions.WireObserver"/>), so its time falls between the replies around it.</summary>
    public WatchEvent Event(long session, string path, Coord.Protocol.EventType type, long? zxid = null)
    {
        var e = new WatchEvent { Session = session, At = Clock.Next(), Path = path, Event = type, Zxid = zxid };
        lock (gate) events.Add(e);
        return e;
    }

    public OpHistory Snapshot()
    {
        lock (gate) return new OpHistory([.. init], [.. ops.OrderBy(o => o.Id)], [.. events.OrderBy(e => e.At)]) { Roles = [.. roles] };
    }

    private void Add(HistoryOp op)
    {
        lock (gate) ops.Add(op);
    }

    /// <summary>An invoked op waiting for its outcome; exactly one of the completions should be called.</summary>
    public sealed class Pending(HistoryRecorder recorder, HistoryOp op)
    {
        public HistoryOp Op => op;

        /// <summary>Ok; <paramref name="at"/> is when the reply arrived if the caller stamped it on the receive path.</summary>
        public HistoryOp Ok(OpReturn? result = null, long? at = null) =>
            Done(op with { Complete = at ?? recorder.Clock.Next(), Outcome = Outcome.Ok, Result = result });

        public HistoryOp Failed(Coord.Protocol.ErrorCode error, int? failedIndex = null, long? at = null) =>
            Done(op with { Complete = at ?? recorder.Clock.Next(), Outcome = Outcome.Error, Error = error, FailedIndex = failedIndex });

        public HistoryOp Unknown() => Done(op with { Complete = recorder.Clock.Next(), Outcome = Outcome.Unknown });

        private HistoryOp Done(HistoryOp finished)
        {
            recorder.Add(finished);
            return finished;
        }
    }
}
