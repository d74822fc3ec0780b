using System.Diagnostics;
using System.Net;
using Coord.Client.Protocol;
using Coord.Client.Protocol.Records;

namespace Coord.Bench;

/// <summary>A server under test: where to connect, which process to watch, and its create counters.</summary>
public sealed class Target(string label, EndPoint endPoint, int? pid, int clients)
{
    public string Label { get; } = label;
    public EndPoint EndPoint { get; } = endPoint;
    public int? Pid { get; } = pid;

    /// <summary>Next create counter per client; carried across runs so no path is created twice.</summary>
    public long[] CreateCounters { get; } = new long[clients];
}

public sealed record RunResult(
    string Label,
    Workload Workload,
    int Clients,
    int Outstanding,
    double Seconds,
    long Ops,
    LatencyHistogram Latency,
    double? ServerCpuMicrosPerOp,
    double? ServerCpuCores,
    double? ServerRssMib,
    double? LoadGeneratorCpuCores,
    IReadOnlyDictionary<ErrorCode, long> Errors,
    string? Failure)
{
    public double OpsPerSecond => Ops / Seconds;
    public long ErrorCount => Errors.Values.Sum();
    public bool Clean => Failure is null && ErrorCount == 0;
}

/// <summary>One workload against one server: set up the nodes, warm up, measure, drain, close.</summary>
public static class WorkloadRun
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    public static async Task<RunResult> RunAsync(Target target, Workload workload, BenchOptions o, CancellationToken ct)
    {
        var layout = new NodeLayout(target.Label, o.Keys);
        var value = new byte[o.ValueBytes];
        new Random(42).NextBytes(value);
        await SetUpAsync(target, layout, workload, value, o.Clients, ct);

        var connections = new List<BenchConnection>(o.Clients);
        var tallies = new ClientTally[o.Clients];
        string? failure = null;
        ProcSample? before = null, after = null, selfBefore = null, selfAfter = null;
        IReadOnlyList<ThreadSample> threadsBefore = [], threadsAfter = [];
        try
        {
            // One at a time inside the try, so a failed handshake still closes the ones already open.
            for (int i = 0; i < o.Clients; i++) connections.Add(await BenchConnection.ConnectAsync(target.EndPoint, ct));
            var sources = Enumerable.Range(0, o.Clients)
                .Select(i => new RequestSource(workload, i, o.Clients, layout, value, target.CreateCounters))
                .ToArray();
            long t0 = Stopwatch.GetTimestamp();
            var window = new MeasureWindow(
                t0 + (long)(o.WarmupSeconds * Stopwatch.Frequency),
                t0 + (long)((o.WarmupSeconds + o.Seconds) * Stopwatch.Frequency));

            using var runCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            runCts.CancelAfter(TimeSpan.FromSeconds(o.WarmupSeconds + o.Seconds) + DrainTimeout);
            var loops = new Task[o.Clients];
            for (int i = 0; i < o.Clients; i++)
            {
                tallies[i] = new ClientTally();
                // Task.Run: each loop starts on the pool instead of running its first sends inline here.
                var (conn, source, tally) = (connections[i], sources[i], tallies[i]);
                loops[i] = Task.Run(() => ClosedLoop.RunAsync(conn, source, o.Outstanding, window, tally, runCts.Token), runCts.Token);
            }

            // The process samples bracket the window; a few ms of scheduling slack against 10 s is noise.
            await DelayUntil(window.StartTicks, ct);
            selfBefore = ProcStats.Sample(Environment.ProcessId);
            if (target.Pid is { } pid)
            {
                before = ProcStats.Sample(pid);
                if (o.Threads) threadsBefore = ProcStats.Threads(pid);
            }
            await DelayUntil(window.EndTicks, ct);
            selfAfter = ProcStats.Sample(Environment.ProcessId);
            if (target.Pid is { } pid2)
            {
                after = ProcStats.Sample(pid2);
                if (o.Threads) threadsAfter = ProcStats.Threads(pid2);
            }

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
        var errors = new Dictionary<ErrorCode, long>();
        long ops = 0;
        foreach (var t in tallies)
        {
            latency.Add(t.Latency);
            ops += t.Completed;
            foreach (var (code, count) in t.Errors) errors[code] = errors.GetValueOrDefault(code) + count;
        }

        double? cpuPerOp = null, cpuCores = null, rss = null;
        if (before is { } b && after is { } a)
        {
            double cpuMicros = ProcSample.TicksToMicros(a.CpuTicks - b.CpuTicks);
            cpuPerOp = ops > 0 ? cpuMicros / ops : null;
            cpuCores = cpuMicros / 1e6 / o.Seconds;
            rss = a.RssKib / 1024.0;
        }

        double? loadGenCores = selfBefore is { } sb && selfAfter is { } sa
            ? ProcSample.TicksToMicros(sa.CpuTicks - sb.CpuTicks) / 1e6 / o.Seconds : null;

        if (o.Threads && threadsAfter.Count > 0)
        {
            foreach (var (name, tid, share) in ProcStats.Busiest(threadsBefore, threadsAfter, o.Seconds, 8))
                Console.WriteLine($"#   {target.Label} {workload.Name()} thread {tid,-7} {name,-16} {share * 100,6:0.0}% of a core");
        }

        return new RunResult(target.Label, workload, o.Clients, o.Outstanding, o.Seconds, ops, latency,
            cpuPerOp, cpuCores, rss, loadGenCores, errors, failure);
    }

    private static async Task DelayUntil(long ticks, CancellationToken ct)
    {
        long remaining = ticks - Stopwatch.GetTimestamp();
        if (remaining > 0) await Task.Delay(TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency), ct);
    }

    /// <summary>
    /// Creates the run's parents (and, for keyed workloads, the keys with the value) over one pipelined
    /// connection. NodeExists is fine: a later round reuses what an earlier one made.
    /// </summary>
    private static async Task SetUpAsync(Target target, NodeLayout layout, Workload workload, byte[] value, int clients,
        CancellationToken ct)
    {
        var requests = new List<(OpCode, IJuteWritable)>();
        void Create(string path, byte[]? data) =>
            requests.Add((OpCode.Create, new CreateRequest(path, data, Acl.OpenAclUnsafe, 0)));

        Create(layout.Root, null);
        if (workload == Workload.Create)
        {
            for (int i = 0; i < clients; i++) Create(layout.ClientRoot(i), null);
        }
        else
        {
            Create(layout.DataRoot, null);
            for (int k = 0; k < layout.Keys; k++) Create(layout.Key(k), value);
        }

        await using var conn = await BenchConnection.ConnectAsync(target.EndPoint, ct);
        var codes = await conn.PipelineAsync(requests, ct);
        var bad = codes.Where(c => c is not (ErrorCode.Ok or ErrorCode.NodeExists)).Distinct().ToList();
        if (bad.Count > 0)
            throw new InvalidOperationException($"setting up {layout.Root} on {target.Label} failed: {string.Join(", ", bad)}");
        if (workload != Workload.Create)
        {
            // A server that answers without doing the work would look fast; check one key round-trips
            // (sets write the same bytes, so this holds on later rounds too).
            var stored = await conn.GetDataAsync(layout.Key(0), ct);
            if (stored is null || !stored.AsSpan().SequenceEqual(value))
                throw new InvalidOperationException(
                    $"{target.Label}: {layout.Key(0)} holds {stored?.Length ?? -1} bytes, not the {value.Length} written");
        }
        await conn.CloseSessionAsync(ct);
    }
}
