using System.Globalization;

namespace Coord.Bench;

/// <summary>The benchmark's settings, parsed once from the command line. Errors say which option to fix.</summary>
public sealed record BenchOptions
{
    public string? Server { get; init; }
    public int? ServerPid { get; init; }
    /// <summary>C×K combinations; every per-shape workload runs at each. --clients/--outstanding set one.</summary>
    public IReadOnlyList<Shape> Shapes { get; init; } = [new Shape(4, 64)];

    /// <summary>raw (protocol by hand), client (Coord.Client), java (Apache ZooKeeper's Java client).</summary>
    public IReadOnlyList<string> Drivers { get; init; } = ["raw"];
    public int ValueBytes { get; init; } = 100;
    public double Seconds { get; init; } = 10;
    public double WarmupSeconds { get; init; } = 2;
    public IReadOnlyList<Workload> Workloads { get; init; } = [Workload.Create, Workload.Set, Workload.Get, Workload.Exists, Workload.Mixed];
    public string Label { get; init; } = "bench";
    public bool Compare { get; init; }
    public int Rounds { get; init; } = 3;

    /// <summary>ZooKeeper's forceSync (compare mode). On by default, as in a stock ZooKeeper.</summary>
    public bool ZooKeeperForceSync { get; init; } = true;

    /// <summary>ZooKeeper's -Xmx in MiB (compare mode); 1000 is what zkServer.sh uses.</summary>
    public int ZooKeeperHeapMib { get; init; } = 1000;

    /// <summary>Number of pre-created nodes that set/get/exists/mixed spread over.</summary>
    public int Keys { get; init; } = 1000;

    /// <summary>Print the busiest server threads per workload (from /proc/PID/task/*/stat).</summary>
    public bool Threads { get; init; }

    public string? CoordDll { get; init; }

    /// <summary>Also print the --compare table as Markdown (for BENCHMARKS.md).</summary>
    public bool Markdown { get; init; }

    /// <summary>Watcher sessions of the watch fan-out workload.</summary>
    public int Watchers { get; init; } = 100;

    /// <summary>Nodes created by znodes1m.</summary>
    public int Znodes { get; init; } = 1_000_000;

    /// <summary>Sessions opened by sessions10k.</summary>
    public int Sessions { get; init; } = 10_000;

    /// <summary>Watches registered by watches1m, spread over <see cref="WatchSessions"/> sessions.</summary>
    public int Watches { get; init; } = 1_000_000;

    public int WatchSessions { get; init; } = 100;

    public bool Smoke { get; init; }

    /// <summary>
    /// Members per server in --compare and --failover (0: one standalone server each). Each side is an ensemble of
    /// this many members started from zoo.cfg files (<see cref="Coord.Bench.Ensemble"/>).
    /// </summary>
    public int Ensemble { get; init; }

    /// <summary>--failover: kill -9 the leader of each ensemble under kazoo writers and compare the pauses.</summary>
    public bool Failover { get; init; }

    /// <summary>--sync-fresh (with --compare): how long a member with an empty data folder takes to sync from a loaded ensemble.</summary>
    public bool SyncFresh { get; init; }

    /// <summary>--failover: kazoo writer sessions.</summary>
    public int Writers { get; init; } = 8;

    /// <summary>The basic workloads an ensemble compare runs unless --workloads says otherwise (issue 12's targets).</summary>
    public static readonly IReadOnlyList<Workload> EnsembleWorkloads = [Workload.Create, Workload.Set, Workload.Get, Workload.Mixed];

