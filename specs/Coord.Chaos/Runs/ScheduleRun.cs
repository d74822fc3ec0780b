using System.Diagnostics;
using System.Globalization;
using System.Text;
using Coord.Chaos.Checking;
using Coord.Chaos.Cluster;
using Coord.Chaos.History;
using Coord.Chaos.Nemesis;
using Coord.Chaos.Recording;

namespace Coord.Chaos.Runs;

/// <summary>What one schedule on one ensemble came to: its faults' timeline, the history, the checker's verdict.</summary>
public sealed record ScheduleResult(ServerKind Kind, int Members, Schedule Schedule, IReadOnlyList<string> Timeline, OpHistory History, Verdict Verdict,
    TimeSpan Elapsed, string? ReportDir)
{
    public int Ops => History.Ops.Count;
    public int OkOps => History.Ops.Count(o => o.Outcome == Outcome.Ok);
    public int UnknownOps => History.Ops.Count(o => o.Outcome == Outcome.Unknown);

    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"{Kind} seed {Schedule.Seed}{(Members == 3 ? "" : $" ({Members} members)")}: {Verdict.Summary}; {Ops} ops ({OkOps} ok, {UnknownOps} unknown), {Schedule.Faults.Count} faults, " +
        $"{Elapsed.TotalSeconds:0.0} s{(ReportDir is null ? "" : $"; report {ReportDir}")}");
}

/// <param name="SessionTimeout">The workload's sessions: freezes in the schedules outlast it, so some expire.</param>
/// <param name="Clients">Workload clients over all members.</param>
/// <param name="KeepReports">Where each run's report folder goes; a run that passes deletes its folder unless
/// <paramref name="KeepPassing"/>.</param>
public sealed record RunOptions(TimeSpan SessionTimeout, int Clients = 8, string? KeepReports = null, bool KeepPassing = false)
{
    /// <summary>Each fault step as it happens (the timeline, live), or null.</summary>
    public Action<string>? Live { get; init; }
    public TimeSpan CheckBudget { get; init; } = TimeSpan.FromSeconds(90);
    public int FaultsPerSchedule { get; init; } = 3;
    /// <summary>Each client's pause between ops: about 8 × 1/(op time + this) ops per second in all.</summary>
    public TimeSpan ThinkTime { get; init; } = TimeSpan.FromMilliseconds(10);
    /// <summary>Ensemble size for <see cref="RunCommand.RunManyAsync"/> (3 or 5; splits leave a minority of (n-1)/2).</summary>
    public int Members { get; init; } = 3;
}

/// <summary>
/// One schedule against a running ensemble (issue 13 items 2, 3, 5): the workload (registers, counter, lock, ephemerals, watches; versioned setData,
/// reads, sequential creates, sync-then-read, multis; 8 sessions over every member, a session that expires is
/// replaced) runs while the schedule's faults come and go; after the last fault everything is healed, the ensemble
/// must become healthy, the workload stops, and a session on each member alone syncs and reads every key and the
/// queue. The history goes to the checker. The report folder holds schedule.txt, timeline.txt, history.jsonl,
/// verdict.txt, and on a violation each member's last output lines.
/// </summary>
public static class ScheduleRun
{
    public static async Task<ScheduleResult> RunAsync(ChaosEnsemble ensemble, long seed, RunOptions options, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        var schedule = Schedule.Generate(seed, ensemble.Kind, ensemble.CanPartition, ensemble.TickMs, (int)options.SessionTimeout.TotalMilliseconds,
            options.FaultsPerSchedule);
        var workloadOptions = new WorkloadOptions(Clients: options.Clients, Keys: 4, OpsPerClient: int.MaxValue, Seed: unchecked((int)seed))
        {
            SessionTimeout = options.SessionTimeout,
            OpTimeout = options.SessionTimeout,
            Reconnect = true,
            ThinkTime = options.ThinkTime,
            FinalReadHosts = [.. ensemble.Members.Select(m => m.HostPort)],
        };
        using var stopWorkload = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var workload = Workload.RunAsync(ensemble.ConnectString, workloadOptions, stopWorkload.Token);
        var nemesis = new NemesisRunner(ensemble, schedule, options.Live);
        Exception? faultError = null;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), ct); // the workload gets going before the first fault
            await nemesis.RunAsync(ct);
            await Task.Delay(TimeSpan.FromSeconds(1), ct); // ops on the healed ensemble
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            faultError = e;
        }
        await stopWorkload.CancelAsync();
        options.Live?.Invoke("workload stopping; final reads on every member");
        OpHistory history;
        try
        {
            history = await workload;
        }
        catch (Exception e) when (faultError is not null)
        {
            throw new InvalidOperationException($"seed {seed}: the schedule failed ({faultError.Message}) and the workload with it ({e.Message})", faultError);
        }
        if (faultError is not null) throw new InvalidOperationException($"seed {seed}: {faultError.Message}\n{string.Join("\n", nemesis.Timeline)}", faultError);

        var verdict = Checker.Check(history, new CheckOptions(Budget: options.CheckBudget));
        var elapsed = Stopwatch.GetElapsedTime(started);
        string? dir = null;
        if (options.KeepReports is { } root && (options.KeepPassing || !verdict.IsOk))
        {
            dir = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"{ensemble.Kind.ToString().ToLowerInvariant()}-seed-{seed}"));
            WriteReport(dir, ensemble, schedule, nemesis.Timeline, history, verdict, elapsed);
        }
        return new ScheduleResult(ensemble.Kind, ensemble.Members.Count, schedule, nemesis.Timeline, history, verdict, elapsed, dir);
    }

    private static void WriteReport(string dir, ChaosEnsemble ensemble, Schedule schedule, IReadOnlyList<string> timeline, OpHistory history,
        Verdict verdict, TimeSpan elapsed)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "schedule.txt"), schedule.Describe() + "\n" +
            $"replay: coord-chaos run {ensemble.Kind.ToString().ToLowerInvariant()} --members {ensemble.Members.Count} --seed {schedule.Seed} --schedules 1\n");
        File.WriteAllLines(Path.Combine(dir, "timeline.txt"), timeline);
        HistoryJson.WriteFile(Path.Combine(dir, "history.jsonl"), history);
        File.WriteAllText(Path.Combine(dir, "verdict.txt"), verdict + "\n" +
            string.Create(CultureInfo.InvariantCulture, $"elapsed {elapsed.TotalSeconds:0.0} s\n"));
        if (!verdict.IsOk)
        {
            var logs = new StringBuilder();
            foreach (var m in ensemble.Members) logs.Append($"=== member {m.Id}\n").Append(m.Process?.Tail() ?? "").Append('\n');
            File.WriteAllText(Path.Combine(dir, "members.log"), logs.ToString());
        }
    }
}
