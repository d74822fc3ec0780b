using System.Diagnostics;
using System.Globalization;
using Coord.Chaos.Cluster;

namespace Coord.Chaos.Nemesis;

/// <summary>
/// Carries out a <see cref="Schedule"/> on a <see cref="ChaosEnsemble"/>: each fault starts, is held, is undone, then
/// the schedule's gap passes; at the end everything is healed (links, frozen and dead members) and the ensemble must
/// become healthy again. Every step is logged with its time since the start (the report's fault timeline).
/// </summary>
public sealed class NemesisRunner(ChaosEnsemble ensemble, Schedule schedule, Action<string>? live = null)
{
    private readonly Random _rng = new(unchecked((int)schedule.Seed * 7919 + 17));
    private readonly Dictionary<(int From, int To), int> _drops = new();
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly List<string> _timeline = [];

    public IReadOnlyList<string> Timeline { get { lock (_timeline) return [.. _timeline]; } }

    /// <summary>Faults that could not start (e.g. a follower asked for while only the leader ran), with the reason.</summary>
    public int Skipped { get; private set; }

    private void Log(string what)
    {
        var ms = Stopwatch.GetElapsedTime(_start).TotalMilliseconds;
        var line = string.Create(CultureInfo.InvariantCulture, $"{ms,8:0} ms  {what}");
        lock (_timeline) _timeline.Add(line);
        live?.Invoke(line);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        foreach (var fault in schedule.Faults)
        {
            ct.ThrowIfCancellationRequested();
            var undo = await StartAsync(fault, ct);
            if (undo is null) continue;
            await undo();
            await Task.Delay(schedule.GapMs, ct);
        }
        await HealAllAsync();
    }

    /// <summary>Undoes every fault still in place: links healed, frozen members thawed, dead ones started; then waits for health.</summary>
    public async Task HealAllAsync()
    {
        if (ensemble.CanPartition)
        {
            await _network.WaitAsync();
            try
            {
                _drops.Clear();
                await ensemble.PartitionAsync(new HashSet<(int, int)>());
            }
            finally { _network.Release(); }
        }
        foreach (var m in ensemble.Members)
        {
            if (m.Frozen) ensemble.Thaw(m);
            if (!m.Running) await ensemble.StartAsync(m);
        }
        Log("healed everything");
        var leader = await ensemble.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        Log($"healthy: member {leader.Id} leads");
    }

    /// <summary>Starts <paramref name="fault"/>, holds it, and returns how to undo it (null when it could not start).</summary>
    private async Task<Func<Task>?> StartAsync(Fault fault, CancellationToken ct)
    {
        if (fault is Both both)
        {
            var first = await BeginAsync(both.First);
            var second = await BeginAsync(both.Second);
            await Task.Delay(both.HoldMs, ct);
            return async () =>
            {
                if (second is not null) await second();
                if (first is not null) await first();
            };
        }
        var undo = await BeginAsync(fault);
        if (undo is null) return null;
        await Task.Delay(fault.HoldMs, ct);
        return undo;
    }

    private async Task<ChaosMember?> ResolveAsync(Target who)
    {
        var leader = await ensemble.LeaderAsync();
        var running = ensemble.Members.Where(m => m.Running && !m.Frozen).ToList();
        if (who == Target.Leader) return leader ?? (running.Count > 0 ? running[_rng.Next(running.Count)] : null);
        var followers = running.Where(m => m != leader).ToList();
        return followers.Count > 0 ? followers[_rng.Next(followers.Count)] : null;
    }

