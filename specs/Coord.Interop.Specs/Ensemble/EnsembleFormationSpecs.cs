using System.Text.RegularExpressions;
using Coord.Client;
using Xunit.Abstractions;

using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Ensemble;

/// <summary>Three `coord serve --config zoo.cfg` members form one ensemble with one leader, as an operator sees it.</summary>
[Collection(nameof(EnsembleFaultsCollection))]
public sealed partial class EnsembleFormationSpecs(ITestOutputHelper output)
{
    [GeneratedRegex(@"^Mode: (?<mode>\w+)$", RegexOptions.Multiline)]
    private static partial Regex ModeLine();

    [Fact]
    public async Task Three_members_from_zoo_cfg_elect_exactly_one_leader_and_all_serve()
    {
        await using var ensemble = await EnsembleProcesses.StartAsync(new EnsembleLayout());
        var leader = await ensemble.WaitForLeaderAsync(TimeSpan.FromSeconds(60));

        var roles = ensemble.Members.Select(m => (m.Id, Role: m.Role!)).ToList();
        output.WriteLine(string.Join("\n", roles.Select(r => $"member {r.Id}: {r.Role}")));
        Assert.Single(roles, r => r.Role.State == "leading");
        Assert.All(roles, r => Assert.True(r.Role.Serving && r.Role.Leader == leader.Id && r.Role.Epoch == roles[0].Role.Epoch,
            $"member {r.Id} says {r.Role}, not serving under leader {leader.Id}\n{ensemble.Describe()}"));

        // Every member answers srvr, and a write through any member is read on every other after a sync.
        foreach (var m in ensemble.Members)
        {
            var srvr = await ensemble.SrvrAsync(m);
            Assert.Contains("Zookeeper version:", srvr, StringComparison.Ordinal);
        }
        foreach (var writer in ensemble.Members)
        {
            await using var client = await EnsembleInspect.ConnectOnlyAsync(writer);
            await client.CreateAsync($"/via{writer.Id}", "x"u8.ToArray());
        }
        var views = await EnsembleInspect.SameTreeOnEveryMemberAsync(ensemble, "/");
        Assert.Equal(3, views.Count);
        Assert.All(ensemble.Members, m => Assert.Contains($"/via{m.Id}", views[0].Tree.Keys));
    }

    [Fact]
    public async Task Srvr_says_leader_on_exactly_one_member_and_follower_on_the_others()
    {
        await using var ensemble = await EnsembleProcesses.StartAsync(new EnsembleLayout());
        var leader = await ensemble.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        var modes = new Dictionary<int, string>();
        foreach (var m in ensemble.Members)
        {
            var srvr = await ensemble.SrvrAsync(m);
            var match = ModeLine().Match(srvr);
            Assert.True(match.Success, $"member {m.Id}'s srvr has no Mode line:\n{srvr}");
            modes[m.Id] = match.Groups["mode"].Value;
        }
        output.WriteLine(string.Join(", ", modes.Select(kv => $"member {kv.Key}: Mode {kv.Value}")));
        Assert.Equal("leader", modes[leader.Id]);
        Assert.All(modes.Where(kv => kv.Key != leader.Id), kv => Assert.Equal("follower", kv.Value));
    }
}