    /// <summary>
    /// --smoke: every workload and driver, tiny: 1 round, 1 s, small N. Checks the harness works, not speed.
    /// Options after it still apply.
    /// </summary>
    public static BenchOptions SmokeDefaults => new()
    {
        Smoke = true,
        Shapes = [new Shape(2, 8)],
        Drivers = ["raw", "client", "java"],
        Workloads = WorkloadNames.All.Split(',').Select(n => WorkloadNames.Parse(n)!.Value).ToList(),
        Seconds = 0.5,
        WarmupSeconds = 0.2,
        Rounds = 1,
        Keys = 50,
        Watchers = 5,
        Znodes = 2000,
        Sessions = 200,
        Watches = 2000,
        WatchSessions = 10,
    };
    public const string Usage = """
        usage: coord-bench --server HOST:PORT [--server-pid PID] [options]
               coord-bench --compare [--ensemble N] [--rounds R] [--zk-force-sync yes|no] [--zk-heap-mib M] [--coord-dll PATH] [options]
               coord-bench --failover [--ensemble N] [--writers W] [--rounds R] [--coord-dll PATH] [--markdown]
               coord-bench --sync-fresh --compare [--znodes N] [--ensemble N] [--rounds R] [--coord-dll PATH] [--markdown]

        options:
          --clients C            connections, one session each (default 4)
          --outstanding K        requests kept in flight per connection (default 64)
          --shapes LIST          several C×K at once, e.g. 4x64,16x64 (replaces --clients/--outstanding)
          --driver LIST          raw (protocol by hand, default), client (Coord.Client), java (Apache
                                 ZooKeeper's Java client); comma-separated for several; client and java
                                 run create,set,get,exists,mixed only
          --value-bytes N        data size for create and set, and of the pre-created nodes (default 100)
          --seconds S            measured seconds per workload (default 10)
          --warmup-seconds W     unmeasured seconds before each measurement (default 2)
          --workloads LIST       comma-separated, or "all": create,set,get,exists,mixed (90% get / 10% set),
                                 watch, churn, large64k, large1m, znodes1m, sessions10k, watches1m
          --keys N               pre-created nodes for set/get/exists/mixed (default 1000)
          --label NAME           names the run and its node tree /bench-NAME (default bench)
          --threads              also print the busiest server threads per workload (needs the pid)
          --watchers N           watch: watcher sessions (default 100)
          --znodes N             znodes1m: nodes to create (default 1000000)
          --sessions N           sessions10k: sessions to open (default 10000)
          --watches N            watches1m: watches to register (default 1000000)
          --watch-sessions N     watches1m: sessions they are spread over (default 100)
          --markdown             --compare: also print the table as Markdown
          --smoke                tiny run of everything (1 round, 0.5 s, small N, all drivers, 2x8); later options override
          --ensemble N           --compare/--failover: each server is an ensemble of N members (odd, >= 3) started
                                 from zoo.cfg files; --compare then runs create,set,get,mixed (exists too if asked)
          --failover             kill -9 each ensemble's leader under kazoo writers: pause and lost writes, ZooKeeper
                                 vs Coord (--ensemble 3 unless given); --warmup-seconds = writing before the kill
                                 (default 3), --seconds = writing after every writer resumed (default 2)
          --writers N            --failover: kazoo writer sessions (default 8)
          --sync-fresh           with --compare: an ensemble (--ensemble 3 unless given) with its last member held back,
                                 --znodes created through the leader (C×K of --clients/--outstanding), then the held-back
                                 member starts with an empty data folder: process start -> synced follower, ZooKeeper vs
                                 Coord, and its znode count afterwards
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var o = args.Contains("--smoke") ? SmokeDefaults : new BenchOptions();
        var given = new HashSet<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            given.Add(name);
            string Value()
            {
                if (i + 1 >= args.Count) throw new OptionException($"{name} needs a value");
                return args[++i];
            }

            o = name switch
            {
                "--server" => o with { Server = Value() },
                "--server-pid" => o with { ServerPid = PositiveInt(name, Value()) },
                "--clients" => o with { Shapes = [o.Shapes[0] with { Clients = PositiveInt(name, Value()) }] },
                "--outstanding" => o with { Shapes = [o.Shapes[0] with { Outstanding = PositiveInt(name, Value()) }] },
                "--shapes" => o with { Shapes = ParseShapes(Value()) },
                "--driver" or "--drivers" => o with { Drivers = ParseDrivers(Value()) },
                "--watchers" => o with { Watchers = PositiveInt(name, Value()) },
                "--znodes" => o with { Znodes = PositiveInt(name, Value()) },
                "--sessions" => o with { Sessions = PositiveInt(name, Value()) },
                "--watches" => o with { Watches = PositiveInt(name, Value()) },
                "--watch-sessions" => o with { WatchSessions = PositiveInt(name, Value()) },
                "--markdown" => o with { Markdown = true },
                "--smoke" => o,
                "--value-bytes" => o with { ValueBytes = NonNegativeInt(name, Value()) },
                "--seconds" => o with { Seconds = PositiveDouble(name, Value()) },
                "--warmup-seconds" => o with { WarmupSeconds = NonNegativeDouble(name, Value()) },
                "--workloads" => o with { Workloads = ParseWorkloads(Value()) },
                "--keys" => o with { Keys = PositiveInt(name, Value()) },
                "--label" => o with { Label = ParseLabel(Value()) },
                "--compare" => o with { Compare = true },
                "--rounds" => o with { Rounds = PositiveInt(name, Value()) },
                "--zk-force-sync" => o with { ZooKeeperForceSync = YesNo(name, Value()) },
                "--zk-heap-mib" => o with { ZooKeeperHeapMib = PositiveInt(name, Value()) },
                "--coord-dll" => o with { CoordDll = Value() },
                "--threads" => o with { Threads = true },
                "--ensemble" => o with { Ensemble = EnsembleSize(Value()) },
                "--failover" => o with { Failover = true },
                "--writers" => o with { Writers = PositiveInt(name, Value()) },
                "--sync-fresh" => o with { SyncFresh = true },
                "-h" or "--help" => throw new OptionException(""),
                _ => throw new OptionException($"unknown option {name}"),
            };
        }

        if (o.SyncFresh)
        {
            if (!o.Compare || o.Server is not null || o.Failover)
                throw new OptionException("--sync-fresh goes with --compare (it starts its own ensembles); drop --server and --failover");
            if (given.Contains("--workloads")) throw new OptionException("--sync-fresh runs no workloads; drop --workloads");
            if (o.ValueBytes > 1_000_000) throw new OptionException("--value-bytes must stay below jute.maxbuffer (1,048,575 bytes with headers)");
            return o with { Ensemble = o.Ensemble > 0 ? o.Ensemble : 3 };
        }
        if (o.Failover)
        {
            if (o.Compare || o.Server is not null) throw new OptionException("--failover starts its own ensembles; drop --compare and --server");
            o = o with
            {
                Ensemble = o.Ensemble > 0 ? o.Ensemble : 3,
                WarmupSeconds = given.Contains("--warmup-seconds") ? o.WarmupSeconds : o.Smoke ? 1 : 3,
                Seconds = given.Contains("--seconds") ? o.Seconds : o.Smoke ? 0.5 : 2,
            };
            if (o.WarmupSeconds < 0.5) throw new OptionException("--failover needs --warmup-seconds of at least 0.5 (writing before the kill)");
            return o;
        }
        if (o.Ensemble > 0)
        {
            if (!o.Compare) throw new OptionException("--ensemble goes with --compare or --failover");
            if (!given.Contains("--workloads")) o = o with { Workloads = EnsembleWorkloads };
            var single = o.Workloads.Where(w => !w.IsBasic()).ToList();
            if (single.Count > 0)
                throw new OptionException($"--ensemble runs create,set,get,exists,mixed only, not {string.Join(",", single.Select(w => w.Name()))}");
        }
        if (o.Compare && o.Server is not null)
            throw new OptionException("--compare starts its own servers; drop --server");
        if (!o.Compare && o.Server is null)
            throw new OptionException("--server HOST:PORT is required (or use --compare or --failover)");
        if (o.Shapes.Any(sh => sh.Clients > 4096))
            throw new OptionException("at most 4096 clients per shape");
        if (o.ValueBytes > 1_000_000)
            throw new OptionException("--value-bytes must stay below jute.maxbuffer (1,048,575 bytes with headers)");
        return o;
    }

    private static int EnsembleSize(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 3 && n % 2 == 1 && n <= 7
            ? n : throw new OptionException($"--ensemble expects an odd member count from 3 to 7, got '{value}'");

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

    private static IReadOnlyList<Shape> ParseShapes(string value)
    {
        var list = new List<Shape>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var ck = part.Split('x', '×');
            if (ck.Length != 2 || !int.TryParse(ck[0], NumberStyles.None, CultureInfo.InvariantCulture, out int c) || c <= 0
                || !int.TryParse(ck[1], NumberStyles.None, CultureInfo.InvariantCulture, out int k) || k <= 0)
                throw new OptionException($"--shapes expects CxK,CxK... (e.g. 4x64,16x64), got '{part}'");
            list.Add(new Shape(c, k));
        }
        return list.Count > 0 ? list : throw new OptionException("--shapes needs at least one CxK");
    }

    private static IReadOnlyList<string> ParseDrivers(string value)
    {
        var list = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        foreach (var d in list)
        {
            if (!WorkloadRun.DriverNames.Contains(d)) throw new OptionException($"--driver: unknown driver '{d}' (raw, client, java)");
        }
        return list.Count > 0 ? list : throw new OptionException("--driver needs at least one driver");
    }

    private static IReadOnlyList<Workload> ParseWorkloads(string value)
    {
        if (value == "all") value = WorkloadNames.All;
        var list = new List<Workload>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            list.Add(WorkloadNames.Parse(part)
                ?? throw new OptionException($"--workloads: unknown workload '{part}' ({WorkloadNames.All})"));
        }
        return list.Count > 0 ? list : throw new OptionException("--workloads needs at least one workload");
    }
}

public sealed class OptionException(string message) : Exception(message);
