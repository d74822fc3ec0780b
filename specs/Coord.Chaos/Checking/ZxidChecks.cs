using Coord.Chaos.History;

namespace Coord.Chaos.Checking;

/// <summary>
/// Checks that need no search, from the names and zxids replies carry (each is skipped where a history has no zxids):
/// a sequential name handed out twice; two acknowledged setData making the same version of one node (a lost update);
/// a session's acknowledged writes taking zxids out of its order; a session's read older than something it had
/// already seen (the same node at an older (czxid, mzxid), or a node older than a write to it whose zxid is at most
/// the highest zxid the session had seen).
/// </summary>
internal static class ZxidChecks
{
    public static IEnumerable<Violation> Run(OpHistory history)
    {
        var ok = history.Ops.Where(o => o.Outcome == Outcome.Ok).ToList();
        return SequentialTwice(ok).Concat(SameVersionTwice(history, ok)).Concat(SessionChecks(ok)).Concat(NeverWritten(history, ok));
    }

    /// <summary>A getData returning data that no write to that node (in any outcome) and no init record held.</summary>
    private static IEnumerable<Violation> NeverWritten(OpHistory history, List<HistoryOp> ok)
    {
        var written = new HashSet<(string, string)>(history.Init.Select(n => (n.Path, n.Data)));
        var sequentialParents = new HashSet<string>();
        foreach (var o in history.Ops)
        {
            IEnumerable<(OpKind Kind, string Path, string? Data, bool Sequential)> subs = o.Kind == OpKind.Multi
                ? o.Ops!.Select(s => (s.Kind, s.Path, s.Data, s.Sequential))
                : [(o.Kind, o.Path ?? "", o.Data, o.Sequential)];
            foreach (var (kind, path, data, sequential) in subs)
            {
                if (kind is not (OpKind.Create or OpKind.SetData)) continue;
                if (sequential) sequentialParents.Add(Paths.Parent(path));
                else written.Add((path, data ?? ""));
            }

            foreach (var r in o.Result?.Results?.Zip(o.Ops ?? []) ?? [])
            {
                if (r.First.Path is { } created) written.Add((created, r.Second.Data ?? ""));
            }

            if (o.Kind == OpKind.Create && o.Result?.Path is { } p) written.Add((p, o.Data ?? ""));
        }

        return ok.Where(o => o.Kind == OpKind.GetData && o.Result?.Data is { } d && !written.Contains((o.Path!, d)) &&
                             !sequentialParents.Contains(Paths.Parent(o.Path!)))
            .Select(o => new Violation("read-unwritten", $"{o.Path} read as '{o.Result!.Data}', which no write to it held", [o], []));
    }

    /// <summary>Ok writes with what each produced: (path, sequential, created path, stat).</summary>
    private static IEnumerable<(HistoryOp Op, OpKind Kind, string Path, bool Sequential, string? Created, StatView? Stat)> Effects(HistoryOp o)
    {
        if (o.Kind == OpKind.Multi)
        {
            var results = o.Result?.Results;
            for (var i = 0; i < o.Ops!.Count; i++)
            {
                var s = o.Ops[i];
                yield return (o, s.Kind, s.Path, s.Sequential, results?[i].Path, results?[i].Stat);
            }
        }
        else if (o.Kind is OpKind.Create or OpKind.SetData or OpKind.Delete)
        {
            yield return (o, o.Kind, o.Path!, o.Sequential, o.Result?.Path, o.Result?.Stat);
        }
    }

    private static IEnumerable<Violation> SequentialTwice(List<HistoryOp> ok) =>
        ok.SelectMany(Effects)
            .Where(e => e.Kind == OpKind.Create && e.Sequential && e.Created is not null)
            .GroupBy(e => e.Created!)
            .Where(g => g.Count() > 1)
            .Select(g => new Violation("sequential-suffix", $"{g.Key} was handed out {g.Count()} times", [.. g.Select(e => e.Op).Distinct()], []));

    private static IEnumerable<Violation> SameVersionTwice(OpHistory history, List<HistoryOp> ok)
    {
        // Without a czxid the node's incarnation is known only if nothing in the history creates or deletes it.
        var recreated = history.Ops.SelectMany(o => o.Kind == OpKind.Multi ? o.Ops!.Select(s => (s.Kind, s.Path)) : [(o.Kind, o.Path ?? "")])
            .Where(x => x.Kind is OpKind.Create or OpKind.Delete).Select(x => x.Path).ToHashSet();
        return ok.SelectMany(Effects)
            .Where(e => e.Kind == OpKind.SetData && e.Stat?.Version is not null && (e.Stat.Czxid is not null || !recreated.Contains(e.Path)))
            .GroupBy(e => (e.Path, e.Stat!.Czxid, e.Stat.Version))
            .Where(g => g.Select(e => e.Op.Id).Distinct().Count() > 1)
            .Select(g => new Violation("lost-update",
                $"{g.Count()} acknowledged setData each made version {g.Key.Version} of {g.Key.Path}: one of them overwrote the other unseen",
                [.. g.Select(e => e.Op).Distinct()], []));
    }

