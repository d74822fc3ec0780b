using Coord.Actors.Replication;
using Xunit.Abstractions;

namespace Coord.Actors.Specs.Replication;

/// <summary>
/// Thousands of seeded random schedules per configuration with every fault the network and disks can produce; 0
/// violations expected. COORD_SIM_SEED=&lt;seed&gt; runs only that seed (in every configuration) with a full trace.
/// </summary>
public abstract class SimScheduleSpecs(ITestOutputHelper output)
{
    private protected void RunSchedules(SimOptions options, int schedules)
    {
        if (SimRunner.SeedFromEnvironment() is int only)
        {
            var one = SimRunner.Run(options, only, trace: true);
            const int shownMax = 20_000;
            if (one.Trace.Count > shownMax) output.WriteLine($"(the first {one.Trace.Count - shownMax} of {one.Trace.Count} trace lines left out)");
            foreach (var line in one.Trace.Skip(Math.Max(0, one.Trace.Count - shownMax))) output.WriteLine(line);
            output.WriteLine($"{options}, seed {only}: {(one.Violation is null ? "no violation" : one.Violation.Message)}; {one.State}");
            Assert.True(one.Violation is null, one.Violation is null ? "" : SimRunner.Explain(options, one));
            return;
        }
        int steps = 0, elections = 0, proposed = 0, acked = 0, crashes = 0, partitions = 0, diffs = 0, truncs = 0, snaps = 0, chunkFaults = 0;
        int first = SimSchedules.FirstSeed;
        for (int seed = first; seed < first + schedules; seed++)
        {
            var outcome = SimRunner.Run(options, seed);
            if (outcome.Violation is not null)
            {
                string text = SimRunner.Explain(options, outcome);
                output.WriteLine(text);
                Assert.Fail(text);
            }
            steps += outcome.Steps;
            elections += outcome.Elections;
            proposed += outcome.WritesProposed;
            acked += outcome.WritesAcked;
            crashes += outcome.Crashes;
            partitions += outcome.Partitions;
            diffs += outcome.Diffs;
            truncs += outcome.Truncs;
            snaps += outcome.Snaps;
            chunkFaults += outcome.ChunkFaults;
        }
        output.WriteLine($"{options}: {schedules} schedules (seeds {first}..{first + schedules - 1}), {steps} steps, {elections} elections, {proposed} writes proposed, " +
                         $"{acked} acknowledged, {crashes} crashes, {partitions} partitions, syncs by DIFF {diffs} / TRUNC {truncs} / SNAP {snaps}, " +
                         $"{chunkFaults} snapshot chunks or acks dropped, duplicated or held, violations = 0");
        // A soak of a handful of schedules may miss them; CI's thousands must not.
        if (schedules >= 100) Assert.True(snaps > 0 && chunkFaults > 0, $"the schedules streamed {snaps} snapshots and hit {chunkFaults} chunks: SNAP went unexercised");
    }
}

public sealed class SimScheduleSpecs3(ITestOutputHelper output) : SimScheduleSpecs(output)
{
    [Fact]
    public void Three_voters_keep_every_invariant_under_random_faults() => RunSchedules(new SimOptions(3), SimSchedules.PerConfiguration);
}

public sealed class SimScheduleSpecs5(ITestOutputHelper output) : SimScheduleSpecs(output)
{
    [Fact]
    public void Five_voters_keep_every_invariant_under_random_faults() => RunSchedules(new SimOptions(5), SimSchedules.PerConfiguration);
}

public sealed class SimScheduleSpecs3Observer(ITestOutputHelper output) : SimScheduleSpecs(output)
{
    [Fact]
    public void Three_voters_and_an_observer_keep_every_invariant_under_random_faults() =>
        RunSchedules(new SimOptions(3, Observers: 1), SimSchedules.PerConfiguration);
}

internal static class SimSchedules
{
    /// <summary>Schedules per configuration per CI run (COORD_SIM_SCHEDULES overrides, e.g. for a long soak).</summary>
    public static int PerConfiguration =>
        int.TryParse(Environment.GetEnvironmentVariable("COORD_SIM_SCHEDULES"), out int n) && n > 0 ? n : 2_000;

    /// <summary>The first seed (COORD_SIM_FIRST_SEED, default 1): a soak can go on where CI stops.</summary>
    public static int FirstSeed =>
        int.TryParse(Environment.GetEnvironmentVariable("COORD_SIM_FIRST_SEED"), out int n) && n > 0 ? n : 1;
}
