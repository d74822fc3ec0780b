using Coord.Chaos.Checking;
using Coord.Chaos.History;
using Coord.Chaos.Recording;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;

namespace Coord.Chaos.Specs;

/// <summary>
/// Histories recorded from real servers — Apache ZooKeeper 3.8 (Debian's package) and `coord serve` — under 8 clients
/// of versioned setData, getData, sequential creates, sync then read, and multis: both must pass. A failing history is
/// kept in the temp folder and its path printed.
/// </summary>
public sealed class RecordedHistorySpecs(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(Servers.KindData), MemberType = typeof(Servers))]
    public async Task A_recorded_history_passes(string kind)
    {
        await using var server = await Servers.StartAsync(kind);
        var options = new WorkloadOptions(Clients: 8, Keys: 4, OpsPerClient: 375, Seed: 7) { FinalReadHosts = [server.ConnectString] };
        var history = await Workload.RunAsync(server.ConnectString, options);
        var verdict = Checker.Check(history, new CheckOptions(Budget: TimeSpan.FromSeconds(120)));
        var outcomes = string.Join(", ", history.Ops.GroupBy(o => o.Outcome).Select(g => $"{g.Count()} {g.Key}"));
        output.WriteLine($"{kind}: recorded {history.Ops.Count} ops ({outcomes}) and {history.Events.Count} watch events from {options.Clients} clients; " +
                         $"check: {verdict.Summary}");
        if (!verdict.IsOk)
        {
            var path = Path.Combine(Path.GetTempPath(), $"coord-chaos-{kind}-{Guid.NewGuid():N}.jsonl");
            HistoryJson.WriteFile(path, history);
            output.WriteLine($"history kept at {path}");
        }

        Assert.True(verdict.IsOk, verdict.ToString());
        Assert.True(history.Ops.Count >= 3000, $"only {history.Ops.Count} ops recorded");
        Assert.True(history.Events.Count >= 500, $"only {history.Events.Count} watch events recorded");
        Assert.Contains(history.Ops, o => o.Kind == OpKind.Delete && o.Outcome == Outcome.Ok); // locks were released
        Assert.Contains(history.Ops, o => o.Kind == OpKind.SetData && o.Path!.EndsWith("/resource", StringComparison.Ordinal) && o.Outcome == Outcome.Ok);
        Assert.Contains(history.Ops, o => o.Kind == OpKind.Create && o.Ephemeral && !o.Sequential && o.Outcome == Outcome.Ok);

        // The same real history with one planted anomaly must fail: the pass above is not vacuous.
        var random = new Random(7);
        for (var anomaly = 0; anomaly < 3; anomaly++)
        {
            var (bad, what) = RandomHistories.Mutate(history, anomaly, random) ?? throw new InvalidOperationException($"no place to plant anomaly {anomaly}");
            var badVerdict = Checker.Check(bad, new CheckOptions(Budget: TimeSpan.FromSeconds(60)));
            output.WriteLine($"planted: {what}: {badVerdict.Summary}");
            Assert.True(badVerdict.Kind == VerdictKind.Violation, $"{what}: {badVerdict}");
        }
    }
}
