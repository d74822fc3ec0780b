using System.Diagnostics;
using Coord.Chaos.Checking;
using Xunit.Abstractions;

namespace Coord.Chaos.Specs;

/// <summary>
/// Histories generated from a sequential model with random concurrency must pass; the same histories with one planted
/// anomaly (a read of data never written, a sequential name given twice, a session reading past its own write) must
/// fail. Seeds are fixed so a failure replays; the failing seed and history are printed.
/// </summary>
public sealed class RandomHistorySpecs(ITestOutputHelper output)
{
    [Fact]
    public void Generated_histories_pass_and_planted_anomalies_fail()
    {
        var watch = Stopwatch.StartNew();
        int ops = 0, mutated = 0;
        for (var seed = 1; seed <= 300; seed++)
        {
            var history = new RandomHistories(seed, sessions: 2 + seed % 5, keys: 1 + seed % 3, opsMax: 40 + seed % 60).Generate();
            ops += history.Ops.Count;
            var verdict = Checker.Check(history);
            if (!verdict.IsOk)
            {
                Print(history);
                Assert.Fail($"seed {seed}: a generated history failed: {verdict}");
            }

            var random = new Random(seed);
            for (var kind = 0; kind < 3; kind++)
            {
                if (RandomHistories.Mutate(history, kind, random) is not { } m) continue;
                mutated++;
                var bad = Checker.Check(m.History, new CheckOptions(Explain: false));
                if (bad.Kind != VerdictKind.Violation)
                {
                    Print(m.History);
                    Assert.Fail($"seed {seed}: planted anomaly not found ({m.What}): {bad}");
                }
            }
        }

        output.WriteLine($"300 generated histories ({ops} ops) passed, {mutated} mutants failed, in {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void A_long_history_is_checked_within_budget()
    {
        var history = new RandomHistories(4242, sessions: 8, keys: 4, opsMax: 4000).Generate();
        var verdict = Checker.Check(history, new CheckOptions(Budget: TimeSpan.FromSeconds(60)));
        output.WriteLine(verdict.Summary);
        Assert.True(verdict.IsOk, verdict.ToString());
    }

    private void Print(History.OpHistory history)
    {
        foreach (var op in history.Ops) output.WriteLine(op.ToString());
    }
}
