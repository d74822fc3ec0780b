using System.Diagnostics;
using Coord.Chaos.History;

namespace Coord.Chaos.Checking;

/// <summary>
/// Checks a history against ZooKeeper's consistency model:
/// <list type="bullet">
/// <item>writes are linearizable and reads sequentially consistent per session — one search per partition of keys
/// (<see cref="Partition"/>, <see cref="WglSearch"/>, <see cref="ZnodeModel"/>): a read may be stale, but never older
/// than what its session saw or wrote, nor older than what was committed before the session's last sync;</item>
/// <item>zxid facts that need no search (<see cref="ZxidChecks"/>): no sequential suffix twice, no two acknowledged
/// writes making the same version, a session's writes in its order, a session's reads never going back;</item>
/// <item>watch events (<see cref="WatchChecks"/>): each at most once per registration, in zxid order, and before the
/// session sees a reply showing the change.</item>
/// <item>direct checks of what the workloads built (<see cref="CounterChecks"/>, <see cref="LockChecks"/>,
/// <see cref="EphemeralChecks"/>): counters count every acknowledged increment once, lock holds do not overlap where the
/// recipe forbids it and the guarded resource accepts fencing tokens in order, ephemerals are neither lost early nor
/// leaked.</item>
/// </list>
/// </summary>
public static class Checker
{
    public static Verdict Check(OpHistory history, CheckOptions? options = null)
    {
        options ??= new CheckOptions();
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(options.BudgetOrDefault.TotalSeconds * Stopwatch.Frequency);
        foreach (var r in history.Records())
        {
            if (HistoryJson.Problem(r) is { } problem) throw new ArgumentException($"bad history record: {problem}", nameof(history));
        }

        var violations = new List<Violation>();
        violations.AddRange(ZxidChecks.Run(history));

        var undecided = new List<string>();
        var partitions = Partition.Build(history);
        long steps = 0;
        foreach (var p in partitions.OrderBy(p => p.Ops.Length))
        {
            // Once a violation stands, a long proof of another one is not worth the budget.
            var stepsMax = violations.Count > 0 ? Math.Min(options.SearchStepsMax, 200_000) : options.SearchStepsMax;
            var outcome = new WglSearch(p, stepsMax, deadline).Run();
            steps += outcome.Steps;
            switch (outcome.Result)
            {
                case SearchResult.NotLinearizable:
                    violations.Add(Explain(history, p, outcome, options, deadline));
                    break;
                case SearchResult.Unknown:
                    undecided.Add($"partition {p.Describe()} ({p.Ops.Length} ops): not decided after {outcome.Steps} search steps");
                    break;
            }
        }

        var watch = WatchChecks.Run(history);
        violations.AddRange(watch.Violations);
        var index = new HistoryIndex(history);
        violations.AddRange(CounterChecks.Run(history, index));
        violations.AddRange(LockChecks.Run(history, index));
        violations.AddRange(EphemeralChecks.Run(history, index));

        var kind = violations.Count > 0 ? VerdictKind.Violation : undecided.Count > 0 ? VerdictKind.Unknown : VerdictKind.Ok;
        return new Verdict(kind, violations, undecided, history.Ops.Count, watch.EventsChecked, partitions.Count, steps,
            Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// Shrinks a non-linearizable partition: relax each op in turn (a write's outcome becomes unknown, a read is left
    /// out — either only widens what is allowed) and keep the relaxation while the rest still cannot be linearized.
    /// What is left is a minimal set of outcomes that contradict each other.
    /// </summary>
    private static Violation Explain(OpHistory history, Partition p, SearchOutcome outcome, CheckOptions options, long deadline)
    {
        var keys = p.Describe();
        var known = p.Ops.Where(o => o.Known).Select(o => o.Op).ToList();
        if (!options.Explain || p.Ops.Length > options.ExplainOpsMax)
        {
            var stuck = outcome.Blocker is { } b ? $"; after placing {outcome.Deepest.Count} ops, none of the orders left room for #{b.Op.Id}" : "";
            return new Violation("linearizability", $"no order of the ops on {keys} explains their outcomes{stuck}",
                [.. outcome.Deepest.TakeLast(8).Select(o => o.Op).Concat(outcome.Blocker is { } bl ? [bl.Op] : [])], []);
        }

        var ids = p.Ops.Select(o => o.Op.Id).ToHashSet();
        var sessions = p.Ops.Select(o => o.Op.Session).ToHashSet();
        var sub = new OpHistory(history.Init,
            [.. history.Ops.Where(o => ids.Contains(o.Id) || (o.Kind == OpKind.Sync && sessions.Contains(o.Session)))], []);
        // Relax in chunks, halving their size (as delta debugging does): a small explanation costs few trials.
        var relaxed = new HashSet<long>();
        var trialSteps = Math.Min(options.SearchStepsMax, 50_000);
        var explainDeadline = Math.Min(deadline, Stopwatch.GetTimestamp() + (long)(options.ExplainTime.TotalSeconds * Stopwatch.Frequency));
        var candidates = known.OrderByDescending(o => o.Invoke).Select(o => o.Id).ToList();
        for (var chunk = Math.Max(1, candidates.Count / 2); chunk >= 1 && Stopwatch.GetTimestamp() < explainDeadline; chunk /= 2)
        {
            for (var at = 0; at < candidates.Count && Stopwatch.GetTimestamp() < explainDeadline; at += chunk)
            {
                var trial = candidates.Skip(at).Take(chunk).Where(id => !relaxed.Contains(id)).ToList();
                if (trial.Count == 0) continue;
                relaxed.UnionWith(trial);
                if (!StillFails(sub, relaxed, trialSteps, explainDeadline)) relaxed.ExceptWith(trial);
            }

            if (chunk == 1) break;
        }

        var left = known.Where(o => !relaxed.Contains(o.Id)).ToList();
        var syncs = sub.Ops.Where(o => o.Kind == OpKind.Sync && left.Any(l => l.Session == o.Session && l.Invoke > o.Invoke)).ToList();
        return new Violation("linearizability",
            $"no order of these ops on {keys} explains their outcomes (each stays needed: treating any one as unknown makes the rest linearizable)",
            [.. left, .. syncs], []);
    }

    private static bool StillFails(OpHistory sub, HashSet<long> relaxed, long steps, long deadline)
    {
        foreach (var part in Partition.Build(sub, relaxed))
        {
            if (new WglSearch(part, steps, deadline).Run().Result == SearchResult.NotLinearizable) return true;
        }

        return false;
    }
}
