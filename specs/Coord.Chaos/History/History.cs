namespace Coord.Chaos.History;

/// <summary>A whole history: the starting tree, the ops and the watch events (each in any order).</summary>
public sealed record OpHistory(IReadOnlyList<InitNode> Init, IReadOnlyList<HistoryOp> Ops, IReadOnlyList<WatchEvent> Events)
{
    public static OpHistory From(IEnumerable<HistoryRecord> records)
    {
        var init = new List<InitNode>();
        var ops = new List<HistoryOp>();
        var events = new List<WatchEvent>();
        foreach (var r in records)
        {
            switch (r)
            {
                case InitNode n: init.Add(n); break;
                case HistoryOp o: ops.Add(o); break;
                case WatchEvent e: events.Add(e); break;
            }
        }

        return new OpHistory(init, ops, events);
    }

    public IEnumerable<HistoryRecord> Records() => Init.Cast<HistoryRecord>().Concat(Ops).Concat(Events);
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
    private long nextId;

    public HistoryClock Clock { get; } = new();

    public void AddInit(InitNode node)
    {
        lock (gate) init.Add(node);
    }

    /// <summary>Starts an op: <paramref name="op"/> carries the inputs; Id, Invoke and Outcome are filled here.</summary>
    public Pending Invoke(HistoryOp op) =>
        new(this, op with { Id = Interlocked.Increment(ref nextId), Invoke = Clock.Next(), Outcome = Outcome.Unknown });

    public void Event(long session, string path, Coord.Protocol.EventType type, long? zxid = null)
    {
        var e = new WatchEvent { Session = session, At = Clock.Next(), Path = path, Event = type, Zxid = zxid };
        lock (gate) events.Add(e);
    }

    public OpHistory Snapshot()
    {
        lock (gate) return new OpHistory([.. init], [.. ops.OrderBy(o => o.Id)], [.. events]);
    }

    private void Add(HistoryOp op)
    {
        lock (gate) ops.Add(op);
    }

    /// <summary>An invoked op waiting for its outcome; exactly one of the completions should be called.</summary>
    public sealed class Pending(HistoryRecorder recorder, HistoryOp op)
    {
        public HistoryOp Op => op;

        public HistoryOp Ok(OpReturn? result = null) => Done(op with { Complete = recorder.Clock.Next(), Outcome = Outcome.Ok, Result = result });

        public HistoryOp Failed(Coord.Protocol.ErrorCode error, int? failedIndex = null) =>
            Done(op with { Complete = recorder.Clock.Next(), Outcome = Outcome.Error, Error = error, FailedIndex = failedIndex });

        public HistoryOp Unknown() => Done(op with { Complete = recorder.Clock.Next(), Outcome = Outcome.Unknown });

        private HistoryOp Done(HistoryOp finished)
        {
            recorder.Add(finished);
            return finished;
        }
    }
}
