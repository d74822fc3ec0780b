using System.Diagnostics;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Bench;

/// <summary>
/// Watch fan-out: N watcher sessions each hold a data watch on one node and re-arm it (getData + watch)
/// after every event; one writer sets the node, waits until all N were notified (or a timeout), and only
/// sets again once all N have re-armed, so a missed notification is the server's doing, never a race.
/// Latency = the writer's send of setData → a watcher receiving the notification (measured from the send,
/// not the ack: a server may notify before it acknowledges). Missed (not delivered within the timeout),
/// late (delivered after it) and duplicated notifications are counted.
/// </summary>
public static class WatchFanOut
{
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(5);
    private const int CloseXid = int.MaxValue;

    public static async Task<RunResult> RunAsync(Target target, Shape shape, BenchOptions o, CancellationToken ct)
    {
        int n = o.Watchers;
        string path = $"/bench-{target.Label}-watch";
        var value = new byte[o.ValueBytes];
        var state = new State(n);
        var watchers = new List<BenchConnection>(n);
        var proc = new ProcWindow(target.Pids);
        string? failure = null;
        long writes = 0;
        await using var writer = await BenchConnection.ConnectAsync(target.EndPoint, ct);
        var setup = await writer.PipelineAsync([(OpCode.Create, new CreateRequest(path, value, Acl.OpenAclUnsafe, 0))], ct);
        if (setup[0] is not (ErrorCode.Ok or ErrorCode.NodeExists)) throw new InvalidOperationException($"create {path}: {setup[0]}");

        using var runCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var loops = new List<Task>();
        try
        {
            for (int i = 0; i < n; i++) watchers.Add(await BenchConnection.ConnectAsync(target.EndPoint, ct, bufferBytes: 4096));
            for (int i = 0; i < n; i++)
            {
                var (conn, index) = (watchers[i], i);
                loops.Add(Task.Run(() => WatcherAsync(conn, index, path, state, runCts.Token), runCts.Token));
            }

            long t0 = Stopwatch.GetTimestamp();
            var window = new MeasureWindow(
                t0 + (long)(o.WarmupSeconds * Stopwatch.Frequency),
                t0 + (long)((o.WarmupSeconds + o.Seconds) * Stopwatch.Frequency));
            var setBody = new SetDataRequest(path, value, -1);
            bool begun = false;
            while (Stopwatch.GetTimestamp() < window.EndTicks)
            {
                if (!await WaitAsync(state.AllArmed, DeliveryTimeout, ct))
                {
                    failure = $"{n - state.ArmedCount} of {n} watchers did not re-arm within {DeliveryTimeout.TotalSeconds:0} s";
                    break;
                }
                long now = Stopwatch.GetTimestamp();
                if (!begun && now >= window.StartTicks)
                {
                    proc.Begin();
                    begun = true;
                }
                var delivered = state.OpenRound(now, measuring: now >= window.StartTicks);
                var codes = await writer.PipelineAsync([(OpCode.SetData, setBody)], ct);
                writes++;
                if (codes[0] != ErrorCode.Ok) state.CountError(codes[0]);
                if (!await WaitAsync(delivered, DeliveryTimeout, ct)) state.CloseRoundMissing();
            }
            if (begun) proc.End();

            // Every watcher is armed and idle once AllArmed fires, so closing from here cannot interleave
            // with a re-arm on the same socket.
            if (failure is null && await WaitAsync(state.AllArmed, DeliveryTimeout, ct))
            {
                foreach (var c in watchers) await c.SendRequestAsync(CloseXid, OpCode.CloseSession, Empty.Instance, ct);
                using var closeCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                closeCts.CancelAfter(TimeSpan.FromSeconds(10));
                await Task.WhenAll(loops).WaitAsync(closeCts.Token);
            }
            await writer.CloseSessionAsync(ct);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException && !ct.IsCancellationRequested)
        {
            failure ??= e.Message;
        }
        finally
        {
            runCts.Cancel();
            foreach (var c in watchers) await c.DisposeAsync();
            try
            {
                await Task.WhenAll(loops);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                if (e is not OperationCanceledException) failure ??= e.Message;
            }
        }

        double seconds = proc.Seconds > 0 ? proc.Seconds : o.Seconds;
        long ops = state.DeliveredMeasured;
        var extras = new Dictionary<string, double>
        {
            ["watchers"] = n,
            ["writes"] = writes,
            ["missed"] = state.Missed,
            ["late"] = state.Late,
            ["duplicated"] = state.Duplicated,
        };
        var errors = new Dictionary<string, long>(state.Errors);
        if (state.Missed > 0) errors["missed_notification"] = state.Missed;
        if (state.Duplicated > 0) errors["duplicated_notification"] = state.Duplicated;
        return new RunResult(target.Label, target.Server, Workload.Watch, "raw", shape,
            seconds, ops, LatencySummary.From(state.Latency), proc.ServerCpuMicrosPerOp(ops), proc.ServerCpuCores(seconds),
            proc.RssMibAfter, proc.LoadGeneratorCores(seconds), errors, extras, failure);
    }

