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
        if (o.Ensemble > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# ensembles of {o.Ensemble} members each from zoo.cfg (tickTime {Ensemble.TickMs}, initLimit {Ensemble.InitLimitTicks}, syncLimit {Ensemble.SyncLimitTicks}); clients given every member (raw: client i on member i mod {o.Ensemble}); cpu_us/op and rss_mib summed over the members"));
        }
        Console.WriteLine($"# {Environment.ProcessorCount} cores shared by both servers and this load generator");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {plan.Count} rows × 2 servers × {o.Rounds} round(s); {o.Seconds:0.#} s measured + {o.WarmupSeconds:0.#} s warm-up per request run"));

        async Task<IServerSet> StartAsync(string server)
        {
            if (o.Ensemble > 0)
                return await Ensemble.StartAsync(server, new Ensemble.Settings(o.Ensemble, coordDll, o.ZooKeeperForceSync, o.ZooKeeperHeapMib), ct);
            return server == "zookeeper"
                ? await ServerProcess.StartZooKeeperAsync(o.ZooKeeperForceSync, frameBytesMax, o.ZooKeeperHeapMib, ct)
                : await ServerProcess.StartCoordAsync(coordDll, frameBytesMax, ct);
        }

        var results = new List<RunResult>();
        await using (var zk = await StartAsync("zookeeper"))
        await using (var coord = await StartAsync("coord"))
        {
            Console.WriteLine($"# {Describe(zk)}; {Describe(coord)}");
            var shared = new Dictionary<string, Target>
            {
                ["zookeeper"] = new(TargetLabel(o, "zookeeper"), "zookeeper", zk),
                ["coord"] = new(TargetLabel(o, "coord"), "coord", coord),
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
                        // --ensemble --smoke: creates are a few thousand nodes, so they share the ensemble (saves six starts).
                        if (run.Workload.IsIsolated() && !(o.Ensemble > 0 && o.Smoke))
                        {
                            await using var fresh = await StartAsync(server);
                            var target = new Target(TargetLabel(o, server), server, fresh);
                            r = await WorkloadRun.RunAsync(target, run, o, ct);
                            if (r.Failure is not null && await fresh.ExitNoteAsync(TimeSpan.FromSeconds(5)) is { } note) r = r with { Failure = $"{r.Failure} ({note})" };
                            r = await CheckLeadershipAsync(target, r, ct);
                        }
                        else
                        {
                            var target = shared[server];
                            if (target.Servers!.ExitNote() is { } dead)
                                throw new InvalidOperationException($"{dead}; the shared server is gone, stopping\n{target.Servers.Tail()}");
                            r = await WorkloadRun.RunAsync(target, run, o, ct);
                            r = await CheckLeadershipAsync(target, r, ct);
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

    private static string Describe(IServerSet s) => s is Ensemble e
        ? string.Create(CultureInfo.InvariantCulture,
            $"{e.Name} ensemble pids {string.Join(",", e.Pids)} on {e.ConnectString}, leader member {e.Leader.Id} (every member serving {e.StartToServingMs:0} ms after start)")
        : string.Create(CultureInfo.InvariantCulture,
            $"{s.Name} pid {s.Pids[0]} on {s.EndPoints[0]} (serving {s.StartToServingMs:0} ms after start)");

    /// <summary>
    /// An ensemble row measured across a change of leader measured the election, not the service: such a run is marked
    /// failed with what the members said, and the ensemble's leader is looked up again for the rows after it.
    /// </summary>
    private static async Task<RunResult> CheckLeadershipAsync(Target target, RunResult r, CancellationToken ct)
    {
        if (target.Ensemble is not { } e || await e.StabilityNoteAsync(ct) is not { } note) return r;
        Console.WriteLine($"# {target.Label}: {note}\n{e.Tail()}");
        if (e.ExitNote() is null) await e.WaitForLeaderAsync(TimeSpan.FromSeconds(60), ct);
        return r with { Failure = r.Failure is null ? note : $"{r.Failure}; {note}" };
    }

    private static string TargetLabel(BenchOptions o, string server) => o.Label == "bench" ? server : $"{o.Label}-{server}";

    /// <summary>Coord.Host/bin/Release/net10.0/coord.dll of the checkout this tool runs from; built if missing.</summary>
    internal static async Task<string> LocateCoordDllAsync(CancellationToken ct)
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
