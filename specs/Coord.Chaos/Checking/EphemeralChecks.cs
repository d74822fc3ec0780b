using Coord.Chaos.History;

namespace Coord.Chaos.Checking;

/// <summary>
/// Ephemerals exist exactly while their session lives (issue 13: none lost early, none leaked):
/// <list type="bullet">
/// <item>ephemeral-early: a read shows an ephemeral E missing (exists null, getData NONODE, getChildren of its parent
/// without it) although it was fresh enough to see E (its session created E, or synced after E's create was
/// acknowledged) and E's owner was provably alive afterwards (a write of the owner with a reply, invoked after the read
/// completed — see <see cref="HistoryIndex.ProvesAlive"/>). Only ephemerals nobody deletes explicitly are checked.</item>
/// <item>ephemeral-leak: in a final reader's session (<see cref="Role.Final"/>: it began after every other session had
/// ended), the last read of an ephemeral (or of its parent's children) after a sync still shows it (a later listing of
/// the parent without it counts as a read of it).</item>
/// </list>
/// The linearizability search implies the first where the ops share a partition; these say it in one sentence.
/// </summary>
internal static class EphemeralChecks
{
    private sealed record Ephemeral(string Path, long Owner, HistoryOp Create);

    public static IEnumerable<Violation> Run(OpHistory history, HistoryIndex index)
    {
        var deleted = history.Ops.SelectMany(o => o.Kind == OpKind.Multi ? o.Ops!.Where(s => s.Kind == OpKind.Delete).Select(s => s.Path)
                : o.Kind == OpKind.Delete ? [o.Path!] : []).ToHashSet();
        var created = history.Ops
            .Where(o => o.Kind == OpKind.Create && o.Ephemeral && o.Outcome == Outcome.Ok)
            .Select(o => new Ephemeral(o.Result?.Path ?? o.Path!, o.Session, o))
            .ToList();
        var finals = history.Roles.Where(r => r.Role == Role.Final).Select(r => r.Session!.Value).ToHashSet();

        foreach (var v in Early(history, index, created.Where(e => !deleted.Contains(e.Path)).ToList())) yield return v;
        foreach (var v in Leaks(history, index, finals)) yield return v;
    }

    private static IEnumerable<Violation> Early(OpHistory history, HistoryIndex index, List<Ephemeral> ephemerals)
    {
        if (ephemerals.Count == 0) yield break;
        var byPath = ephemerals.ToLookup(e => e.Path);
        var byParent = ephemerals.ToLookup(e => Paths.Parent(e.Path));
        foreach (var r in history.Ops.Where(o => o.IsRead && o.Outcome != Outcome.Unknown))
        {
            var candidates = r.Kind == OpKind.GetChildren ? byParent[r.Path!] : byPath[r.Path!];
            foreach (var e in candidates)
            {
                if (HistoryIndex.Shows(r, e.Path) != false) continue;
                var fresh = r.Session == e.Owner ? r.Invoke > e.Create.Complete : index.SyncBarrier(r) > e.Create.Complete;
                if (!fresh) continue;
                if (index.LifeProofAfter(e.Owner, r.Complete!.Value) is not { } proof) continue;
                yield return new Violation("ephemeral-early",
                    $"{e.Path}, an ephemeral of session {e.Owner}, was missing in #{r.Id} although that read came after its create was acknowledged " +
                    $"(and a sync) and the session was alive after it (#{proof.Id})", [e.Create, r, proof], []);
            }
        }
    }

    private static IEnumerable<Violation> Leaks(OpHistory history, HistoryIndex index, HashSet<long> finals)
    {
        if (finals.Count == 0) yield break;
        // Every path some non-final session asked for as an ephemeral (any outcome), and parents only ephemerals go under.
        var creates = history.Ops.Where(o => o.Kind == OpKind.Create && !finals.Contains(o.Session)).ToList();
        var ephemeralPaths = creates.Where(o => o.Ephemeral).Select(o => o.Result?.Path ?? (o.Sequential ? null : o.Path)).OfType<string>().ToHashSet();
        var ephemeralParents = creates.GroupBy(o => Paths.Parent(o.Path!)).Where(g => g.All(o => o.Ephemeral)).Select(g => g.Key)
            .Where(p => !history.Init.Any(n => n.Path != p && Paths.Parent(n.Path) == p) && !history.Init.Any(n => n.Path == p && n.Children.Count > 0))
            .ToHashSet();
        foreach (var session in finals)
        {
            var last = new Dictionary<string, HistoryOp>();
            foreach (var r in index.BySession.GetValueOrDefault(session) ?? [])
            {
                if (!r.IsRead || r.Outcome == Outcome.Unknown || index.SyncBarrier(r) == long.MinValue) continue;
                last[r.Kind == OpKind.GetChildren ? "kids:" + r.Path : r.Path!] = r;
            }

            foreach (var r in last.Values)
            {
                if (r.Kind == OpKind.GetChildren)
                {
                    if (r.Outcome != Outcome.Ok || r.Result?.Children is not { } kids) continue;
                    var left = kids.Where(k => ephemeralParents.Contains(r.Path!) || ephemeralPaths.Contains(r.Path + "/" + k)).ToList();
                    if (left.Count > 0)
                    {
                        yield return new Violation("ephemeral-leak",
                            $"final read #{r.Id} still lists ephemerals {string.Join(", ", left.Take(5))} under {r.Path} after every session ended", [r], []);
                    }
                }
                else if (ephemeralPaths.Contains(r.Path!) && HistoryIndex.Shows(r, r.Path!) == true &&
                         !(last.TryGetValue("kids:" + Paths.Parent(r.Path!), out var listing) && listing.Invoke > r.Invoke &&
                           HistoryIndex.Shows(listing, r.Path!) == false))
                {
                    var owner = creates.Where(o => (o.Result?.Path ?? o.Path) == r.Path).Select(o => o.Session).FirstOrDefault();
                    yield return new Violation("ephemeral-leak",
                        $"final read #{r.Id} still shows {r.Path}, an ephemeral of session {owner}, after every session ended", [r], []);
                }
            }
        }
    }
}