    private static async Task<bool> WaitAsync(Task task, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            await task.WaitAsync(timeout, ct);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static async Task WatcherAsync(BenchConnection conn, int index, string path, State state, CancellationToken ct)
    {
        var arm = new PathWatchRequest(path, true);
        int xid = 1;
        await conn.SendRequestAsync(xid++, OpCode.GetData, arm, ct);
        while (true)
        {
            var payload = await conn.ReceiveFrameAsync(ct);
            long now = Stopwatch.GetTimestamp();
            var reader = new JuteReader(payload.Span);
            var header = ReplyHeader.Read(ref reader);
            if (header.Xid == Xids.Notification)
            {
                var e = WatcherEvent.Read(ref reader);
                if (e.Type != EventType.NodeDataChanged || e.Path != path)
                {
                    state.CountError($"unexpected_event_{e.Type}");
                    continue;
                }
                state.Notified(index, now);
                await conn.SendRequestAsync(xid++, OpCode.GetData, arm, ct);
            }
            else if (header.Xid == CloseXid)
            {
                return;
            }
            else
            {
                if (header.Err != ErrorCode.Ok) state.CountError(header.Err);
                state.Armed();
            }
        }
    }

    /// <summary>Shared by the writer and the watcher loops; every member takes the one lock.</summary>
    private sealed class State(int watchers)
    {
        private readonly object _gate = new();
        private readonly int[] _lastRound = new int[watchers];
        private int _round;
        private bool _open, _measuring;
        private long _sendTicks;
        private int _remaining;
        private TaskCompletionSource _delivered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource _armed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LatencyHistogram Latency { get; } = new();
        public Dictionary<string, long> Errors { get; } = new();
        public long DeliveredMeasured { get; private set; }
        public long Missed { get; private set; }
        public long Late { get; private set; }
        public long Duplicated { get; private set; }
        public int ArmedCount { get; private set; }

        public Task AllArmed { get { lock (_gate) return _armed.Task; } }

        public Task OpenRound(long sendTicks, bool measuring)
        {
            lock (_gate)
            {
                _round++;
                _open = true;
                _measuring = measuring;
                _sendTicks = sendTicks;
                _remaining = watchers;
                ArmedCount = 0;
                _armed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _delivered.Task;
            }
        }

        public void CloseRoundMissing()
        {
            lock (_gate)
            {
                Missed += _remaining;
                _open = false;
            }
        }

        public void Notified(int watcher, long now)
        {
            lock (_gate)
            {
                if (_lastRound[watcher] == _round)
                {
                    Duplicated++;
                    return;
                }
                _lastRound[watcher] = _round;
                if (!_open)
                {
                    Late++;
                    return;
                }
                if (_measuring)
                {
                    Latency.Record(now - _sendTicks);
                    DeliveredMeasured++;
                }
                if (--_remaining == 0)
                {
                    _open = false;
                    _delivered.TrySetResult();
                }
            }
        }

        public void Armed()
        {
            lock (_gate)
            {
                if (++ArmedCount == watchers) _armed.TrySetResult();
            }
        }

        public void CountError(ErrorCode code) => CountError(code.ToString());

        public void CountError(string what)
        {
            lock (_gate) Errors[what] = Errors.GetValueOrDefault(what) + 1;
        }
    }
}

/// <summary>A request with no body (closeSession, ping).</summary>
public sealed class Empty : IJuteWritable
{
    public static readonly Empty Instance = new();
    public void Write(JuteWriter w) { }
}
