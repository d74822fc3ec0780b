using System.Globalization;
using Coord.Chaos.History;

namespace Coord.Chaos.Checking;

/// <summary>
/// The lock recipe (<see cref="Role.Lock"/>): each contender creates an ephemeral-sequential child of the lock node and
/// holds the lock from the moment a getChildren of its own shows its child lowest (the hold begins at that read's
/// completion). A hold ends when the holder invokes the delete of its child, or its session's close — or, unknown to
/// the holder, when its session expires. What is checked:
/// <list type="bullet">
/// <item>lock-exclusion: for a hold that ended by an acknowledged delete of its child (or an acknowledged close), every
/// hold of a later child began after that delete (or close) was invoked. A later child can only be lowest once the
/// earlier one is gone, and an acknowledged delete shows it was there until the delete. A hold whose release failed or
/// was unknown, or whose session expired, may overlap a later hold in real time: the recipe cannot prevent that, and
/// the fencing token is what protects the resource then.</item>
/// <item>lock-fencing: the resource's accepted writes (ok setData, by version) carry tokens ("token:tag", the token
/// being the holder's sequence number) that never decrease: a holder writes only by compare-and-set on the version it
/// read, and only if its token is at least the one there, so a deposed holder's late write must fail.</item>
/// </list>
/// </summary>
internal static class LockChecks
{
    private sealed record Hold(long Session, string Node, long Seq, HistoryOp Acquire, HistoryOp? Release);

    public static IEnumerable<Violation> Run(OpHistory history, HistoryIndex index)
    {
        foreach (var role in history.Roles.Where(r => r.Role == Role.Lock))
        {
            foreach (var v in Exclusion(role.Path!, index)) yield return v;
            foreach (var v in Fencing(role.Resource!, history)) yield return v;
        }
    }

    private static IEnumerable<Violation> Exclusion(string lockPath, HistoryIndex index)
    {
        var holds = new List<Hold>();
        foreach (var (session, ops) in index.BySession)
        {
            foreach (var create in ops.Where(o => o.Kind == OpKind.Create && o.Sequential && o.Outcome == Outcome.Ok && Paths.Parent(o.Path!) == lockPath))
            {
                var node = create.Result?.Path;
                if (node is null || Seq(node) is not { } seq) continue;
                var name = Paths.Name(node);
                var release = ops.FirstOrDefault(o => o.Invoke > create.Invoke &&
                                                      ((o.Kind == OpKind.Delete && o.Path == node) || o.Kind == OpKind.CloseSession));
                var acquire = ops.FirstOrDefault(o => o.Kind == OpKind.GetChildren && o.Path == lockPath && o.Outcome == Outcome.Ok &&
                                                      o.Invoke > create.Complete && (release is null || o.Invoke < release.Invoke) &&
                                                      o.Result?.Children is { Count: > 0 } kids && kids.Min(StringComparer.Ordinal) == name);
                if (acquire is null) continue;
                var known = release is { Outcome: Outcome.Ok, Expired: false } ? release : null;
                holds.Add(new Hold(session, node, seq, acquire, known));
            }
        }

        foreach (var a in holds.Where(h => h.Release is not null))
        {
            foreach (var b in holds)
            {
                if (b.Seq <= a.Seq || b.Acquire.Complete > a.Release!.Invoke) continue;
                yield return new Violation("lock-exclusion",
                    $"session {b.Session} held {lockPath} ({Paths.Name(b.Node)} lowest in #{b.Acquire.Id}) before session {a.Session} released " +
                    $"{Paths.Name(a.Node)} (#{a.Release.Id}, acknowledged)", [a.Acquire, a.Release, b.Acquire], []);
            }
        }
    }

    private static IEnumerable<Violation> Fencing(string resource, OpHistory history)
    {
        var accepted = history.Ops
            .Where(o => o.Kind == OpKind.SetData && o.Path == resource && o.Outcome == Outcome.Ok && o.Result?.Stat?.Version is not null)
            .OrderBy(o => o.Result!.Stat!.Version)
            .ToList();
        HistoryOp? highest = null;
        foreach (var w in accepted)
        {
            if (Token(w.Data) is not { } t) continue;
            if (highest is not null && t < Token(highest.Data))
            {
                yield return new Violation("lock-fencing",
                    $"{resource} accepted token {t} (version {w.Result!.Stat!.Version}) after token {Token(highest.Data)} (version {highest.Result!.Stat!.Version})",
                    [highest, w], []);
                continue;
            }

            highest = w;
        }
    }

    public static long? Token(string? data)
    {
        var colon = data?.IndexOf(':') ?? -1;
        return colon > 0 && long.TryParse(data.AsSpan(0, colon), NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) ? t : null;
    }

    /// <summary>The sequence number of a sequential node name (its last 10 digits).</summary>
    public static long? Seq(string node) =>
        node.Length >= 10 && long.TryParse(node.AsSpan(node.Length - 10), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
}