    private static long? WriteZxid(HistoryOp o) => o.Kind switch
    {
        OpKind.SetData => o.Result?.Stat?.Mzxid,
        OpKind.Create => o.Result?.Stat?.Czxid,
        OpKind.Multi => o.Result?.Results?.Select(r => r.Stat?.Mzxid ?? r.Stat?.Czxid).FirstOrDefault(z => z is not null),
        _ => null,
    };

    private static IEnumerable<Violation> SessionChecks(List<HistoryOp> ok)
    {
        // zxids of acknowledged writes per path (setData's mzxid, create's czxid), to find reads older than them.
        var writesByPath = new Dictionary<string, List<(long Zxid, HistoryOp Op)>>();
        foreach (var e in ok.SelectMany(Effects))
        {
            var z = e.Kind == OpKind.SetData ? e.Stat?.Mzxid : e.Kind == OpKind.Create ? e.Stat?.Czxid : null;
            if (z is null) continue;
            var path = e.Created ?? e.Path;
            if (!writesByPath.TryGetValue(path, out var list)) writesByPath[path] = list = [];
            list.Add((z.Value, e.Op));
        }

        foreach (var list in writesByPath.Values) list.Sort((a, b) => a.Zxid.CompareTo(b.Zxid));

        foreach (var session in ok.GroupBy(o => o.Session))
        {
            HistoryOp? lastWrite = null;
            long lastWriteZxid = long.MinValue;
            long horizon = long.MinValue;
            HistoryOp? horizonOp = null;
            var lastSeen = new Dictionary<string, (long Czxid, long Mzxid, HistoryOp Op)>();
            foreach (var o in session.OrderBy(o => o.Invoke))
            {
                if (o.IsWrite && WriteZxid(o) is { } wz)
                {
                    if (lastWrite is not null && wz <= lastWriteZxid)
                    {
                        yield return new Violation("session-order",
                            $"session {o.Session}'s write took zxid 0x{wz:x}, not after its earlier write's 0x{lastWriteZxid:x}", [lastWrite, o], []);
                    }

                    lastWrite = o;
                    lastWriteZxid = wz;
                }

                if (o.Kind is OpKind.GetData or OpKind.Exists && o.Result?.Stat is { Czxid: { } c, Mzxid: { } m })
                {
                    var path = o.Path!;
                    if (lastSeen.TryGetValue(path, out var seen) && (c < seen.Czxid || (c == seen.Czxid && m < seen.Mzxid)))
                    {
                        yield return new Violation("monotonic-reads",
                            $"session {o.Session} read {path} at mzxid 0x{m:x} after it had read it at 0x{seen.Mzxid:x}", [seen.Op, o], []);
                    }
                    else if (writesByPath.TryGetValue(path, out var writes) &&
                             writes.FirstOrDefault(w => w.Zxid > m && w.Zxid <= horizon) is { Op: not null } newer)
                    {
                        yield return new Violation("monotonic-reads",
                            $"session {o.Session} read {path} at mzxid 0x{m:x} after it had seen zxid 0x{horizon:x}, " +
                            $"which is past write #{newer.Op.Id} to it (zxid 0x{newer.Zxid:x})",
                            [.. new[] { horizonOp, newer.Op, o }.OfType<HistoryOp>().Distinct()], []);
                    }

                    lastSeen[path] = (c, m, o);
                }

                foreach (var z in Zxids(o))
                {
                    if (z > horizon)
                    {
                        horizon = z;
                        horizonOp = o;
                    }
                }
            }
        }
    }

    private static IEnumerable<long> Zxids(HistoryOp o)
    {
        IEnumerable<StatView?> stats = o.Result?.Results is { } rs ? rs.Select(r => r.Stat) : [o.Result?.Stat];
        foreach (var s in stats)
        {
            if (s is null) continue;
            if (s.Czxid is { } c) yield return c;
            if (s.Mzxid is { } m) yield return m;
            if (s.Pzxid is { } p) yield return p;
        }
    }
}
