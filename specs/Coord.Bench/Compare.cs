using System.Diagnostics;
using System.Globalization;

namespace Coord.Bench;

/// <summary>
/// --compare: Apache ZooKeeper and Coord side by side on this machine. Both servers run for the whole
/// session; each round runs every workload against both, swapping which goes first every round so slow
/// drift (page cache, thermal, tree growth) lands on both. The table shows medians over rounds.
/// </summary>
public static class Compare
{
    public static async Task<int> RunAsync(BenchOptions o, CancellationToken ct)
    {
        string coordDll = o.CoordDll ?? await LocateCoordDllAsync(ct);
        Console.WriteLine($"# coord: {coordDll} (built {File.GetLastWriteTimeUtc(coordDll):yyyy-MM-dd HH:mm:ss} UTC)");
        Console.WriteLine($"# zookeeper: /usr/share/java/zookeeper.jar, forceSync={(o.ZooKeeperForceSync ? "yes" : "no")}, -Xmx1000m");
        Console.WriteLine($"# {Environment.ProcessorCount} cores shared by both servers and this load generator");

        var results = new List<RunResult>();
        await using (var zk = await ServerProcess.StartZooKeeperAsync(o.ZooKeeperForceSync, ct))
        await using (var coord = await ServerProcess.StartCoordAsync(coordDll, ct))
        {
            Console.WriteLine($"# zookeeper pid {zk.Pid} on {zk.EndPoint}; coord pid {coord.Pid} on {coord.EndPoint}");
            var zkTarget = new Target(TargetLabel(o, "zookeeper"), zk.EndPoint, zk.Pid, o.Clients);
            var coordTarget = new Target(TargetLabel(o, "coord"), coord.EndPoint, coord.Pid, o.Clients);
            Console.WriteLine(Report.Header);
            for (int round = 1; round <= o.Rounds; round++)
            {
                Target[] order = round % 2 == 1 ? [zkTarget, coordTarget] : [coordTarget, zkTarget];
                foreach (var workload in o.Workloads)
                {
                    foreach (var target in order)
                    {
                        var r = await WorkloadRun.RunAsync(target, workload, o, ct);
                        results.Add(r);
                        Console.WriteLine(Report.Line(r));
                        Console.WriteLine(Report.Json(r, round));
                    }
                }
            }
        }

        Console.WriteLine();
        PrintTable(o, results);
        return results.All(r => r.Clean) ? 0 : 1;
    }

    private static string TargetLabel(BenchOptions o, string server) => o.Label == "bench" ? server : $"{o.Label}-{server}";

    private static void PrintTable(BenchOptions o, List<RunResult> results)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"medians over {o.Rounds} round(s); {o.Clients} clients × {o.Outstanding} outstanding, {o.ValueBytes} B values, {o.Seconds:0.#} s per run"));
        Console.WriteLine($"{"workload",-9} {"metric",-22} {"zookeeper",12} {"coord",12} {"coord/zk",9}");
        foreach (var workload in o.Workloads)
        {
            var zk = results.Where(r => r.Workload == workload && r.Label.EndsWith("zookeeper", StringComparison.Ordinal)).ToList();
            var co = results.Where(r => r.Workload == workload && r.Label.EndsWith("coord", StringComparison.Ordinal)).ToList();
            Row(workload, "ops/s", zk, co, r => r.OpsPerSecond, "0");
            Row(workload, "p50_us", zk, co, r => r.Latency.QuantileMicros(0.50), "0");
            Row(workload, "p99_us", zk, co, r => r.Latency.QuantileMicros(0.99), "0");
            Row(workload, "p999_us", zk, co, r => r.Latency.QuantileMicros(0.999), "0");
            Row(workload, "server_cpu_us_per_op", zk, co, r => r.ServerCpuMicrosPerOp, "0.0");
            Row(workload, "server_cpu_cores", zk, co, r => r.ServerCpuCores, "0.00");
            Row(workload, "load_gen_cpu_cores", zk, co, r => r.LoadGeneratorCpuCores, "0.00");
            Row(workload, "server_rss_mib (max)", zk, co, r => r.ServerRssMib, "0", max: true);
            Row(workload, "errors (sum)", zk, co, r => r.ErrorCount + (r.Failure is null ? 0 : 1), "0", sum: true);
        }
        var failed = results.Where(r => !r.Clean).ToList();
        if (failed.Count > 0)
        {
            Console.WriteLine($"{failed.Count} run(s) had errors or failed:");
            foreach (var r in failed) Console.WriteLine("  " + Report.Line(r));
        }
    }

    private static void Row(Workload w, string metric, List<RunResult> zk, List<RunResult> co, Func<RunResult, double?> pick,
        string format, bool max = false, bool sum = false)
    {
        double? Agg(List<RunResult> rs)
        {
            var values = rs.Select(pick).Where(v => v is { } d && double.IsFinite(d)).Select(v => v!.Value).ToList();
            if (values.Count == 0) return null;
            if (sum) return values.Sum();
            if (max) return values.Max();
            return Median(values);
        }

        double? z = Agg(zk), c = Agg(co);
        string ratio = z is > 0 && c is { } cv ? (cv / z.Value).ToString("0.00", CultureInfo.InvariantCulture) : "-";
        string F(double? v) => v is { } d ? d.ToString(format, CultureInfo.InvariantCulture) : "-";
        Console.WriteLine($"{w.Name(),-9} {metric,-22} {F(z),12} {F(c),12} {ratio,9}");
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    /// <summary>Coord.Host/bin/Release/net10.0/coord.dll of the checkout this tool runs from; built if missing.</summary>
    private static async Task<string> LocateCoordDllAsync(CancellationToken ct)
    {
        string? repo = FindRepo(AppContext.BaseDirectory) ?? FindRepo(Environment.CurrentDirectory)
            ?? throw new InvalidOperationException("Coord.sln not found above this tool or the working directory; pass --coord-dll PATH");
        string dll = Path.Combine(repo, "Coord.Host", "bin", "Release", "net10.0", "coord.dll");
        if (File.Exists(dll)) return dll;

        Console.WriteLine($"# {dll} is missing: dotnet build -c Release Coord.Host");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = repo, UseShellExecute = false };
        foreach (var a in new[] { "build", "-c", "Release", "Coord.Host" }) info.ArgumentList.Add(a);
        using var build = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet build");
        await build.WaitForExitAsync(ct);
        if (build.ExitCode != 0 || !File.Exists(dll))
            throw new InvalidOperationException($"dotnet build -c Release Coord.Host failed (exit {build.ExitCode})");
        return dll;
    }

    private static string? FindRepo(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Coord.sln"))) return dir.FullName;
        }
        return null;
    }
}
