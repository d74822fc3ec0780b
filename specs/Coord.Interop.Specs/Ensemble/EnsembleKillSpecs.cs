using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Ensemble;

/// <summary>
/// kill -9 of one member of three under client load. Writers (Coord.Client, every member in the connect string,
/// 4 s sessions, nothing retried) run creates, sets and two-create multis one call at a time. The member is killed
/// mid-run, the writers keep going, the member is restarted on its data and rejoins. Then every member, read on its
/// own after a sync, holds every acknowledged write, no multi by half, and the same tree as the others; every writer
/// still has its first session, and the sessions that were on the killed member now live on another.
/// </summary>
[Collection(nameof(EnsembleFaultsCollection))]
public sealed class EnsembleKillSpecs(ITestOutputHelper output)
{
    private const int Writers = 6;
    private const int OnVictimMin = 2;
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(45);

    [Fact]
    public Task Kill_nine_of_the_leader_under_load_loses_no_acknowledged_write_and_keeps_every_session() => RunAsync(killLeader: true);

    [Fact]
    public Task Kill_nine_of_a_follower_under_load_loses_no_acknowledged_write_and_moves_its_sessions() => RunAsync(killLeader: false);

    private async Task RunAsync(bool killLeader)
    {
        var what = killLeader ? "leader" : "follower";
        await using var ensemble = await EnsembleProcesses.StartAsync(new EnsembleLayout());
        var leader = await ensemble.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        await using var writers = await EnsembleWriters.ConnectAsync(ensemble.ConnectString, "/load", Writers, SessionTimeout);

        var hosts = await EnsembleInspect.SessionHostsAsync(ensemble);
        var victim = killLeader ? leader
            : ensemble.Members.Where(m => m != leader).MaxBy(m => writers.All.Count(w => hosts.GetValueOrDefault(w.SessionId) == m.Id))!;
        await PlaceSessionsOnAsync(ensemble, writers, victim);
        hosts = await EnsembleInspect.SessionHostsAsync(ensemble);
        var onVictim = writers.All.Where(w => hosts.GetValueOrDefault(w.SessionId) == victim.Id).ToList();
        output.WriteLine($"leader {leader.Id}; killing the {what}, member {victim.Id}, which holds the sessions of writers " +
                         string.Join(", ", onVictim.Select(w => $"{w.Index} (0x{w.SessionId:x})")));

        writers.Start();
        await writers.WhenEachAckedAsync(20, Phase, "before the kill", ensemble.Describe);

        var killedAt = Stopwatch.GetTimestamp();
        victim.Kill9();
        await victim.WaitExitedAsync();
        var newLeader = await ensemble.WaitForLeaderAsync(Phase);
        var electedMs = Stopwatch.GetElapsedTime(killedAt).TotalMilliseconds;
        if (killLeader) Assert.NotEqual(victim.Id, newLeader.Id);
        await writers.WhenEachAckedAsync(20, Phase, $"after kill -9 of the {what}", ensemble.Describe);
        var pauseMs = writers.LongestPause(killedAt, Stopwatch.GetTimestamp()).TotalMilliseconds;

        // Every writer kept its session; those of the dead member moved to a live one.
        var hostsAfter = await EnsembleInspect.SessionHostsAsync(ensemble);
        foreach (var w in writers.All)
        {
            Assert.Equal(w.SessionId, w.Client.SessionId);
            Assert.True(hostsAfter.TryGetValue(w.SessionId, out var host) && host != victim.Id,
                $"writer {w.Index}'s session 0x{w.SessionId:x} is held by no live member (cons: {string.Join(", ", hostsAfter.Select(kv => $"0x{kv.Key:x}@{kv.Value}"))})");
        }
        output.WriteLine("after the kill: " + string.Join(", ", onVictim.Select(w => $"writer {w.Index} (0x{w.SessionId:x}) on member {hostsAfter[w.SessionId]}")));

        var restartedAt = Stopwatch.GetTimestamp();
        await victim.StartAsync();
        await ensemble.WaitForLeaderAsync(Phase);
        var rejoinMs = Stopwatch.GetElapsedTime(restartedAt).TotalMilliseconds;
        output.WriteLine($"member {victim.Id} restarted and serves as {victim.Role} after {rejoinMs:0} ms");
        await writers.WhenEachAckedAsync(10, Phase, $"after member {victim.Id} rejoined", ensemble.Describe);
        await writers.StopAsync();
        Assert.True(!writers.Failures.Any(), string.Join("\n", writers.Failures));
        Assert.All(writers.All, w => Assert.Equal(w.SessionId, w.Client.SessionId));

        var views = await EnsembleInspect.SameTreeOnEveryMemberAsync(ensemble, writers.Root);
        Assert.Equal(3, views.Count);
        foreach (var (id, tree) in views)
        {
            var problems = writers.Problems(id, tree);
            Assert.True(problems.Count == 0, $"after kill -9 of the {what}:\n{string.Join("\n", problems)}\n{ensemble.Describe()}");
        }

        EnsembleInspect.DescribeIfVerbose(output, ensemble);
        var acked = writers.All.Sum(w => w.Acked);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"kill -9 of the {what}: pause in acknowledged writes {pauseMs:0} ms (longest gap over {Writers} writers from the kill until each had 20 more), " +
            $"leader serving again after {electedMs:0} ms; {acked} writes acknowledged, {writers.All.Sum(w => w.InDoubt.Count)} in doubt " +
            $"({string.Join("; ", writers.All.SelectMany(w => w.InDoubt.Select(d => $"w{w.Index} {d}")))}); {views[0].Tree.Count} nodes on every member"));
    }

    /// <summary>
    /// Makes sure at least <see cref="OnVictimMin"/> writers' sessions live on <paramref name="victim"/> (the client picks
    /// hosts at random): writers elsewhere are replaced by fresh connections until enough land there.
    /// </summary>
    private static async Task PlaceSessionsOnAsync(EnsembleProcesses ensemble, EnsembleWriters writers, EnsembleMember victim)
    {
        for (int generation = 1; generation <= 30; generation++)
        {
            var hosts = await EnsembleInspect.SessionHostsAsync(ensemble);
            var elsewhere = writers.All.Where(w => hosts.GetValueOrDefault(w.SessionId) != victim.Id).ToList();
            if (writers.All.Count - elsewhere.Count >= OnVictimMin) return;
            await writers.ReplaceAsync(elsewhere[0].Index, ensemble.ConnectString, SessionTimeout, generation);
        }
        Assert.Fail($"could not get {OnVictimMin} writer sessions onto member {victim.Id} in 30 connections\n{ensemble.Describe()}");
    }
}
