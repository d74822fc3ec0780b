using Coord.Chaos.Cluster;
using Coord.Chaos.Nemesis;

// Placeholder entry until the checker and workloads land: `coord-chaos faults [coord|zookeeper] SEED` runs one fault
// schedule on a fresh ensemble and prints its timeline.
if (args.Length >= 1 && args[0] == "faults")
{
    var kind = args.Length > 1 && args[1] == "zookeeper" ? ServerKind.ZooKeeper : ServerKind.Coord;
    long seed = args.Length > 2 ? long.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.NextInt64(1, 1_000_000);
    await using var ensemble = await ChaosEnsemble.StartAsync(kind);
    var schedule = Schedule.Generate(seed, kind, ensemble.CanPartition, ensemble.TickMs, sessionTimeoutMs: 4000);
    Console.WriteLine(schedule.Describe());
    var runner = new NemesisRunner(ensemble, schedule);
    await runner.RunAsync(CancellationToken.None);
    foreach (var line in runner.Timeline) Console.WriteLine(line);
    return 0;
}
if (args.Length >= 1 && args[0] == "plan")
{
    // The schedules seeds FROM..TO would run, without running them.
    long from = args.Length > 1 ? long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1;
    long to = args.Length > 2 ? long.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : from + 9;
    for (long s = from; s <= to; s++)
        Console.WriteLine(Schedule.Generate(s, ServerKind.Coord, partitions: true, ChaosEnsemble.TickMsDefault, sessionTimeoutMs: 4000).Describe());
    return 0;
}
Console.Error.WriteLine("usage: coord-chaos faults [coord|zookeeper] [SEED] | plan [FROM] [TO]");
return 2;
