using Coord.Chaos.History;
using Coord.Protocol;

namespace Coord.Chaos.Checking;

/// <summary>
/// Watch events against the session's own replies, per session in delivery order (op completions and event times on
/// one clock). A one-time watch is armed by getData / exists / getChildren with watch set (exists also on a missing
/// node) and holds the state that read showed. Violations:
/// <list type="bullet">
/// <item>watch-once: an event with no armed watch for it (a second delivery, or one never asked for);</item>
/// <item>watch-order: events with zxids going backwards;</item>
/// <item>watch-before-data: a reply showing the watched node (or child list) changed while the watch is still armed —
/// ZooKeeper sends the event before any reply that reflects the change (own writes included).</item>
/// </list>
/// A watch armed by a read of unknown outcome may or may not exist, from any time after the read was sent (the server
/// may run it after the client gave up): it may take one event that no known watch explains; nothing else is checked.
/// </summary>
internal static class WatchChecks
{
    private enum Group
    {
        /// <summary>Data and exist watches: NodeCreated, NodeDeleted, NodeDataChanged.</summary>
        Data,

        /// <summary>Child watches: NodeChildrenChanged, NodeDeleted.</summary>
        Children,
    }

    /// <summary>What the arming read saw: existence and Stat fields for a data watch, the names for a child watch.</summary>
    private sealed record Armed(HistoryOp Op, bool Maybe, bool Exists, StatView? Stat, IReadOnlyList<string>? Names);

    public sealed record Result(IReadOnlyList<Violation> Violations, int EventsChecked);

    public static Result Run(OpHistory history)
    {
        var violations = new List<Violation>();
        var eventsBySession = history.Events.GroupBy(e => e.Session).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (session, events) in eventsBySession.Select(kv => (kv.Key, kv.Value)).Concat(
                     history.Ops.Where(o => o.Watch).Select(o => o.Session).Distinct()
                         .Where(s => !eventsBySession.ContainsKey(s)).Select(s => (s, new List<WatchEvent>()))))
        {
            var ops = history.Ops.Where(o => o.Session == session && o.Complete is not null).ToList();
            violations.AddRange(Session(ops, events));
        }

