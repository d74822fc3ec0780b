using System.Globalization;
using Coord.Chaos.History;

namespace Coord.Chaos.Checking;

/// <summary>
/// Counters (<see cref="Role.Counter"/>): the node's data is an integer changed only by compare-and-set increments
/// (getData, then setData of value+1 with the version read), so its value counts the increments that took effect.
/// For every read of value V:
/// <list type="bullet">
/// <item>V is at most the number of increments (acknowledged or of unknown outcome) invoked before the read completed
/// — more would be an increment counted twice or a value never written;</item>
/// <item>after a sync, V is at least the number of increments acknowledged before the sync was invoked — fewer would
/// be an acknowledged increment lost.</item>
/// </list>
/// And each acknowledged increment wrote value = new version (from 0 at version 0, +1 per version).
/// </summary>
internal static class CounterChecks
{
    public static IEnumerable<Violation> Run(OpHistory history, HistoryIndex index)
    {
        foreach (var role in history.Roles.Where(r => r.Role == Role.Counter))
        {
            var path = role.Path!;
            var init = history.Init.FirstOrDefault(n => n.Path == path);
            var initial = init is null ? 0 : Value(init.Data) ?? 0;
            var incs = history.Ops.Where(o => o.Kind == OpKind.SetData && o.Path == path && o.Outcome != Outcome.Error).ToList();
            var acked = incs.Where(o => o.Outcome == Outcome.Ok).OrderBy(o => o.Complete).ToList();
            var invokes = incs.Select(o => o.Invoke).Order().ToArray();
            var ackTimes = acked.Select(o => o.Complete!.Value).ToArray();

            foreach (var w in acked)
            {
                if (Value(w.Data) is not { } v || w.Result?.Stat?.Version is not { } version || initial + version - (init?.Version ?? 0) == v) continue;
                yield return new Violation("counter", $"increment of {path} wrote {v} as version {version}: the value no longer counts the increments", [w], []);
            }

            foreach (var r in history.Ops.Where(o => o.Kind == OpKind.GetData && o.Path == path && o.Outcome == Outcome.Ok))
            {
                if (Value(r.Result?.Data) is not { } v)
                {
                    yield return new Violation("counter", $"{path} read as '{r.Result?.Data}', not a number", [r], []);
                    continue;
                }

                var issued = CountBefore(invokes, r.Complete!.Value);
                if (v - initial > issued)
                {
                    yield return new Violation("counter",
                        $"{path} read {v}, but only {issued} increments (acknowledged or unknown) from {initial} had been issued: one counted twice", [r], []);
                }

                var barrier = index.SyncBarrier(r);
                if (barrier == long.MinValue) continue;
                var mustSee = CountBefore(ackTimes, barrier);
                if (v - initial < mustSee)
                {
                    var lost = acked.Where(a => a.Complete < barrier).TakeLast(3);
                    yield return new Violation("counter",
                        $"{path} read {v} after a sync, but {mustSee} increments from {initial} were acknowledged before the sync: {mustSee - (v - initial)} lost",
                        [.. lost, r], []);
                }
            }
        }
    }

    private static int CountBefore(long[] sorted, long time)
    {
        var i = Array.BinarySearch(sorted, time);
        return i >= 0 ? i : ~i;
    }

    private static long? Value(string? data) => long.TryParse(data, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
}
