using System.Diagnostics;
using System.Globalization;
using System.Text;
using Coord.Client;
using Xunit.Abstractions;

using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Ensemble;

/// <summary>
/// SIGSTOP of the leader for three times the sync limit (tick 200 ms × syncLimit 5 = 1 s), as a long GC pause or a
/// stalled VM would freeze it with its sockets open. The other two elect a new leader, which acknowledges a write.
/// After SIGCONT the old leader steps down (its role line says looking or following, never leading in its old epoch)
/// and rejoins as a follower. A client attached to the old leader alone never reads the old value after the resume
/// (an error or the new value only, with or without a sync first), and every write that client got acknowledged,
/// before or after the freeze, is in the history every member ends with.
/// </summary>
[Collection(nameof(EnsembleFaultsCollection))]
public sealed class EnsembleFreezeSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan FrozenFor = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Leader_frozen_past_the_sync_limit_steps_down_on_resume_and_serves_nothing_stale()
    {
        // Sessions of up to 10 s, so the old leader's client outlives the freeze and the rejoin and can still read.
        await using var ensemble = await EnsembleProcesses.StartAsync(new EnsembleLayout { ZooCfgExtra = ["maxSessionTimeout=10000"] });
        var leader = await ensemble.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        var oldEpoch = leader.Role!.Epoch;
        await using (var setup = await CoordClient.ConnectAsync(ensemble.ConnectString))
        {
            await setup.CreateAsync("/stale", "old"u8.ToArray());
            await setup.CreateAsync("/stale-o", null);
        }

        await using var onOld = await EnsembleInspect.ConnectOnlyAsync(leader, TimeSpan.FromSeconds(10));
        Assert.Equal("old", Encoding.UTF8.GetString((await onOld.GetDataAsync("/stale")).Data));
        using var stop = new CancellationTokenSource();
        var oldWrites = new OldLeaderWrites();

        var frozenAt = Stopwatch.GetTimestamp();
        leader.Freeze();
        Task writes;
        long thawedAt;
        EnsembleMember newLeader;
        try
        {
            // Requests sent while it is frozen wait in its socket and reach it on resume.
            writes = Task.Run(() => oldWrites.RunAsync(onOld, stop.Token));
            var others = ensemble.Members.Where(m => m != leader).ToList();
            (newLeader, _) = await EnsembleInspect.WaitForLeaderAmongAsync(ensemble, others, oldEpoch, Phase);
            output.WriteLine($"leader {leader.Id} frozen; member {newLeader.Id} leads after {Stopwatch.GetElapsedTime(frozenAt).TotalMilliseconds:0} ms");
            await using (var onNew = await EnsembleInspect.ConnectOnlyAsync(newLeader))
            {
                await onNew.SetDataAsync("/stale", "new"u8.ToArray());
            }
            var left = FrozenFor - Stopwatch.GetElapsedTime(frozenAt);
            if (left > TimeSpan.Zero) await Task.Delay(left); // fault timing: how long the leader stays frozen
        }
        finally
        {
            leader.Thaw();
            thawedAt = Stopwatch.GetTimestamp();
        }

        var reads = new OldLeaderReads();
        var readLoop = Task.Run(() => reads.RunAsync(onOld, stop.Token));
        var stepDown = await EnsembleInspect.WaitRoleAsync(ensemble, leader, r => r.State != "leading" || r.Epoch != oldEpoch, Phase, "stepping down");
        var stepDownMs = Stopwatch.GetElapsedTime(thawedAt).TotalMilliseconds;
        Assert.True(stepDown.State is "looking" or "following", $"after resuming, member {leader.Id} says {stepDown}\n{ensemble.Describe()}");
        await EnsembleInspect.WaitRoleAsync(ensemble, leader, r => r.State == "following" && r.Serving && r.Leader == newLeader.Id, Phase,
            $"following leader {newLeader.Id} and serving");
        var rejoinMs = Stopwatch.GetElapsedTime(thawedAt).TotalMilliseconds;
        try
        {
            await reads.WhenSucceededAsync(3).WaitAsync(Phase);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the old leader's client read nothing after it rejoined ({reads})\n{ensemble.Describe()}");
        }
        await stop.CancelAsync();
        await Task.WhenAll(readLoop, writes).WaitAsync(Phase);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"after SIGCONT member {leader.Id} said '{stepDown.State}' after {stepDownMs:0} ms and served as a follower after {rejoinMs:0} ms; " +
            $"its client: {reads}; writes {oldWrites}"));
        EnsembleInspect.DescribeIfVerbose(output, ensemble);
        Assert.True(reads.Stale.Count == 0,
            $"the old leader's client read the old value after the resume:\n{string.Join("\n", reads.Stale)}\n{ensemble.Describe()}");

        var views = await EnsembleInspect.SameTreeOnEveryMemberAsync(ensemble, "/stale-o");
        Assert.Equal(3, views.Count);
        foreach (var (id, tree) in views)
        {
            var lost = oldWrites.Acked.Where(p => !tree.ContainsKey(p)).ToList();
            Assert.True(lost.Count == 0, $"member {id} lacks writes the old leader's client got acknowledged: {string.Join(", ", lost)}\n{ensemble.Describe()}");
        }
        var value = await EnsembleInspect.ReadTreeAsync(ensemble[leader.Id], "/");
        Assert.Equal("new", value["/stale"]);
    }

    /// <summary>Creates /stale-o/k one after another through the old leader's client; records what was acknowledged.</summary>
    private sealed class OldLeaderWrites
    {
        public List<string> Acked { get; } = new();
        private readonly Dictionary<string, int> _errors = new();

        public async Task RunAsync(CoordClient client, CancellationToken stop)
        {
            for (int k = 0; !stop.IsCancellationRequested; k++)
            {
                var path = $"/stale-o/{k}";
                using var timeout = new CancellationTokenSource(Phase);
                try
                {
                    await client.CreateAsync(path, null, ct: timeout.Token);
                    Acked.Add(path);
                }
                catch (Exception ex) when (ex is CoordException or OperationCanceledException)
                {
                    _errors[ex.GetType().Name] = _errors.GetValueOrDefault(ex.GetType().Name) + 1;
                    if (ex is SessionExpiredException) return;
                }
            }
        }

        public override string ToString() => $"{Acked.Count} acknowledged, errors [{string.Join(", ", _errors.Select(kv => $"{kv.Key} ×{kv.Value}"))}]";
    }

    /// <summary>
    /// Reads /stale through the old leader's client, in turn plain and after a sync, from the resume on; any "old" is
    /// recorded with when it came back.
    /// </summary>
    private sealed class OldLeaderReads
    {
        private readonly Dictionary<string, int> _outcomes = new();
        private readonly List<(int Count, TaskCompletionSource Done)> _waiters = new();
        private int _succeeded;
        private readonly long _startedAt = Stopwatch.GetTimestamp();

        public List<string> Stale { get; } = new();

        public Task WhenSucceededAsync(int more)
        {
            lock (_waiters)
            {
                var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((_succeeded + more, tcs));
                return tcs.Task;
            }
        }

        public async Task RunAsync(CoordClient client, CancellationToken stop)
        {
            for (int n = 0; !stop.IsCancellationRequested; n++)
            {
                bool synced = n % 2 == 1;
                var kind = synced ? "sync+get" : "get";
                using var timeout = new CancellationTokenSource(Phase);
                try
                {
                    if (synced) await client.SyncAsync("/stale", timeout.Token);
                    var value = Encoding.UTF8.GetString((await client.GetDataAsync("/stale", ct: timeout.Token)).Data);
                    Count($"{kind} {value}");
                    if (value != "new") Stale.Add($"{kind} returned '{value}' {Stopwatch.GetElapsedTime(_startedAt).TotalMilliseconds:0} ms after the resume");
                    lock (_waiters)
                    {
                        _succeeded++;
                        foreach (var w in _waiters.Where(w => _succeeded >= w.Count).ToList())
                        {
                            _waiters.Remove(w);
                            w.Done.TrySetResult();
                        }
                    }
                }
                catch (Exception ex) when (ex is CoordException or OperationCanceledException)
                {
                    Count($"{kind} {ex.GetType().Name}");
                    if (ex is SessionExpiredException) return;
                }
            }
        }

        private void Count(string outcome)
        {
            lock (_outcomes) _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;
        }

        public override string ToString()
        {
            lock (_outcomes) return "reads [" + string.Join(", ", _outcomes.Select(kv => $"{kv.Key} ×{kv.Value}")) + "]";
        }
    }
}
