using System.Diagnostics;
using System.Globalization;
using Coord.Client;

namespace Coord.Bench;

/// <summary>
/// The client driver: the same closed loop through Coord.Client's <see cref="CoordClient"/>. Each client is
/// one CoordClient (one session); K worker tasks per client each keep one call in flight, so the client
/// pipelines K calls on its socket. Measures what an application using the library would see.
/// </summary>
public static class ClientDriver
{
    public static async Task<RunResult> RunAsync(Target target, Workload workload, Shape shape, BenchOptions o, CancellationToken ct)
    {
        var (layout, value) = await Setup.PrepareAsync(target, workload, shape.Clients, o, ct);
        var clients = new List<CoordClient>(shape.Clients);
        var proc = new ProcWindow(target.Pids);
        var workers = new List<Worker>();
        string? failure = null;
        try
        {
            var options = new CoordClientOptions { SessionTimeout = TimeSpan.FromMilliseconds(BenchConnection.SessionTimeoutMs) };
            for (int i = 0; i < shape.Clients; i++)
                clients.Add(await CoordClient.ConnectAsync(target.ConnectString, options, ct));

            long t0 = Stopwatch.GetTimestamp();
            var window = new MeasureWindow(
                t0 + (long)(o.WarmupSeconds * Stopwatch.Frequency),
                t0 + (long)((o.WarmupSeconds + o.Seconds) * Stopwatch.Frequency));
            for (int c = 0; c < shape.Clients; c++)
            {
                for (int k = 0; k < shape.Outstanding; k++)
                    workers.Add(new Worker(clients[c], workload, c, k, shape, layout, value, target.CreateCounters, window));
            }

            using var runCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            runCts.CancelAfter(TimeSpan.FromSeconds(o.WarmupSeconds + o.Seconds + 30));
            var tasks = workers.Select(w => Task.Run(() => w.RunAsync(runCts.Token), runCts.Token)).ToArray();
            await Setup.DelayUntil(window.StartTicks, ct);
            proc.Begin();
            await Setup.DelayUntil(window.EndTicks, ct);
            proc.End();
            try
            {
                await Task.WhenAll(tasks);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                var first = tasks.First(t => t.IsFaulted || t.IsCanceled);
                failure = first.IsCanceled ? "calls did not drain within 30 s after the window" : first.Exception!.InnerException!.Message;
            }
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }

        var latency = new LatencyHistogram();
        var errors = new Dictionary<string, long>();
        long ops = 0;
        foreach (var w in workers)
        {
            latency.Add(w.Latency);
            ops += w.Completed;
            foreach (var (code, count) in w.Errors) errors[code] = errors.GetValueOrDefault(code) + count;
        }
        return new RunResult(target.Label, target.Server, workload, "client", shape, o.Seconds, ops, LatencySummary.From(latency),
            proc.ServerCpuMicrosPerOp(ops), proc.ServerCpuCores(o.Seconds), proc.RssMibAfter, proc.LoadGeneratorCores(o.Seconds),
            errors, new Dictionary<string, double>(), failure);
    }

    /// <summary>One call in flight at a time; K of these per client make the pipeline.</summary>
    private sealed class Worker(CoordClient client, Workload workload, int clientIndex, int workerIndex, Shape shape,
        NodeLayout layout, byte[] value, long[] createCounters, MeasureWindow window)
    {
        public LatencyHistogram Latency { get; } = new();
        public long Completed { get; private set; }
        public Dictionary<string, long> Errors { get; } = new();

        public async Task RunAsync(CancellationToken ct)
        {
            string createPrefix = layout.ClientRoot(clientIndex) + "/n";
            long seq = 0;
            int stride = shape.Clients * shape.Outstanding;
            int me = clientIndex * shape.Outstanding + workerIndex;
            while (true)
            {
                long start = Stopwatch.GetTimestamp();
                if (start >= window.EndTicks) return;
                int key = layout.Keys == 0 ? 0 : (int)((seq * stride + me) % layout.Keys);
                try
                {
                    switch (workload)
                    {
                        case Workload.Create:
                            long n = Interlocked.Increment(ref createCounters[clientIndex]) - 1;
                            await client.CreateAsync(createPrefix + n.ToString(CultureInfo.InvariantCulture), value, ct: ct);
                            break;
                        case Workload.Set:
                        case Workload.Mixed when seq % 10 == 9:
                            await client.SetDataAsync(layout.Key(key), value, ct: ct);
                            break;
                        case Workload.Get:
                        case Workload.Mixed:
                            await client.GetDataAsync(layout.Key(key), ct: ct);
                            break;
                        case Workload.Exists:
                            await client.ExistsAsync(layout.Key(key), ct: ct);
                            break;
                        default:
                            throw new InvalidOperationException($"the client driver does not run {workload.Name()}");
                    }
                }
                catch (CoordException e)
                {
                    Errors[e.Code.ToString()] = Errors.GetValueOrDefault(e.Code.ToString()) + 1;
                }
                seq++;
                long end = Stopwatch.GetTimestamp();
                if (end >= window.StartTicks && end < window.EndTicks)
                {
                    Latency.Record(end - start);
                    Completed++;
                }
            }
        }
    }
}