        return new Result(violations, history.Events.Count);
    }

    private static IEnumerable<Violation> Session(List<HistoryOp> ops, List<WatchEvent> events)
    {
        var armed = new Dictionary<(string, Group), List<Armed>>();
        var reported = new HashSet<Armed>(ReferenceEqualityComparer.Instance);
        long lastZxid = long.MinValue;
        WatchEvent? lastEvent = null;
        var timeline = ops.Select(o => (Time: o.Complete!.Value, Order: 0, Op: (HistoryOp?)o, Event: (WatchEvent?)null))
            .Concat(events.Select(e => (Time: e.At, Order: 1, Op: (HistoryOp?)null, Event: (WatchEvent?)e)))
            .OrderBy(x => x.Time).ThenBy(x => x.Order);
        foreach (var item in timeline)
        {
            if (item.Event is { } e)
            {
                var groups = e.Event switch
                {
                    EventType.NodeDataChanged or EventType.NodeCreated => new[] { Group.Data },
                    EventType.NodeChildrenChanged => [Group.Children],
                    EventType.NodeDeleted => [Group.Data, Group.Children],
                    _ => [],
                };
                if (groups.Length == 0) continue;
                var consumed = new List<Armed>();
                foreach (var g in groups)
                {
                    if (!armed.TryGetValue((e.Path, g), out var list)) continue;
                    // The known watches are one watch on the server: the event ends them all. A read of unknown outcome
                    // may have run at any time after it was sent, even after the client stopped waiting (queued behind
                    // the session's sync, say) and so after this event: its watch stays possible until an event finds
                    // no known watch, and then ends one such read's.
                    var known = list.Where(a => !a.Maybe).ToList();
                    if (known.Count > 0)
                    {
                        consumed.AddRange(known);
                        list.RemoveAll(a => !a.Maybe);
                    }
                    else
                    {
                        consumed.Add(list[0]);
                        list.RemoveAt(0);
                    }
                    if (list.Count == 0) armed.Remove((e.Path, g));
                }

                if (consumed.Count == 0)
                {
                    yield return new Violation("watch-once",
                        $"{e.Event} for {e.Path} reached session {e.Session} with no watch armed for it (delivered twice, or never asked for)", [], [e]);
                }

                if (e.Zxid is { } z)
                {
                    if (z < lastZxid)
                    {
                        yield return new Violation("watch-order",
                            $"session {e.Session} got an event of zxid 0x{z:x} after one of 0x{lastZxid:x}", [], [lastEvent!, e]);
                    }

                    if (z >= lastZxid)
                    {
                        lastZxid = z;
                        lastEvent = e;
                    }
                }

                continue;
            }

            var op = item.Op!;
            if (op.Kind == OpKind.CloseSession)
            {
                armed.Clear();
                continue;
            }

            foreach (var ((path, group), list) in armed)
            {
                foreach (var a in list)
                {
                    if (!a.Maybe && !reported.Contains(a) && Shows(op, path, group, a) is { } what)
                    {
                        reported.Add(a);
                        yield return new Violation("watch-before-data",
                            $"session {op.Session} saw {what} while its watch on {path} (armed by #{a.Op.Id}) had not fired", [a.Op, op], []);
                    }
                }
            }

            // A watch that missed its change is reported once; a late event may still consume it.
            if (op.Watch && op.IsRead) Arm(armed, op);
        }
    }

    private static void Arm(Dictionary<(string, Group), List<Armed>> armed, HistoryOp op)
    {
        var path = op.Path!;
        Armed? a = null;
        var group = Group.Data;
        switch (op.Outcome)
        {
            case Outcome.Unknown:
                a = new Armed(op, true, false, null, null);
                group = op.Kind == OpKind.GetChildren ? Group.Children : Group.Data;
                break;
            case Outcome.Ok when op.Kind == OpKind.GetChildren:
                a = new Armed(op, false, true, op.Result?.Stat, op.Result?.Children);
                group = Group.Children;
                break;
            case Outcome.Ok:
                var stat = op.Result?.Stat;
                a = new Armed(op, false, op.Kind == OpKind.GetData || stat is not null, stat, null);
                break;
            case Outcome.Error when op.Kind == OpKind.Exists && op.Error == ErrorCode.NoNode:
                a = new Armed(op, false, false, null, null);
                break;
        }

        if (a is null) return;
        if (!armed.TryGetValue((path, group), out var list)) armed[(path, group)] = list = [];
        list.Add(a);
    }

    /// <summary>What <paramref name="op"/>'s reply shows that differs from what the watch was armed on, or null.</summary>
    private static string? Shows(HistoryOp op, string path, Group group, Armed a)
    {
        if (op.Outcome == Outcome.Unknown) return null; // no reply: it showed nothing
        if (group == Group.Data)
        {
            if (op.Path == path && op.IsRead && op.Kind != OpKind.GetChildren)
            {
                var exists = op.Outcome == Outcome.Ok && (op.Kind == OpKind.GetData || op.Result?.Stat is not null);
                if (op.Outcome == Outcome.Error && op.Error != ErrorCode.NoNode) return null;
                if (exists != a.Exists) return exists ? $"{path} exist (#{op.Id})" : $"{path} gone (#{op.Id})";
                if (exists && Differs(a.Stat, op.Result?.Stat)) return $"a newer {path} (#{op.Id})";
                return null;
            }

            if (op.Outcome == Outcome.Ok && Writes(op).Any(w => w.Path == path)) return $"its own write to {path} acknowledged (#{op.Id})";
            return null;
        }

        if (op.Path == path && op.Kind == OpKind.GetChildren)
        {
            if (op.Outcome == Outcome.Error && op.Error == ErrorCode.NoNode) return $"{path} gone (#{op.Id})";
            if (op.Outcome == Outcome.Ok && a.Names is { } before && op.Result?.Children is { } after &&
                !before.Order(StringComparer.Ordinal).SequenceEqual(after.Order(StringComparer.Ordinal)))
                return $"other children of {path} (#{op.Id})";
            return null;
        }

        if (op.Outcome == Outcome.Ok && Writes(op).Any(w => (w.Kind != OpKind.SetData && Paths.Parent(w.Path) == path) || (w.Kind == OpKind.Delete && w.Path == path)))
            return $"its own change of {path}'s children acknowledged (#{op.Id})";
        return null;
    }

    private static bool Differs(StatView? a, StatView? b) =>
        a is not null && b is not null &&
        ((a.Version is { } av && b.Version is { } bv && av != bv) ||
         (a.Mzxid is { } am && b.Mzxid is { } bm && am != bm) ||
         (a.Czxid is { } ac && b.Czxid is { } bc && ac != bc));

    private static IEnumerable<(OpKind Kind, string Path)> Writes(HistoryOp op) => op.Kind switch
    {
        OpKind.Multi => op.Ops!.Where(s => s.Kind != OpKind.Check).Select(s => (s.Kind, s.Path)),
        OpKind.Create or OpKind.Delete or OpKind.SetData => [(op.Kind, op.Path!)],
        _ => [],
    };
}
