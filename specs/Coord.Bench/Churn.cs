using System.Diagnostics;

namespace Coord.Bench;

/// <summary>
/// Session churn: each of C clients connects (TCP + session handshake), closes the session and the socket,
/// and starts again. One sample = connect + close; ops/s = sessions opened and closed per second.
/// </summary>
public static class Churn
{
    public static async Task<RunResult> RunAsync(Target target, Shape shape, BenchOptions o, CancellationToken ct)
    {
        long t0 = Stopwatch.GetTimestamp();
        var window = new MeasureWindow(
            t0 + (long)(o.WarmupSeconds * Stopwatch.Frequency),
            t0 + (long)((o.WarmupSeconds + o.Seconds) * Stopwatch.Frequency));
        var proc = new ProcWindow(target.Pids);
        var tallies = new ClientTally[shape.Clients];
        var errors = new Dictionary<string, long>();
        var loops = new Task[shape.Clients];
        for (int i = 0; i < shape.Clients; i++)
        {
            var tally = tallies[i] = new ClientTally();
            loops[i] = Task.Run(() => LoopAsync(target, window, tally, errors, ct), ct);
        }
        await Setup.DelayUntil(window.StartTicks, ct);
        proc.Begin();
        await Setup.DelayUntil(window.EndTicks, ct);
        proc.End();
        string? failure = null;
        try
        {
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(30), ct);
        }
        catch (TimeoutException)
        {
            failure = "a connect or close did not finish within 30 s after the window";
        }

        var latency = new LatencyHistogram();
        long ops = 0;
        foreach (var t in tallies)
        {
            latency.Add(t.Latency);
            ops += t.Completed;
        }
        return new RunResult(target.Label, target.Server, Workload.Churn, "raw", shape, o.Seconds, ops, LatencySummary.From(latency),
            proc.ServerCpuMicrosPerOp(ops), proc.ServerCpuCores(o.Seconds), proc.RssMibAfter, proc.LoadGeneratorCores(o.Seconds),
            errors, new Dictionary<string, double>(), failure);
    }

    private static async Task LoopAsync(Target target, MeasureWindow window, ClientTally tally, Dictionary<string, long> errors,
        CancellationToken ct)
    {
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            if (start >= window.EndTicks) return;
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(TimeSpan.FromSeconds(10));
                await using var conn = await BenchConnection.ConnectAsync(target.EndPoint, attempt.Token, bufferBytes: 1024);
                await conn.CloseSessionAsync(attempt.Token);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException
                                          or OperationCanceledException && !ct.IsCancellationRequested)
            {
                lock (errors) errors[e.GetType().Name] = errors.GetValueOrDefault(e.GetType().Name) + 1;
                continue;
            }
            long end = Stopwatch.GetTimestamp();
            if (end >= window.StartTicks && end < window.EndTicks)
            {
                tally.Latency.Record(end - start);
                tally.Completed++;
            }
        }
    }
}
