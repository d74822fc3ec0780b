using System.Diagnostics;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Bench;

/// <summary>
/// The raw driver: the closed loop over <see cref="BenchConnection"/>s, no client library. Runs the basic
/// workloads and the large-value ones. Set up, warm up, measure, drain, close.
/// </summary>
public static class RawDriver
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    public static async Task<RunResult> RunAsync(Target target, Workload workload, Shape shape, BenchOptions o, CancellationToken ct)
    {
        var (layout, value) = await Setup.PrepareAsync(target, workload, shape.Clients, o, ct);

        var connections = new List<BenchConnection>(shape.Clients);
        var tallies = new ClientTally[shape.Clients];
        string? failure = null;
        var proc = new ProcWindow(target.Pids);
        IReadOnlyList<ThreadSample> threadsBefore = [], threadsAfter = [];
        try
        {
            // One at a time inside the try, so a failed handshake still closes the ones already open.
            // An ensemble: client i on member i mod N, the even spread a connect string's random pick gives on average.
            for (int i = 0; i < shape.Clients; i++)
                connections.Add(await BenchConnection.ConnectAsync(target.EndPoints[i % target.EndPoints.Count], ct));
            var sources = Enumerable.Range(0, shape.Clients)
                .Select(i => new RequestSource(workload, i, shape.Clients, layout, value, target.CreateCounters))
                .ToArray();
            long t0 = Stopwatch.GetTimestamp();
            var window = new MeasureWindow(
                t0 + (long)(o.WarmupSeconds * Stopwatch.Frequency),
                t0 + (long)((o.WarmupSeconds + o.Seconds) * Stopwatch.Frequency));

            using var runCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            runCts.CancelAfter(TimeSpan.FromSeconds(o.WarmupSeconds + o.Seconds) + DrainTimeout);
            var loops = new Task[shape.Clients];
            for (int i = 0; i < shape.Clients; i++)
            {
                tallies[i] = new ClientTally();
                // Task.Run: each loop starts on the pool instead of running its first sends inline here.
                var (conn, source, tally) = (connections[i], sources[i], tallies[i]);
                loops[i] = Task.Run(() => ClosedLoop.RunAsync(conn, source, shape.Outstanding, window, tally, runCts.Token), runCts.Token);
            }

            // The process samples bracket the window; a few ms of scheduling slack against 10 s is noise.
            await Setup.DelayUntil(window.StartTicks, ct);
            proc.Begin();
            if (o.Threads && target.Pid is { } pid) threadsBefore = ProcStats.Threads(pid);
            await Setup.DelayUntil(window.EndTicks, ct);
            proc.End();
            if (o.Threads && target.Pid is { } pid2) threadsAfter = ProcStats.Threads(pid2);

            try
            {
                await Task.WhenAll(loops);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                var first = loops.First(l => l.IsFaulted || l.IsCanceled);
                failure = first.IsCanceled
                    ? $"replies did not drain within {DrainTimeout.TotalSeconds:0} s after the window"
                    : first.Exception!.InnerException!.Message;
            }

            if (failure is null)
            {
                using var closeCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                closeCts.CancelAfter(TimeSpan.FromSeconds(10));
                await Task.WhenAll(connections.Select(c => c.CloseSessionAsync(closeCts.Token)));
            }
        }
        finally
        {
            foreach (var c in connections) await c.DisposeAsync();
        }

        var latency = new LatencyHistogram();
        var errors = new Dictionary<string, long>();
        long ops = 0;
        foreach (var t in tallies)
        {
            latency.Add(t.Latency);
            ops += t.Completed;
            foreach (var (code, count) in t.Errors) errors[code.ToString()] = errors.GetValueOrDefault(code.ToString()) + count;
        }

        if (o.Threads && threadsAfter.Count > 0)
        {
            foreach (var (name, tid, share) in ProcStats.Busiest(threadsBefore, threadsAfter, o.Seconds, 8))
                Console.WriteLine($"#   {target.Label} {workload.Name()} thread {tid,-7} {name,-16} {share * 100,6:0.0}% of a core");
        }

        var extras = new Dictionary<string, double>();
        if (workload.LargeValueBytes() is { } bytes) extras["value_bytes"] = bytes;
        return new RunResult(target.Label, target.Server, workload, "raw", shape, o.Seconds, ops, LatencySummary.From(latency),
            proc.ServerCpuMicrosPerOp(ops), proc.ServerCpuCores(o.Seconds), proc.RssMibAfter, proc.LoadGeneratorCores(o.Seconds),
            errors, extras, failure);
    }
}
