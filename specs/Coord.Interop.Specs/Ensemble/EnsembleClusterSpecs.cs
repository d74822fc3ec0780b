using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Ensemble;

/// <summary>
/// Akka.Cluster membership beside replication, on the election ports of a zoo.cfg ensemble (on by default there).
/// Formed, every member's mntr counts three cluster members up. A frozen leader (SIGSTOP: its TCP connections stay
/// open, so Akka.Remote reports nothing) is found unreachable by the failure detector and the others elect a new
/// leader well before the sync limit; the majority's split brain resolver downs it; after SIGCONT its cluster system,
/// downed or quarantined, is replaced by a fresh one that joins again, while its core steps down and follows.
/// Waits on the members' log and role lines; mntr is read once each wait is over.
/// </summary>
[Collection(nameof(EnsembleFaultsCollection))]
public sealed partial class EnsembleClusterSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(45);

    [GeneratedRegex(@"Cluster \(member (?<id>\d+)\): up \[(?<up>[\d, ]*)\], unreachable \[(?<unreachable>[\d, ]*)\], self (?<self>[\w-]+)")]
    private static partial Regex ViewLine();

    /// <summary>A member's "Cluster (member N): up [...], unreachable [...], self S" line that says exactly this.</summary>
    private static Func<string, bool> View(string up, string unreachable = "", string self = "up") => line =>
        ViewLine().Match(line) is { Success: true } m && m.Groups["up"].Value == up && m.Groups["unreachable"].Value == unreachable
        && m.Groups["self"].Value == self;

    private static async Task<string> WaitLineAsync(EnsembleProcesses ensemble, EnsembleMember m, Func<string, bool> match, string what, int from = 0)
    {
        try
        {
            return await m.WhenLineAsync(match, from).WaitAsync(Phase);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"member {m.Id}: no line saying {what} within {Phase.TotalSeconds:0} s\n{ensemble.Describe()}");
        }
    }

    private static async Task<Dictionary<string, string>> MntrAsync(EnsembleMember m)
    {
        var text = await Net.FourLetterWordAsync(m.Address, m.ClientPort, "mntr");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1].Trim());
    }

    private static async Task AssertClusterFiguresAsync(EnsembleProcesses ensemble, EnsembleMember m, int up)
    {
        var mntr = await MntrAsync(m);
        var lines = string.Join(", ", mntr.Where(kv => kv.Key.StartsWith("coord_cluster_", StringComparison.Ordinal)).Select(kv => $"{kv.Key}={kv.Value}"));
        Assert.True(mntr.GetValueOrDefault("coord_cluster_members_up") == up.ToString(CultureInfo.InvariantCulture)
                    && mntr.GetValueOrDefault("coord_cluster_unreachable") == "0" && mntr.GetValueOrDefault("coord_cluster_self_status") == "up",
            $"member {m.Id}'s mntr says {lines}; expected {up} up, 0 unreachable, self up\n{ensemble.Describe()}");
    }

    [Fact]
    public async Task Three_members_form_one_cluster_and_each_mntr_counts_three_up()
    {
        await using var ensemble = await EnsembleProcesses.StartAsync(new EnsembleLayout());
        await ensemble.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        foreach (var m in ensemble.Members) await WaitLineAsync(ensemble, m, View("1, 2, 3"), "three members up");
        foreach (var m in ensemble.Members) await AssertClusterFiguresAsync(ensemble, m, up: 3);
        var mntr = await MntrAsync(ensemble.Members[0]);
        output.WriteLine(string.Join("\n", mntr.Where(kv => kv.Key.StartsWith("coord_cluster_", StringComparison.Ordinal)).Select(kv => $"{kv.Key}\t{kv.Value}")));
        Assert.Equal("0", mntr["coord_cluster_rejoins"]);
    }

    /// <summary>
    /// Tick 500 ms × syncLimit 30: the sync limit is 15 s, the derived failure-detector pause 3 s (its cap), so the hint
    /// comes at about 4–5 s and the margin holds on a busy machine (with syncLimit 20, 5.0–6.4 s were seen). Writers (Coord.Client,
    /// every member in the connect string, nothing retried) run through the freeze, the election, the thaw and the
    /// rejoin; every acknowledged write is on every member at the end.
    /// </summary>
    [Fact]
    public async Task Frozen_leader_is_found_unreachable_and_replaced_before_the_sync_limit_then_its_cluster_system_rejoins()
    {
        const int tickMs = 500, syncLimit = 30;
        var syncLimitSpan = TimeSpan.FromMilliseconds(tickMs * syncLimit);
        await using var ensemble = await EnsembleProcesses.StartAsync(new EnsembleLayout(TickMs: tickMs, InitLimit: 10, SyncLimit: syncLimit)
        {
            ZooCfgExtra = ["maxSessionTimeout=10000"],
        });
        var leader = await ensemble.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        var oldEpoch = leader.Role!.Epoch;
        foreach (var m in ensemble.Members) await WaitLineAsync(ensemble, m, View("1, 2, 3"), "three members up");
        var others = ensemble.Members.Where(m => m != leader).ToList();
        var othersUp = string.Join(", ", others.Select(m => m.Id));

        await using var writers = await EnsembleWriters.ConnectAsync(ensemble.ConnectString, "/cluster", 4, TimeSpan.FromSeconds(8));
        writers.Start();
        await writers.WhenEachAckedAsync(10, Phase, "before the freeze", ensemble.Describe);

        var marks = others.ToDictionary(m => m.Id, m => m.LineCount);
        var frozenAt = Stopwatch.GetTimestamp();
        leader.Freeze();
        EnsembleMember newLeader;
        double electedMs, downedMs;
        long thawedAt;
        int leaderMark;
        try
        {
            (newLeader, _) = await EnsembleInspect.WaitForLeaderAmongAsync(ensemble, others, oldEpoch, Phase);
            electedMs = Stopwatch.GetElapsedTime(frozenAt).TotalMilliseconds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"leader {leader.Id} frozen; member {newLeader.Id} leads after {electedMs:0} ms (sync limit {syncLimitSpan.TotalMilliseconds:0} ms)"));
            Assert.True(electedMs < syncLimitSpan.TotalMilliseconds,
                $"a new leader took {electedMs:0} ms, not less than the sync limit {syncLimitSpan.TotalMilliseconds:0} ms: the failure detector's hint did not come first\n{ensemble.Describe()}");
            foreach (var m in others)
                await WaitLineAsync(ensemble, m, l => l.Contains($"Cluster: member {leader.Id} is unreachable", StringComparison.Ordinal),
                    $"member {leader.Id} unreachable", marks[m.Id]);

            // The majority's split brain resolver downs the frozen member: it leaves their view.
            foreach (var m in others) await WaitLineAsync(ensemble, m, View(othersUp), $"only {othersUp} up", marks[m.Id]);
            downedMs = Stopwatch.GetElapsedTime(frozenAt).TotalMilliseconds;
            await writers.WhenEachAckedAsync(10, Phase, $"while member {leader.Id} is frozen", ensemble.Describe);
        }
        finally
        {
            leaderMark = leader.LineCount;
            leader.Thaw();
            thawedAt = Stopwatch.GetTimestamp();
        }

        // Its cluster system is gone for good (downed by its own resolver, or quarantined by the others): a fresh one joins.
        var rejoinLine = await WaitLineAsync(ensemble, leader, l => l.Contains("rejoining with a fresh cluster system", StringComparison.Ordinal),
            "its cluster system rejoining", leaderMark);
        await EnsembleInspect.WaitRoleAsync(ensemble, leader, r => r.State == "following" && r.Serving && r.Leader == newLeader.Id, Phase,
            $"following leader {newLeader.Id} and serving");
        var followingMs = Stopwatch.GetElapsedTime(thawedAt).TotalMilliseconds;
        foreach (var m in ensemble.Members) await WaitLineAsync(ensemble, m, View("1, 2, 3"), "three members up again", m == leader ? leaderMark : marks[m.Id]);
        var rejoinedMs = Stopwatch.GetElapsedTime(thawedAt).TotalMilliseconds;
        foreach (var m in ensemble.Members) await AssertClusterFiguresAsync(ensemble, m, up: 3);
        Assert.NotEqual("0", (await MntrAsync(leader))["coord_cluster_rejoins"]);

        await writers.WhenEachAckedAsync(10, Phase, $"after member {leader.Id} rejoined", ensemble.Describe);
        await writers.StopAsync();
        var views = await EnsembleInspect.SameTreeOnEveryMemberAsync(ensemble, writers.Root);
        Assert.Equal(3, views.Count);
        foreach (var (id, tree) in views)
        {
            var problems = writers.Problems(id, tree);
            Assert.True(problems.Count == 0, $"after the freeze of leader {leader.Id}:\n{string.Join("\n", problems)}\n{ensemble.Describe()}");
        }

        EnsembleInspect.DescribeIfVerbose(output, ensemble);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"new leader after {electedMs:0} ms, frozen member out of the majority's cluster after {downedMs:0} ms; after SIGCONT it followed after " +
            $"{followingMs:0} ms and was up in the cluster again after {rejoinedMs:0} ms; {writers.All.Sum(w => w.Acked)} writes acknowledged, " +
            $"{writers.All.Sum(w => w.InDoubt.Count)} in doubt, none lost\n{rejoinLine}"));
    }
}
