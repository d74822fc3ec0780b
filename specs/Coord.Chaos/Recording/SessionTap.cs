using Coord.Chaos.History;
using Coord.Client;
using Coord.Protocol;

namespace Coord.Chaos.Recording;

/// <summary>
/// One workload session's view of its wire (<see cref="CoordClientOptions.WireObserver"/>): watch events are recorded
/// the moment they arrive and the reply of the op in flight is stamped then too, so events and replies share the
/// order the connection delivered them (awaiting code and watch callbacks run later, on other threads). A session runs
/// one op at a time: the first reply to a request whose caller still waits belongs to it.
/// </summary>
internal sealed class SessionTap(HistoryRecorder recorder)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, TaskCompletionSource> deletions = [];
    private readonly HashSet<(string Path, bool Children)> armed = [];
    private bool awaiting;
    private long? replyAt;

    /// <summary>Set once connected; events are recorded under it.</summary>
    public long Session { get; set; }

    /// <summary>When the session was last known alive at the leader: the invoke of its last write that got a reply
    /// (see <see cref="Checking.HistoryIndex"/>), or when it connected.</summary>
    public long AliveSince { get; set; }

    /// <summary>The server acknowledged the closeSession sent by DisposeAsync.</summary>
    public bool CloseAcknowledged { get; private set; }

    public int Events { get; private set; }

    public CoordClientOptions Options(CoordClientOptions options) => options with { WireObserver = OnFrame };

    /// <summary>Paths this session may still have a one-time watch on (data/exist, or children).</summary>
    public List<(string Path, bool Children)> Armed()
    {
        lock (gate) return [.. armed];
    }

    /// <summary>Completes when a NodeDeleted event for <paramref name="path"/> arrives (register before arming the watch).</summary>
    public Task DeletedAsync(string path)
    {
        lock (gate)
        {
            if (!deletions.TryGetValue(path, out var tcs)) deletions[path] = tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return tcs.Task;
        }
    }

    private void OnFrame(WireFrame f)
    {
        lock (gate)
        {
            if (f.Kind == WireFrameKind.Notification)
            {
                if (f.Event is not { Type: not EventType.None } e) return;
                recorder.Event(Session, e.Path, e.Type, f.Zxid > 0 ? f.Zxid : null);
                Events++;
                if (e.Type != EventType.NodeChildrenChanged) armed.Remove((e.Path, false));
                if (e.Type is EventType.NodeChildrenChanged or EventType.NodeDeleted) armed.Remove((e.Path, true));
                if (e.Type == EventType.NodeDeleted && deletions.Remove(e.Path, out var tcs)) tcs.TrySetResult();
                return;
            }

            if (f.Op == OpCode.CloseSession && f.Err == ErrorCode.Ok) CloseAcknowledged = true;
            if (f.Xid > 0 && f.Awaited && awaiting)
            {
                replyAt = recorder.Clock.Next();
                awaiting = false;
            }
        }
    }

    /// <summary>Runs one call and completes the pending op: ok with its return, the error a reply carried, or unknown
    /// when no reply says what happened. The completion time is the reply's arrival when the tap saw it.</summary>
    public async Task<HistoryOp> Run(HistoryRecorder.Pending pending, Func<Task<OpReturn?>> call)
    {
        lock (gate)
        {
            awaiting = true;
            replyAt = null;
        }

        HistoryOp done;
        try
        {
            var result = await call().ConfigureAwait(false);
            done = pending.Ok(result, Stamp());
        }
        catch (TransactionFailedException e)
        {
            done = pending.Failed(e.Code, e.FailedIndex, Stamp());
        }
        catch (CoordException e) when (e is ConnectionLossException or SessionExpiredException or OperationTimeoutException
                                           || e.Code is ErrorCode.ConnectionLoss or ErrorCode.OperationTimeout or ErrorCode.SessionExpired
                                               or ErrorCode.SessionMoved or ErrorCode.RequestTimeout)
        {
            done = Unknown(pending);
        }
        catch (CoordException e)
        {
            done = pending.Failed(e.Code, null, Stamp());
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            done = Unknown(pending);
        }

        if (Checking.HistoryIndex.ProvesAlive(done)) AliveSince = Math.Max(AliveSince, done.Invoke);
        if (done.Outcome == Outcome.Ok && done.Watch && done.Path is { } p)
        {
            lock (gate) armed.Add((p, done.Kind == OpKind.GetChildren));
        }

        return done;
    }

    private HistoryOp Unknown(HistoryRecorder.Pending pending)
    {
        lock (gate) awaiting = false;
        return pending.Unknown();
    }

    private long? Stamp()
    {
        lock (gate)
        {
            awaiting = false;
            return replyAt;
        }
    }
}
