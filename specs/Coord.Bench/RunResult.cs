using System.Net;

namespace Coord.Bench;

/// <summary>
/// A server under test: where to connect, which process to watch, its create counters, and (in --compare)
/// the process itself so a workload can restart it.
/// </summary>
public sealed class Target(string label, string server, EndPoint endPoint, int? pid, ServerProcess? process = null)
{
    public string Label { get; } = label;

    /// <summary>"zookeeper", "coord", or the label when benchmarking a running server.</summary>
    public string Server { get; } = server;

    public EndPoint EndPoint { get; } = endPoint;
    public int? Pid => Process?.Pid ?? pid;
    public ServerProcess? Process { get; } = process;

    /// <summary>Next create counter per client; carried across runs so no path is created twice.</summary>
    public long[] CreateCounters { get; } = new long[4096];

    /// <summary>Numbers runs against this target, so the Java driver's create paths never repeat.</summary>
    public int RunSequence { get; set; }
}

/// <summary>Clients × outstanding requests per client.</summary>
public readonly record struct Shape(int Clients, int Outstanding)
{
    public override string ToString() => $"{Clients}x{Outstanding}";
}

/// <summary>Latency quantiles in microseconds (NaN when there were no samples).</summary>
public sealed record LatencySummary(long Count, double P50, double P90, double P99, double P999, double Mean, double Max)
{
    public static LatencySummary From(LatencyHistogram h) => new(h.Count,
        h.QuantileMicros(0.50), h.QuantileMicros(0.90), h.QuantileMicros(0.99), h.QuantileMicros(0.999), h.MeanMicros, h.MaxMicros);

    public static readonly LatencySummary Empty = new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
}

/// <summary>
/// One workload against one server with one driver. <see cref="Ops"/> counts the workload's unit: requests,
/// notifications (watch), sessions (churn, sessions10k), creates (znodes1m) or watch registrations
/// (watches1m). <see cref="Extras"/> holds workload-specific figures (missed notifications, bytes per
/// znode, restart-to-serving ms ...), shown in the extras table.
/// </summary>
public sealed record RunResult(
    string Label,
    string Server,
    Workload Workload,
    string Driver,
    Shape Shape,
    double Seconds,
    long Ops,
    LatencySummary Latency,
    double? ServerCpuMicrosPerOp,
    double? ServerCpuCores,
    double? ServerRssMib,
    double? LoadGeneratorCpuCores,
    IReadOnlyDictionary<string, long> Errors,
    IReadOnlyDictionary<string, double> Extras,
    string? Failure)
{
    public double OpsPerSecond => Seconds > 0 ? Ops / Seconds : 0;
    public long ErrorCount => Errors.Values.Sum();
    public bool Clean => Failure is null && ErrorCount == 0;

    /// <summary>The table row this result belongs to.</summary>
    public string RowKey => $"{Workload.Name()}|{Driver}|{Shape}";

    public static RunResult Failed(Target t, Workload w, string driver, Shape shape, string failure) =>
        new(t.Label, t.Server, w, driver, shape, 0, 0, LatencySummary.Empty, null, null, null, null,
            new Dictionary<string, long>(), new Dictionary<string, double>(), failure);
}

/// <summary>
/// Server CPU and RSS, and the load generator's CPU, sampled at both ends of a measured window. The load
/// generator is this process unless another is named (the java driver's JVM).
/// </summary>
public sealed class ProcWindow
{
    private readonly int? _pid;
    private readonly int _generatorPid;
    private ProcSample? _before, _after, _generatorBefore, _generatorAfter;
    private long _startTicks, _endTicks;

    public ProcWindow(int? pid, int? generatorPid = null)
    {
        _pid = pid;
        _generatorPid = generatorPid ?? Environment.ProcessId;
    }

    public void Begin()
    {
        _startTicks = System.Diagnostics.Stopwatch.GetTimestamp();
        _generatorBefore = ProcStats.Sample(_generatorPid);
        if (_pid is { } p) _before = ProcStats.Sample(p);
    }

    public void End()
    {
        _endTicks = System.Diagnostics.Stopwatch.GetTimestamp();
        _generatorAfter = ProcStats.Sample(_generatorPid);
        if (_pid is { } p) _after = ProcStats.Sample(p);
    }

    public double Seconds => (double)(_endTicks - _startTicks) / System.Diagnostics.Stopwatch.Frequency;

    public double? ServerCpuMicros => _before is { } b && _after is { } a ? ProcSample.TicksToMicros(a.CpuTicks - b.CpuTicks) : null;
    public double? ServerCpuMicrosPerOp(long ops) => ServerCpuMicros is { } c && ops > 0 ? c / ops : null;
    public double? ServerCpuCores(double seconds) => ServerCpuMicros is { } c ? c / 1e6 / seconds : null;
    public double? RssMibBefore => _before?.RssKib / 1024.0;
    public double? RssMibAfter => _after?.RssKib / 1024.0;

    public double? LoadGeneratorCores(double seconds) => _generatorBefore is { } b && _generatorAfter is { } a
        ? ProcSample.TicksToMicros(a.CpuTicks - b.CpuTicks) / 1e6 / seconds : null;
}
