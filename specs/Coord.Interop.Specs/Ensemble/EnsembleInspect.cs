using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Coord.Client;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;

namespace Coord.Interop.Specs.Ensemble;

/// <summary>
/// What the fault specs read off the members the way an operator or a user would: which member holds which client
/// session (cons), one member's tree after a sync (a client connected to that member alone), each member's journal
/// (`coord journal dump`), and role-line waits that ignore a frozen or cut-off member.
/// </summary>
internal static partial class EnsembleInspect
{
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(20);

    [GeneratedRegex(@"sid=0x(?<sid>[0-9a-f]+)")]
    private static partial Regex SidInCons();

    /// <summary>Session id → the member whose client port holds its connection, from `cons` on every running member.</summary>
    public static async Task<Dictionary<long, int>> SessionHostsAsync(EnsembleProcesses ensemble)
    {
        var hosts = new Dictionary<long, int>();
        foreach (var m in ensemble.Members.Where(m => m.Running))
        {
            var cons = await Net.FourLetterWordAsync(m.Address, m.ClientPort, "cons");
            foreach (Match match in SidInCons().Matches(cons))
                hosts[long.Parse(match.Groups["sid"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)] = m.Id;
        }
        return hosts;
    }

    /// <summary>A client session on <paramref name="m"/> alone (no fail-over), for reading what that member serves.</summary>
    public static Task<CoordClient> ConnectOnlyAsync(EnsembleMember m, TimeSpan? sessionTimeout = null) =>
        CoordClient.ConnectAsync(m.HostPort, new CoordClientOptions
        {
            SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(4),
            RetryPolicy = RetryPolicy.None,
            InitialConnectTimeout = TimeSpan.FromSeconds(20),
        });

    /// <summary>
    /// Every node under <paramref name="root"/> (root excluded) with its data as text, as <paramref name="m"/> serves
    /// it after a `sync` through the leader; children and data are read pipelined.
    /// </summary>
    public static async Task<SortedDictionary<string, string>> ReadTreeAsync(EnsembleMember m, string root)
    {
        await using var client = await ConnectOnlyAsync(m);
        using var cts = new CancellationTokenSource(CallTimeout);
        await client.SyncAsync(root, cts.Token);
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var level = new List<string> { root };
        while (level.Count > 0)
        {
            var children = await Task.WhenAll(level.Select(async p =>
                (await client.GetChildrenAsync(p, ct: cts.Token)).Select(c => p == "/" ? "/" + c : $"{p}/{c}")));
            var next = children.SelectMany(c => c).ToList();
            var data = await Task.WhenAll(next.Select(p => client.GetDataAsync(p, ct: cts.Token)));
            for (int i = 0; i < next.Count; i++) tree[next[i]] = Encoding.UTF8.GetString(data[i].Data ?? []);
            level = next;
        }
        return tree;
    }

    /// <summary>
    /// Reads <paramref name="root"/> on every member (each after a sync; all must be running) and asserts they all serve
    /// the same tree; returns each member's view.
    /// </summary>
    public static async Task<List<(int Id, SortedDictionary<string, string> Tree)>> SameTreeOnEveryMemberAsync(EnsembleProcesses ensemble, string root)
    {
        var exited = ensemble.Members.Where(m => !m.Running).ToList();
        Assert.True(exited.Count == 0, $"member(s) {string.Join(", ", exited.Select(m => $"{m.Id} (exit {(m.Process?.Exited.IsCompleted == true ? m.Process.Exited.Result : -1)})"))} " +
                                       $"are not running when every member should serve {root}\n{ensemble.Describe()}");
        var views = new List<(int Id, SortedDictionary<string, string> Tree)>();
        foreach (var m in ensemble.Members)
        {
            try
            {
                views.Add((m.Id, await ReadTreeAsync(m, root)));
            }
            catch (Exception e) when (e is CoordException or TimeoutException)
            {
                // What each member said is what tells a member that stopped serving from a slow read.
                throw new InvalidOperationException($"reading {root} on member {m.Id} failed: {e.GetType().Name}: {e.Message}\n{ensemble.Describe()}", e);
            }
        }
        var first = views[0];
        foreach (var (id, tree) in views.Skip(1))
        {
            var missing = first.Tree.Keys.Except(tree.Keys).Take(10).ToList();
            var extra = tree.Keys.Except(first.Tree.Keys).Take(10).ToList();
            var differ = first.Tree.Keys.Intersect(tree.Keys).Where(k => first.Tree[k] != tree[k]).Take(10).ToList();
            Assert.True(missing.Count == 0 && extra.Count == 0 && differ.Count == 0,
                $"member {id} serves a different {root} than member {first.Id}: lacks [{string.Join(", ", missing)}], " +
                $"has extra [{string.Join(", ", extra)}], differs at [{string.Join(", ", differ)}]\n{ensemble.Describe()}");
        }
        return views;
    }

    /// <summary>`coord journal dump DIR` on a stopped member's data folder: one line per txn.</summary>
    public static async Task<string> JournalDumpAsync(EnsembleMember m)
    {
        Assert.False(m.Running, $"member {m.Id} must be stopped before its journal is dumped");
        var result = await Tools.RunAsync("dotnet", [RepoPaths.CoordDll, "journal", "dump", m.DataDir], TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"coord journal dump {m.DataDir} failed: {result}");
        return result.Stdout;
    }

    /// <summary>
    /// Waits until one of <paramref name="among"/> leads and serves and the others of them follow it and serve: the
    /// election the rest of the ensemble holds while a member is frozen or cut off. Returns the leader and its role.
    /// </summary>
    public static async Task<(EnsembleMember Leader, MemberRole Role)> WaitForLeaderAmongAsync(EnsembleProcesses ensemble,
        IReadOnlyList<EnsembleMember> among, long epochAbove, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var first = await Task.WhenAny(among.Select(m => m.WhenAsync(r => r.State == "leading" && r.Serving && r.Epoch > epochAbove)))
                .WaitAsync(cts.Token);
            var role = await first;
            var leader = ensemble[(int)role.Leader];
            await Task.WhenAll(among.Where(m => m != leader)
                .Select(m => m.WhenAsync(r => r.Serving && r.Leader == leader.Id && r.Epoch == role.Epoch))).WaitAsync(cts.Token);
            return (leader, role);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"members {string.Join(",", among.Select(m => m.Id))} elected no leader above epoch {epochAbove} " +
                                       $"within {timeout.TotalSeconds:0} s\n{ensemble.Describe()}");
        }
    }

    /// <summary>With ENSEMBLE_SPEC_VERBOSE=1, writes every member's output tail (role lines, elections) to the spec's output.</summary>
    public static void DescribeIfVerbose(ITestOutputHelper output, EnsembleProcesses ensemble)
    {
        if (Environment.GetEnvironmentVariable("ENSEMBLE_SPEC_VERBOSE") == "1") output.WriteLine(ensemble.Describe());
    }

    /// <summary>Waits for a role line of <paramref name="m"/> that matches, with a timeout that names what was awaited.</summary>
    public static async Task<MemberRole> WaitRoleAsync(EnsembleProcesses ensemble, EnsembleMember m, Func<MemberRole, bool> match,
        TimeSpan timeout, string what)
    {
        try
        {
            return await m.WhenAsync(match).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"member {m.Id} did not report {what} within {timeout.TotalSeconds:0} s (last role {m.Role})\n{ensemble.Describe()}");
        }
    }
}
