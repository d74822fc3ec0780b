using System.Globalization;

namespace Coord.Bench;

/// <summary>The benchmark's settings, parsed once from the command line. Errors say which option to fix.</summary>
public sealed record BenchOptions
{
    public string? Server { get; init; }
    public int? ServerPid { get; init; }
    public int Clients { get; init; } = 4;
    public int Outstanding { get; init; } = 64;
    public int ValueBytes { get; init; } = 100;
    public double Seconds { get; init; } = 10;
    public double WarmupSeconds { get; init; } = 2;
    public IReadOnlyList<Workload> Workloads { get; init; } = [Workload.Create, Workload.Set, Workload.Get, Workload.Exists, Workload.Mixed];
    public string Label { get; init; } = "bench";
    public bool Compare { get; init; }
    public int Rounds { get; init; } = 3;

    /// <summary>ZooKeeper's forceSync (compare mode). On by default, as in a stock ZooKeeper.</summary>
    public bool ZooKeeperForceSync { get; init; } = true;

    /// <summary>Number of pre-created nodes that set/get/exists/mixed spread over.</summary>
    public int Keys { get; init; } = 1000;

    /// <summary>Print the busiest server threads per workload (from /proc/PID/task/*/stat).</summary>
    public bool Threads { get; init; }

    public string? CoordDll { get; init; }

    public const string Usage = """
        usage: coord-bench --server HOST:PORT [--server-pid PID] [options]
               coord-bench --compare [--rounds R] [--zk-force-sync yes|no] [--coord-dll PATH] [options]

        options:
          --clients C            connections, one session each (default 4)
          --outstanding K        requests kept in flight per connection (default 64)
          --value-bytes N        data size for create and set, and of the pre-created nodes (default 100)
          --seconds S            measured seconds per workload (default 10)
          --warmup-seconds W     unmeasured seconds before each measurement (default 2)
          --workloads LIST       comma-separated: create,set,get,exists,mixed (mixed = 90% get / 10% set)
          --keys N               pre-created nodes for set/get/exists/mixed (default 1000)
          --label NAME           names the run and its node tree /bench-NAME (default bench)
          --threads              also print the busiest server threads per workload (needs the pid)
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            string Value()
            {
                if (i + 1 >= args.Count) throw new OptionException($"{name} needs a value");
                return args[++i];
            }

            o = name switch
            {
                "--server" => o with { Server = Value() },
                "--server-pid" => o with { ServerPid = PositiveInt(name, Value()) },
                "--clients" => o with { Clients = PositiveInt(name, Value()) },
                "--outstanding" => o with { Outstanding = PositiveInt(name, Value()) },
                "--value-bytes" => o with { ValueBytes = NonNegativeInt(name, Value()) },
                "--seconds" => o with { Seconds = PositiveDouble(name, Value()) },
                "--warmup-seconds" => o with { WarmupSeconds = NonNegativeDouble(name, Value()) },
                "--workloads" => o with { Workloads = ParseWorkloads(Value()) },
                "--keys" => o with { Keys = PositiveInt(name, Value()) },
                "--label" => o with { Label = ParseLabel(Value()) },
                "--compare" => o with { Compare = true },
                "--rounds" => o with { Rounds = PositiveInt(name, Value()) },
                "--zk-force-sync" => o with { ZooKeeperForceSync = YesNo(name, Value()) },
                "--coord-dll" => o with { CoordDll = Value() },
                "--threads" => o with { Threads = true },
                "-h" or "--help" => throw new OptionException(""),
                _ => throw new OptionException($"unknown option {name}"),
            };
        }

        if (o.Compare && o.Server is not null)
            throw new OptionException("--compare starts its own servers; drop --server");
        if (!o.Compare && o.Server is null)
            throw new OptionException("--server HOST:PORT is required (or use --compare)");
        if (o.ValueBytes > 1_000_000)
            throw new OptionException("--value-bytes must stay below jute.maxbuffer (1,048,575 bytes with headers)");
        return o;
    }

    private static int PositiveInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n : throw new OptionException($"{name} expects a positive integer, got '{value}'");

    private static int NonNegativeInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n : throw new OptionException($"{name} expects a non-negative integer, got '{value}'");

    private static double PositiveDouble(string name, string value) =>
        double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double d) && d > 0
            ? d : throw new OptionException($"{name} expects a positive number of seconds, got '{value}'");

    private static double NonNegativeDouble(string name, string value) =>
        double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double d)
            ? d : throw new OptionException($"{name} expects a number of seconds, got '{value}'");

    private static bool YesNo(string name, string value) => value switch
    {
        "yes" or "true" => true,
        "no" or "false" => false,
        _ => throw new OptionException($"{name} expects yes or no, got '{value}'"),
    };

    private static string ParseLabel(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? value : throw new OptionException($"--label may hold letters, digits, '-' and '_' only, got '{value}'");

    private static IReadOnlyList<Workload> ParseWorkloads(string value)
    {
        var list = new List<Workload>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            list.Add(WorkloadNames.Parse(part)
                ?? throw new OptionException($"--workloads: unknown workload '{part}' (create, set, get, exists, mixed)"));
        }
        return list.Count > 0 ? list : throw new OptionException("--workloads needs at least one workload");
    }
}

public sealed class OptionException(string message) : Exception(message);
