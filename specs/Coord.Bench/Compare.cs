using System.Diagnostics;
using System.Globalization;

namespace Coord.Bench;

/// <summary>
/// --compare: Apache ZooKeeper and Coord side by side on this machine, each in a fresh temp data folder.
/// One pair of servers serves the whole session for most request workloads; create, large1m and the scale
/// workloads (znodes1m, sessions10k, watches1m) each get a fresh server, started and removed around the run.
/// Each round runs every planned row against both, swapping which goes first every round so slow
/// drift (page cache, thermal, tree growth) lands on both. The table shows medians over rounds.
/// </summary>
public static class Compare
{
    /// <summary>jute.maxbuffer / frame-bytes-max for both servers when large1m runs: 1 MiB values plus headers.</summary>
    public const int LargeFrameBytesMax = 4 * 1024 * 1024;

    public const int DefaultFrameBytesMax = 1048575;

    public static async Task<int> RunAsync(BenchOptions o, CancellationToken ct)
    {
        string coordDll = o.CoordDll ?? await LocateCoordDllAsync(ct);
        int frameBytesMax = o.Workloads.Contains(Workload.Large1m) ? LargeFrameBytesMax : DefaultFrameBytesMax;
        var plan = WorkloadRun.Plan(o);
        Console.WriteLine($"# coord: {coordDll} (built {File.GetLastWriteTimeUtc(coordDll):yyyy-MM-dd HH:mm:ss} UTC)");
        Console.WriteLine($"# zookeeper: /usr/share/java/zookeeper.jar, forceSync={(o.ZooKeeperForceSync ? "yes" : "no")}, -Xmx{o.ZooKeeperHeapMib}m, maxClientCnxns=0");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# jute.maxbuffer (zookeeper) = coord.client.frame-bytes-max (coord) = {frameBytesMax}{(frameBytesMax != DefaultFrameBytesMax ? " (raised for large1m)" : " (default)")}"));
        Console.WriteLine($"# {Environment.ProcessorCount} cores shared by both servers and this load generator");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {plan.Count} rows × 2 servers × {o.Rounds} round(s); {o.Seconds:0.#} s measured + {o.WarmupSeconds:0.#} s warm-up per request run"));

        Task<ServerProcess> StartAsync(string server) => server == "zookeeper"
            ? ServerProcess.StartZooKeeperAsync(o.ZooKeeperForceSync, frameBytesMax, o.ZooKeeperHeapMib, ct)
            : ServerProcess.StartCoordAsync(coordDll, frameBytesMax, ct);

        var results = new List<RunResult>();
        await using (var zk = await StartAsync("zookeeper"))
        await using (var coord = await StartAsync("coord"))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# zookeeper pid {zk.Pid} on {zk.EndPoint} (serving {zk.StartToServingMs:0} ms after start); coord pid {coord.Pid} on {coord.EndPoint} (serving {coord.StartToServingMs:0} ms after start)"));
            var shared = new Dictionary<string, Target>
            {
                ["zookeeper"] = new(TargetLabel(o, "zookeeper"), "zookeeper", zk.EndPoint, zk.Pid, zk),
                ["coord"] = new(TargetLabel(o, "coord"), "coord", coord.EndPoint, coord.Pid, coord),
            };
            Console.WriteLine(Report.Header);
            for (int round = 1; round <= o.Rounds; round++)
            {
                string[] order = round % 2 == 1 ? ["zookeeper", "coord"] : ["coord", "zookeeper"];
                foreach (var run in plan)
                {
                    foreach (var server in order)
                    {
                        RunResult r;
                        if (run.Workload.IsIsolated())
                        {
                            await using var fresh = await StartAsync(server);
                            r = await WorkloadRun.RunAsync(new Target(TargetLabel(o, server), server, fresh.EndPoint, fresh.Pid, fresh), run, o, ct);
                            if (r.Failure is not null && await fresh.ExitNoteAsync(TimeSpan.FromSeconds(5)) is { } note) r = r with { Failure = $"{r.Failure} ({note})" };
                        }
                        else
                        {
                            var target = shared[server];
                            if (target.Process!.ExitNote() is { } dead)
                                throw new InvalidOperationException($"{dead}; the shared server is gone, stopping\n{target.Process.Tail()}");
                            r = await WorkloadRun.RunAsync(target, run, o, ct);
                        }
                        results.Add(r);
                        Console.WriteLine(Report.Line(r));
                        Console.WriteLine(Report.Json(r, round));
                    }
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"medians over {o.Rounds} round(s); ratio = coord/zk; {o.ValueBytes} B values unless the workload says otherwise; {o.Seconds:0.#} s per request run"));
        Table.Print(Console.Out, plan, results, markdown: false);
        if (o.Markdown)
        {
            Console.WriteLine();
            Console.WriteLine("markdown:");
            Table.Print(Console.Out, plan, results, markdown: true);
        }
        var failed = results.Where(r => !r.Clean).ToList();
        if (failed.Count > 0)
        {
            Console.WriteLine($"{failed.Count} run(s) had errors or failed:");
            foreach (var r in failed) Console.WriteLine("  " + Report.Line(r));
        }
        return failed.Count == 0 ? 0 : 1;
    }

    private static string TargetLabel(BenchOptions o, string server) => o.Label == "bench" ? server : $"{o.Label}-{server}";

    /// <summary>Coord.Host/bin/Release/net10.0/coord.dll of the checkout this tool runs from; built if missing.</summary>
    private static async Task<string> LocateCoordDllAsync(CancellationToken ct)
    {
        string repo = RepoPaths.Root();
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
}
