using Coord.Chaos.Checking;
using Coord.Chaos.Cluster;
using Coord.Chaos.Runs;
using Xunit.Abstractions;

namespace Coord.Chaos.Specs;

/// <summary>
/// Issue 13's CI run: fault schedules on a real three-member Coord ensemble, and a few on a five-member one (where
/// majority/minority splits leave two members behind and a bridge has two members on each side) (as root in network namespaces, so
/// partitions are real) under the register workload, every history checked — and a few of the same schedules on
/// Apache ZooKeeper's ensemble as the control: every schedule must run and its history be checked, but a violation by
/// ZooKeeper is printed with its report instead of failing, since ZooKeeper 3.8 was seen losing acknowledged writes
/// under one (seed 30591948; see the comment in the spec). The
/// first seed is fresh each run and printed; <c>CHAOS_SEED=S</c> replays from S, <c>CHAOS_SCHEDULES=N</c>
/// changes how many run, <c>CHAOS_SUMMARY=FILE</c> appends each schedule's line and the totals there (CI prints
/// it). A failing schedule keeps its report (schedule, timeline, history, verdict, member logs)
/// in the folder printed. (Not COORD_*: `coord serve` reads every COORD_* variable as a configuration key.)
/// </summary>
[Collection(nameof(ChaosCollection))]
public sealed class ChaosScheduleSpecs(ITestOutputHelper output)
{
    private static long FirstSeed() =>
        long.TryParse(Environment.GetEnvironmentVariable("CHAOS_SEED"), out var s) ? s : Random.Shared.NextInt64(1, 1_000_000_000);

    private static int Count(int byDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable("CHAOS_SCHEDULES"), out var n) && n > 0 ? n : byDefault;

    [Theory]
    [InlineData(ServerKind.Coord, 3, 20)]
    [InlineData(ServerKind.Coord, 5, 4)]
    [InlineData(ServerKind.ZooKeeper, 3, 2)]
    [InlineData(ServerKind.ZooKeeper, 5, 1)]
    public async Task Fault_schedules_under_load_leave_a_history_the_checker_accepts(ServerKind kind, int members, int schedules)
    {
        long seed = FirstSeed();
        int count = kind == ServerKind.Coord && members == 3 ? Count(schedules) : schedules;
        var reports = Path.Combine(Path.GetTempPath(), $"coord-chaos-reports-{Guid.NewGuid():N}");
        var what = $"{kind}, {members} members";
        output.WriteLine($"{what}: {count} schedules from seed {seed} (replay: CHAOS_SEED={seed}); partitions {(NetLab.Unavailable() ?? "on")}");
        var lines = new List<string>();
        var totals = await RunCommand.RunManyAsync(kind, seed, count, long.MaxValue,
            new RunOptions(TimeSpan.FromSeconds(4), KeepReports: reports) { Members = members },
            line => { lock (lines) lines.Add(line); output.WriteLine(line); }, CancellationToken.None);
        output.WriteLine($"{what} total: {totals}");
        // CI prints this file after the run (xunit shows a passing test's output only in detailed logs).
        if (Environment.GetEnvironmentVariable("CHAOS_SUMMARY") is { Length: > 0 } summary)
            File.AppendAllText(summary, $"{what}: {count} schedules from seed {seed} (replay: CHAOS_SEED={seed})\n"
                + string.Join("\n", lines.Select(l => l.Split('\n')[0])) + $"\n{what} total: {totals}\n");
        Assert.Equal(count, totals.Schedules);
        if (kind == ServerKind.ZooKeeper && totals.Violations > 0)
        {
            // ZooKeeper 3.8 itself loses acknowledged writes under some schedules: CI seed 30591948 (a leader cut into
            // the minority, then a follower frozen, then one killed) gave one sequential name to two creates and lost
            // an acknowledged setData, its leader logging "Cannot send TRUNC to peer sid: 3 peer zxid is from
            // different epoch ... fall back to use snapshot". A finding about ZooKeeper, printed with its report; the
            // control still has to run every schedule and check its history within budget.
            output.WriteLine($"ZooKeeper broke the consistency model in {totals.Violations} schedule(s) (a finding about ZooKeeper, not Coord); reports in {reports}");
        }
        else
        {
            Assert.True(totals.Violations == 0, $"{totals.Violations} schedules broke the consistency model; reports in {reports}\n{string.Join("\n", lines)}");
        }
        Assert.True(totals.Failed == 0, $"{totals.Failed} schedules left the ensemble broken or the workload unable to run; reports in {reports}");
        Assert.True(totals.Unknown == 0, $"{totals.Unknown} histories were too big for the checker's budget; reports in {reports}");
        Assert.True(totals.OkOps >= count * 1000L, $"only {totals.OkOps} ops succeeded over {count} schedules: the workload did not run");
        Assert.True(totals.Events >= count * 500L, $"only {totals.Events} watch events were checked over {count} schedules (issue 13 wants 500 a schedule)");
        if (Directory.Exists(reports) && !Directory.EnumerateFileSystemEntries(reports).Any()) Directory.Delete(reports);
    }
}

/// <summary>Chaos runs start whole ensembles and time faults against the sync limit: one at a time.</summary>
[CollectionDefinition(nameof(ChaosCollection), DisableParallelization = true)]
public sealed class ChaosCollection;
