using System.Diagnostics;
using System.Globalization;
using Coord.Chaos.Checking;
using Coord.Chaos.Cluster;

namespace Coord.Chaos.Runs;

/// <summary>
/// <c>coord-chaos run coord|zookeeper [--members 3|5] [--seed S] [--schedules N | --hours H] [--report DIR] [--keep-passing]</c>:
/// schedules seeds S, S+1, ... on one ensemble (started again if a schedule leaves it broken), one line per schedule,
/// totals at the end (the soak's report); exit 1 if any schedule's history is a violation or a schedule failed.
/// </summary>
public static class RunCommand
{
    public sealed record Totals(int Schedules, int Violations, int Unknown, int Failed, long Ops, long OkOps, long UnknownOps, long Faults, TimeSpan Elapsed)
    {
        /// <summary>Watch events checked over all schedules.</summary>
        public long Events { get; init; }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Schedules} schedules, {Faults} faults, {Ops} checked ops ({OkOps} ok, {UnknownOps} unknown), {Events} checked watch events, " +
            $"{Violations} violations, {Unknown} undecided (budget), {Failed} failed runs, {Elapsed.TotalMinutes:0.0} min");
    }

    public static async Task<int> MainAsync(string[] args)
    {
        var kind = args.Length > 1 && args[1] == "zookeeper" ? ServerKind.ZooKeeper : ServerKind.Coord;
        long seed = Random.Shared.NextInt64(1, 1_000_000_000);
        int schedules = 10, members = 3;
        double? hours = null;
        string report = Path.Combine(Environment.CurrentDirectory, "chaos-reports");
        bool keepPassing = false, verbose = false;
        for (int i = 2; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--seed": seed = long.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--schedules": schedules = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--hours": hours = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--report": report = Next(); break;
                case "--members":
                    members = int.Parse(Next(), CultureInfo.InvariantCulture);
                    if (members is not (3 or 5)) throw new ArgumentException("--members is 3 or 5");
                    break;
                case "--keep-passing": keepPassing = true; break;
                case "--verbose": verbose = true; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        Console.WriteLine($"coord-chaos: {kind}, {members} members, first seed {seed}, " + (hours is { } h ? $"for {h} h" : $"{schedules} schedules") + $", reports in {report}");
        var options = new RunOptions(TimeSpan.FromSeconds(4), KeepReports: report, KeepPassing: keepPassing)
        {
            Live = verbose ? line => Console.WriteLine("  " + line) : null,
            Members = members,
        };
        var until = hours is { } hh ? Stopwatch.GetTimestamp() + (long)(hh * 3600 * Stopwatch.Frequency) : long.MaxValue;
        // Ctrl-C or SIGTERM stops after cleaning up (processes, namespaces, folders), with the totals so far.
        using var stop = new CancellationTokenSource();
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        var totals = await RunManyAsync(kind, seed, hours is null ? schedules : int.MaxValue, until, options, r => Console.WriteLine(r), stop.Token);
        Console.WriteLine("total: " + totals);
        File.AppendAllText(Path.Combine(Directory.CreateDirectory(report).FullName, "summary.txt"),
            $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {kind} {members} members, first seed {seed}: {totals}\n");
        return totals.Violations + totals.Failed > 0 ? 1 : 0;
    }

    /// <summary>Runs schedules of seeds <paramref name="firstSeed"/>.. until <paramref name="count"/> ran or the time is up.</summary>
    public static async Task<Totals> RunManyAsync(ServerKind kind, long firstSeed, int count, long untilTimestamp, RunOptions options,
        Action<string> report, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        int runs = 0, violations = 0, unknown = 0, failed = 0;
        long ops = 0, okOps = 0, unknownOps = 0, faults = 0, events = 0;
        ChaosEnsemble? ensemble = null;
        try
        {
            for (long seed = firstSeed; runs < count && Stopwatch.GetTimestamp() < untilTimestamp && !ct.IsCancellationRequested; seed++)
            {
                ensemble ??= await ChaosEnsemble.StartAsync(kind, options.Members);
                runs++;
                try
                {
                    var r = await ScheduleRun.RunAsync(ensemble, seed, options, ct);
                    ops += r.Ops;
                    okOps += r.OkOps;
                    unknownOps += r.UnknownOps;
                    events += r.Verdict.EventsChecked;
                    faults += r.Schedule.Faults.Count;
                    if (r.Verdict.Kind == VerdictKind.Violation) violations++;
                    else if (r.Verdict.Kind != VerdictKind.Ok) unknown++;
                    report(r.Line() + (r.Verdict.IsOk ? "" : "\n" + r.Verdict));
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    runs--;
                    report($"{kind} seed {seed}: stopped");
                }
                catch (Exception e)
                {
                    // The ensemble did not come back healthy, or the workload could not run: a failed run, kept with
                    // the members' state and logs (over all their restarts) for a look at why.
                    failed++;
                    string where = "";
                    bool written = false;
                    if (options.KeepReports is { } root)
                    {
                        var dir = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"{kind.ToString().ToLowerInvariant()}-seed-{seed}-failed"));
                        try
                        {
                            await ensemble.WriteDiagnosticsAsync(dir);
                            File.WriteAllText(Path.Combine(dir, "failure.txt"), string.Create(CultureInfo.InvariantCulture,
                                $"seed {seed}, {options.Members} members\nreplay: coord-chaos run {kind.ToString().ToLowerInvariant()} --members {options.Members} --seed {seed} --schedules 1\n\n{e}\n"));
                            where = $"; report {dir}";
                            written = true;
                        }
                        catch (Exception io) when (io is IOException or UnauthorizedAccessException)
                        {
                            where = $"; report not written ({io.Message})";
                        }
                    }
                    report($"{kind} seed {seed}: FAILED: {e.Message}{where}" + (written ? "" : $"\n{ensemble.Describe()}"));
                    await ensemble.DisposeAsync();
                    ensemble = null;
                }
            }
        }
        finally
        {
            if (ensemble is not null) await ensemble.DisposeAsync();
        }
        return new Totals(runs, violations, unknown, failed, ops, okOps, unknownOps, faults, Stopwatch.GetElapsedTime(started)) { Events = events };
    }
}