    private async Task<Func<Task>?> BeginAsync(Fault fault)
    {
        if (fault is Split split) return await BeginSplitAsync(split);
        var who = fault switch
        {
            Isolate f => f.Who,
            OneWayLoss f => f.Who,
            Flap f => f.Who,
            KillRestart f => f.Who,
            Freeze f => f.Who,
            FailpointFault f => f.Who,
            ClockJump f => f.Who,
            Bridge f => f.Who,
            _ => throw new InvalidOperationException($"unknown fault {fault}"),
        };
        var m = await ResolveAsync(who);
        if (m is null)
        {
            Skipped++;
            Log($"skipped {fault.Describe()}: no running {who.ToString().ToLowerInvariant()}");
            return null;
        }
        Log($"start {fault.Describe()} → member {m.Id}");
        switch (fault)
        {
            case Isolate:
            {
                var pairs = Cut(m.Id, both: true);
                await AddDropsAsync(pairs);
                return async () => { await RemoveDropsAsync(pairs); Log($"healed member {m.Id}"); };
            }
            case OneWayLoss:
            {
                var pairs = Cut(m.Id, both: false);
                await AddDropsAsync(pairs);
                return async () => { await RemoveDropsAsync(pairs); Log($"healed member {m.Id}'s outbound links"); };
            }
            case Flap flap:
            {
                var stop = new CancellationTokenSource();
                var flapping = FlapAsync(m, flap.PeriodMs, stop.Token);
                return async () =>
                {
                    await stop.CancelAsync();
                    await flapping;
                    stop.Dispose();
                    Log($"member {m.Id} stops flapping");
                };
            }
            case KillRestart:
                ensemble.Kill(m);
                await ensemble.WaitExitedAsync(m);
                return async () =>
                {
                    // A fault held at the same time (a failpoint's crash) may have started it again already.
                    if (m.Running) { Log($"member {m.Id} already runs again"); return; }
                    await ensemble.StartAsync(m);
                    Log($"restarted member {m.Id}");
                };
            case Freeze:
                ensemble.Freeze(m);
                return () => { ensemble.Thaw(m); Log($"thawed member {m.Id}"); return Task.CompletedTask; };
            case FailpointFault fp:
            {
                var armed = m.Process;
                await ensemble.ArmFailpointAsync(m, fp.Point, fp.Spec);
                return async () =>
                {
                    if (m.Process != armed)
                    {
                        // Killed and started again by a fault held at the same time: the new process has nothing armed.
                        Log($"member {m.Id} was restarted meanwhile; {fp.Point} is off in its new process");
                    }
                    else if (m.Running)
                    {
                        await ensemble.ArmFailpointAsync(m, fp.Point, "off");
                        Log($"disarmed {fp.Point} on member {m.Id}");
                    }
                    else
                    {
                        int code = await m.Process!.Exited;
                        await ensemble.StartAsync(m);
                        Log($"member {m.Id} had exited at {fp.Point} (code {code}); restarted");
                    }
                };
            }
            case Bridge:
            {
                var others = Shuffled(ensemble.Members.Where(o => o.Id != m.Id).Select(o => o.Id));
                var half = others.Take(others.Count / 2).ToList();
                var rest = others.Skip(others.Count / 2).ToList();
                var pairs = Between(half, rest);
                Log($"bridge member {m.Id}: [{string.Join(",", half)}] cannot reach [{string.Join(",", rest)}]");
                await AddDropsAsync(pairs);
                return async () => { await RemoveDropsAsync(pairs); Log($"healed the bridge at member {m.Id}"); };
            }
            case ClockJump jump:
            {
                var jumped = m.Process;
                await ensemble.SetWallClockOffsetAsync(m, jump.OffsetMs);
                return async () =>
                {
                    // A process started since (after a crash or kill held at the same time) has its own clock already.
                    if (m.Running && m.Process == jumped) await ensemble.SetWallClockOffsetAsync(m, 0);
                    Log($"member {m.Id}'s wall clock back");
                };
            }
            default:
                throw new InvalidOperationException($"unknown fault {fault}");
        }
    }

    /// <summary>A majority/minority split with the leader (when it starts) on the side the fault asks for.</summary>
    private async Task<Func<Task>?> BeginSplitAsync(Split split)
    {
        var leader = await ensemble.LeaderAsync();
        var ids = ensemble.Members.Select(o => o.Id).ToList();
        int minoritySize = (ids.Count - 1) / 2;
        var rest = Shuffled(ids.Where(id => id != leader?.Id));
        var minority = new List<int>();
        if (leader is not null && split.LeaderSide == Side.Minority) minority.Add(leader.Id);
        minority.AddRange(rest.Take(minoritySize - minority.Count));
        var majority = ids.Except(minority).ToList();
        var pairs = Between(minority, majority);
        Log($"start {split.Describe()}{(leader is null ? " (no leader now)" : $" (leader {leader.Id})")} → minority [{string.Join(",", minority)}], " +
            $"majority [{string.Join(",", majority)}]");
        await AddDropsAsync(pairs);
        return async () => { await RemoveDropsAsync(pairs); Log($"healed the split [{string.Join(",", minority)}] | [{string.Join(",", majority)}]"); };
    }

    private List<int> Shuffled(IEnumerable<int> ids)
    {
        var list = ids.ToList();
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = _rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }

    /// <summary>Both directions between every member of <paramref name="a"/> and every member of <paramref name="b"/>.</summary>
    private static List<(int, int)> Between(IReadOnlyList<int> a, IReadOnlyList<int> b) =>
        [.. a.SelectMany(x => b.SelectMany(y => new[] { (x, y), (y, x) }))];

    /// <summary>Cuts and heals <paramref name="m"/>'s links every half period until stopped; ends healed.</summary>
    private async Task FlapAsync(ChaosMember m, int periodMs, CancellationToken stop)
    {
        var pairs = Cut(m.Id, both: true);
        while (!stop.IsCancellationRequested)
        {
            await AddDropsAsync(pairs);
            try { await Task.Delay(periodMs / 2, stop); }
            catch (OperationCanceledException) { }
            finally { await RemoveDropsAsync(pairs); }
            try { await Task.Delay(periodMs / 2, stop); }
            catch (OperationCanceledException) { }
        }
    }

    private List<(int, int)> Cut(int id, bool both)
    {
        var pairs = new List<(int, int)>();
        foreach (var o in ensemble.Members.Where(o => o.Id != id))
        {
            pairs.Add((id, o.Id));
            if (both) pairs.Add((o.Id, id));
        }
        return pairs;
    }

    // Faults that overlap (a pair of them, a flap) change the drops concurrently: one change at a time.
    private readonly SemaphoreSlim _network = new(1, 1);

    private async Task AddDropsAsync(IEnumerable<(int, int)> pairs)
    {
        await _network.WaitAsync();
        try
        {
            foreach (var p in pairs) _drops[p] = _drops.GetValueOrDefault(p) + 1;
            await ensemble.PartitionAsync(_drops.Keys.ToHashSet());
        }
        finally { _network.Release(); }
    }

    private async Task RemoveDropsAsync(IEnumerable<(int, int)> pairs)
    {
        await _network.WaitAsync();
        try
        {
            foreach (var p in pairs)
                if (_drops.TryGetValue(p, out int n)) { if (n <= 1) _drops.Remove(p); else _drops[p] = n - 1; }
            await ensemble.PartitionAsync(_drops.Keys.ToHashSet());
        }
        finally { _network.Release(); }
    }
}
