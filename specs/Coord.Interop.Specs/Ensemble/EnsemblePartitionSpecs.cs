using Coord.Chaos.Cluster;
using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Ensemble;

/// <summary>A fact that is skipped, with the reason, where <see cref="NetLab"/> cannot run (not root, no ip or nft).</summary>
public sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute()
    {
        if (NetLab.Unavailable() is { } reason) Skip = reason;
    }
}

/// <summary>
/// The leader cut off from the other two by nftables inside its network namespace (members in their own namespaces
/// on a bridge; the test's clients reach each through the bridge). A writer attached to the old leader alone gets no
/// acknowledgement later than the sync limit after the cut, and every one it got is in the final history; the
/// majority elects a new leader and its writers keep being acknowledged; after the heal the old leader rejoins as a
/// follower and serves exactly the tree the others serve (whatever it took in and never committed is gone).
/// </summary>
[Collection(nameof(EnsembleFaultsCollection))]
public sealed class EnsemblePartitionSpecs(ITestOutputHelper output)
{
    private const int TickMs = 200;
    private const int SyncLimit = 5;
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(45);

    // Server bug found by this spec (about 1 run in 6 here): after the heal the old leader is TRUNCated to the last
    // committed zxid Z, its tree is rebuilt at Z, then a commit for Z itself reaches its applier, which stops the server:
    // "crit: The applier failed ... committed txn 0x1000000a7 does not follow the last applied 0x1000000a7".
    [NetnsFact]
    public async Task Leader_cut_off_stops_acknowledging_the_majority_carries_on_and_it_rejoins_as_a_follower()
    {
        await using var lab = await NetLab.CreateAsync(3);
        output.WriteLine($"lab {lab.Tag}: bridge {lab.BridgeAddress}, members {string.Join(", ", Enumerable.Range(1, 3).Select(lab.AddressOf))}");
        await using var ensemble = await EnsembleProcesses.StartAsync(new EnsembleLayout(TickMs: TickMs, SyncLimit: SyncLimit)
        {
            ZooCfgExtra = ["maxSessionTimeout=10000"],
            Place = id => (lab.AddressOf(id), lab.NamespaceOf(id)),
        });
        var leader = await ensemble.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        var oldEpoch = leader.Role!.Epoch;
        var others = ensemble.Members.Where(m => m != leader).ToList();

        await using var majority = await EnsembleWriters.ConnectAsync(string.Join(",", others.Select(m => m.HostPort)), "/part-j", 3, TimeSpan.FromSeconds(4));
        await using var minority = await EnsembleWriters.ConnectAsync(leader.HostPort, "/part-m", 1, TimeSpan.FromSeconds(10));
        majority.Start();
        minority.Start();
        await majority.WhenEachAckedAsync(20, Phase, "before the cut", ensemble.Describe);
        await minority.WhenEachAckedAsync(20, Phase, "before the cut", ensemble.Describe);

        await lab.ApplyAsync(NetLab.Isolating(leader.Id, others.Select(m => m.Id)));
        var cutAt = Stopwatch.GetTimestamp();
        long healAt;
        EnsembleMember newLeader;
        MemberRole stepDown;
        try
        {
            (newLeader, _) = await EnsembleInspect.WaitForLeaderAmongAsync(ensemble, others, oldEpoch, Phase);
            var electedMs = Stopwatch.GetElapsedTime(cutAt).TotalMilliseconds;
            stepDown = await EnsembleInspect.WaitRoleAsync(ensemble, leader, r => r.State != "leading" || !r.Serving, Phase, "stepping down in the minority");
            var stepDownMs = Stopwatch.GetElapsedTime(cutAt).TotalMilliseconds;
            await majority.WhenEachAckedAsync(20, Phase, "in the majority after the cut", ensemble.Describe);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"cut leader {leader.Id} off: member {newLeader.Id} leads after {electedMs:0} ms; member {leader.Id} said '{stepDown.State}' after {stepDownMs:0} ms"));
        }
        finally
        {
            await lab.ApplyAsync(new HashSet<(int, int)>());
            healAt = Stopwatch.GetTimestamp();
        }

        var syncLimitTicks = Stopwatch.Frequency * TickMs * SyncLimit / 1000;
        var lateAcks = minority.All[0].AckTicks.Where(t => t > cutAt + syncLimitTicks && t < healAt)
            .Select(t => Stopwatch.GetElapsedTime(cutAt, t).TotalMilliseconds).ToList();
        var lastBeforeHeal = minority.All[0].AckTicks.Where(t => t < healAt).DefaultIfEmpty(cutAt).Max();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"the old leader's writer: last acknowledgement {Stopwatch.GetElapsedTime(cutAt, lastBeforeHeal).TotalMilliseconds:0} ms after the cut; " +
            $"partition held {Stopwatch.GetElapsedTime(cutAt, healAt).TotalMilliseconds:0} ms"));
        EnsembleInspect.DescribeIfVerbose(output, ensemble);
        Assert.True(lateAcks.Count == 0,
            $"the minority leader acknowledged {lateAcks.Count} writes more than the sync limit ({TickMs * SyncLimit} ms) after the cut, " +
            $"at +{string.Join(", +", lateAcks.Select(ms => ms.ToString("0", CultureInfo.InvariantCulture)))} ms\n{ensemble.Describe()}");

        var rejoin = await EnsembleInspect.WaitRoleAsync(ensemble, leader, r => r.State == "following" && r.Serving && r.Leader == newLeader.Id,
            TimeSpan.FromSeconds(60), $"following leader {newLeader.Id} after the heal");
        output.WriteLine($"after the heal member {leader.Id} serves as {rejoin} after {Stopwatch.GetElapsedTime(healAt).TotalMilliseconds:0} ms");
        await majority.WhenEachAckedAsync(10, Phase, "after the heal", ensemble.Describe);
        await majority.StopAsync();
        await minority.StopAsync();
        Assert.True(!majority.Failures.Any(), string.Join("\n", majority.Failures));
        output.WriteLine($"the old leader's writer: {minority.All[0].Acked} acknowledged, in doubt [{string.Join(", ", minority.All[0].InDoubt)}], " +
                         $"stopped by [{string.Join(", ", minority.Failures)}]");

        foreach (var (writers, root) in new[] { (majority, "/part-j"), (minority, "/part-m") })
        {
            var views = await EnsembleInspect.SameTreeOnEveryMemberAsync(ensemble, root);
            Assert.Equal(3, views.Count);
            foreach (var (id, tree) in views)
            {
                var problems = writers.Problems(id, tree);
                Assert.True(problems.Count == 0, $"after the partition healed, {root}:\n{string.Join("\n", problems)}\n{ensemble.Describe()}");
            }
        }
    }
}
