namespace Coord.Actors.Specs.Replication;

/// <summary>What one or more schedules came to.</summary>
internal sealed record SimOutcome(int Seed, SimViolation? Violation, int Steps, int Elections, int WritesProposed, int WritesAcked,
    int Crashes, int Partitions, int Diffs, int Truncs, int Snaps, int ChunkFaults, IReadOnlyList<string> Trace, string State);

/// <summary>
/// Runs seeded schedules: <see cref="StepsPerSchedule"/> random steps, then the liveness phase. A seed fully decides a
/// schedule, so a failing one is run again with the trace on to show what led to the violation.
/// </summary>
internal static class SimRunner
{
    public const int StepsPerSchedule = 3_000;
    public const long SettleMs = 30_000;

    /// <summary>COORD_SIM_SEED=&lt;seed&gt; runs just that schedule with a full trace.</summary>
    public static int? SeedFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("COORD_SIM_SEED"), out int seed) ? seed : null;

    /// <summary>
    /// Odd seeds keep a small log window (8 txns, sync batches of 3, 2 of them as objects), so learners behind it sync
    /// by SNAP; seeds 2 mod 4 keep no txn as an object once it is committed and applied, so every DIFF reads encoded ones.
    /// </summary>
    public static SimOptions ForSeed(SimOptions options, int seed) => (seed % 4) switch
    {
        1 or 3 when options.WindowTxnsMax > 8 => options with { WindowTxnsMax = 8, SyncBatchTxnsMax = 3, WindowHotTxns = 2 },
        2 => options with { WindowHotTxns = 0 },
        _ => options,
    };

    public static SimOutcome Run(SimOptions options, int seed, bool trace = false, int steps = StepsPerSchedule)
    {
        var world = new SimWorld(ForSeed(options, seed), seed, trace);
        SimViolation? violation = null;
        try
        {
            world.Check();
            for (int i = 0; i < steps; i++) world.RandomStep();
            if (!world.Settle(SettleMs))
                throw new SimViolation("liveness", $"no serving leader with every member applying the committed log within {SettleMs} ms after the faults healed");
        }
        catch (SimViolation v)
        {
            violation = v;
        }
        return new SimOutcome(seed, violation, world.Steps, world.Elections, world.WritesProposed, world.WritesAcked,
            world.Crashes, world.Partitions, world.SyncsBy("DIFF"), world.SyncsBy("TRUNC"), world.SyncsBy("SNAP"), world.ChunkFaults, world.TraceLines, world.Describe());
    }

    /// <summary>The failure text for a seed: the violation, the state, and the tail of a traced re-run.</summary>
    public static string Explain(SimOptions options, SimOutcome failed, int tailLines = 80)
    {
        var traced = failed.Trace.Count > 0 ? failed : Run(options, failed.Seed, trace: true);
        var tail = traced.Trace.Skip(Math.Max(0, traced.Trace.Count - tailLines));
        return $"{ForSeed(options, failed.Seed)}, seed {failed.Seed}: {failed.Violation?.Message} at step {failed.Steps}\n" +
               $"state: {traced.State}\n" +
               $"replay: COORD_SIM_SEED={failed.Seed} dotnet test specs/Coord.Actors.Specs -c Release --filter \"FullyQualifiedName~Replication\"\n" +
               $"trace tail:\n{string.Join("\n", tail)}";
    }
}
