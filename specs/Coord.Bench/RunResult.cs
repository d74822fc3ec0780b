using System.Net;

namespace Coord.Bench;

/// <summary>
/// A server under test: where to connect, which processes to watch, its create counters, and (in --compare)
/// the servers themselves: one process (which a workload can restart) or an ensemble's members.
/// </summary>
public sealed class Target
{
    private readonly int? _pid;
    private readonly IReadOnlyList<EndPoint> _endPoints;

    /// <summary>A server that is already running (--server), or one started for --compare.</summary>
    public Target(string label, string server, EndPoint endPoint, int? pid, ServerProcess? process = null)
    {
        Label = label;
        Server = server;
        _endPoints = [endPoint];
        _pid = pid;
        Servers = process;
    }

    /// <summary>Servers started for --compare (one process or an ensemble).</summary>
    public Target(string label, string server, IServerSet servers)
    {
        Label = label;
        Server = server;
        _endPoints = servers.EndPoints;
        Servers = servers;
    }

    public string Label { get; }

    /// <summary>"zookeeper", "coord", or the label when benchmarking a running server.</summary>
    public string Server { get; }

    /// <summary>The first (or only) member's address: set-up and the single-server workloads connect here.</summary>
    public EndPoint EndPoint => _endPoints[0];

    /// <summary>Every member's address; the drivers spread their clients over them.</summary>
    public IReadOnlyList<EndPoint> EndPoints => _endPoints;

    /// <summary>host:port,host:port,...: what users give a client library.</summary>
    public string ConnectString => string.Join(",", _endPoints.Select(e => e.ToString()));

    public int? Pid => Servers is { } s ? s.Pids[0] : _pid;

    /// <summary>Every server process: CPU and RSS are summed over them.</summary>
    public IReadOnlyList<int> Pids => Servers?.Pids ?? (_pid is { } p ? [p] : []);

    public IServerSet? Servers { get; }

    /// <summary>The single server process, when there is one (znodes1m restarts it).</summary>
    public ServerProcess? Process => Servers as ServerProcess;

    public Ensemble? Ensemble => Servers as Ensemble;

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
/// Server CPU and RSS, and the load generator's CPU, sampled at both ends of a measured window. The server may be
/// several processes (an ensemble's members): their CPU and RSS are summed, and a figure is missing when any of them
/// could not be sampled. The load generator is this process unless another is named (the java driver's JVM).
/// </summary>
public sealed class ProcWindow
{
    private readonly IReadOnlyList<int> _pids;
    private readonly int _generatorPid;
    private ProcSample? _before, _after, _generatorBefore, _generatorAfter;
    private long _startTicks, _endTicks;

    public ProcWindow(IReadOnlyList<int> pids, int? generatorPid = null)
    {
        _pids = pids;
        _generatorPid = generatorPid ?? Environment.ProcessId;
    }

    public void Begin()
    {
        _startTicks = System.Diagnostics.Stopwatch.GetTimestamp();
        _generatorBefore = ProcStats.Sample(_generatorPid);
        _before = SumOfServers();
    }

    public void End()
    {
        _endTicks = System.Diagnostics.Stopwatch.GetTimestamp();
        _generatorAfter = ProcStats.Sample(_generatorPid);
        _after = SumOfServers();
    }

    private ProcSample? SumOfServers()
    {
        if (_pids.Count == 0) return null;
        long cpu = 0, rss = 0;
        foreach (int pid in _pids)
        {
            if (ProcStats.Sample(pid) is not { } s) return null;
            cpu += s.CpuTicks;
            rss += s.RssKib;
        }
        return new ProcSample(cpu, rss);
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
