using System.Globalization;
using Coord.Chaos.Checking;
using Coord.Chaos.Cluster;
using Coord.Chaos.History;
using Coord.Chaos.Nemesis;

namespace Coord.Chaos;

/// <summary>
/// coord-chaos: <c>check HISTORY.jsonl [--budget-seconds N]</c> prints the checker's verdict (exit 0 ok, 1 violation,
/// 3 budget exceeded, 2 bad usage or input); <c>faults [coord|zookeeper] [SEED] [MEMBERS]</c> runs one fault schedule on a fresh
/// ensemble and prints its timeline; <c>plan [FROM] [TO]</c> prints the schedules of those seeds without running them;
/// <c>run</c> runs schedules with the workload and the checker (and, with <c>--hours</c>, is the soak; see RunCommand).
/// </summary>
public static class Program
{
    private const string Usage = "usage: coord-chaos run coord|zookeeper [--members 3|5] [--seed S] [--schedules N | --hours H] [--report DIR] [--keep-passing]\n"
        + "       coord-chaos check HISTORY.jsonl [--budget-seconds N] | faults [coord|zookeeper] [SEED] [MEMBERS] | plan [FROM] [TO]";

    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "check" when args.Length >= 2:
                return Check(args);
            case "faults":
                return await FaultsAsync(args);
            case "run":
                try
                {
                    return await Runs.RunCommand.MainAsync(args);
                }
                catch (Exception e) when (e is ArgumentException or FormatException)
                {
                    Console.Error.WriteLine($"coord-chaos: {e.Message}\n{Usage}");
                    return 2;
                }
            case "plan":
            {
                long from = args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 1;
                long to = args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : from + 9;
                for (long s = from; s <= to; s++)
                    Console.WriteLine(Schedule.Generate(s, ServerKind.Coord, partitions: true, ChaosEnsemble.TickMsDefault, sessionTimeoutMs: 4000).Describe());
                return 0;
            }
            default:
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }

    private static async Task<int> FaultsAsync(string[] args)
    {
        var kind = args.Length > 1 && args[1] == "zookeeper" ? ServerKind.ZooKeeper : ServerKind.Coord;
        long seed = args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : Random.Shared.NextInt64(1, 1_000_000);
        int members = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3;
        await using var ensemble = await ChaosEnsemble.StartAsync(kind, members);
        var schedule = Schedule.Generate(seed, kind, ensemble.CanPartition, ensemble.TickMs, sessionTimeoutMs: 4000);
        Console.WriteLine(schedule.Describe());
        var runner = new NemesisRunner(ensemble, schedule);
        await runner.RunAsync(CancellationToken.None);
        foreach (var line in runner.Timeline) Console.WriteLine(line);
        return 0;
    }

    private static int Check(string[] args)
    {
        var budget = TimeSpan.FromMinutes(2);
        for (var i = 2; i < args.Length; i++)
        {
            if (args[i] == "--budget-seconds" && i + 1 < args.Length && double.TryParse(args[i + 1],
                    System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0)
            {
                budget = TimeSpan.FromSeconds(s);
                i++;
            }
            else
            {
                Console.Error.WriteLine($"coord-chaos: unexpected argument '{args[i]}'");
                return 2;
            }
        }

        OpHistory history;
        try
        {
            history = HistoryJson.ReadFile(args[1]);
        }
        catch (HistoryFormatException e)
        {
            Console.Error.WriteLine($"coord-chaos: {e.Message}");
            return 2;
        }

        var verdict = Checker.Check(history, new CheckOptions(Budget: budget));
        Console.WriteLine(verdict);
        return verdict.Kind switch
        {
            VerdictKind.Ok => 0,
            VerdictKind.Violation => 1,
            _ => 3,
        };
    }
}
