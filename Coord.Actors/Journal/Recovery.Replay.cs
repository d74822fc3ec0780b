using Coord.Actors.Tree;
using Coord.Actors.Txns;

namespace Coord.Actors.Journal;

/// <summary>Why a replay stopped before its txns ran out; <see cref="PreviousZxid"/> is where the tree stands.</summary>
public abstract record ReplayStop(long PreviousZxid);

/// <summary>The next txn does not follow the one before it (<see cref="Recovery.Follows"/>): txns are missing between them.</summary>
public sealed record ReplayGap(long PreviousZxid, long NextZxid) : ReplayStop(PreviousZxid)
{
    public override string ToString() => $"gap after 0x{PreviousZxid:x}: next is 0x{NextZxid:x}";
}

/// <summary>The next txn does not apply to the state at <see cref="ReplayStop.PreviousZxid"/>; the tree must be discarded.</summary>
public sealed record ReplayNotApplied(long PreviousZxid, SequencedTxn Txn, InvalidOperationException Error) : ReplayStop(PreviousZxid)
{
    public override string ToString() => $"0x{Txn.Header.Zxid:x} ({Txn.Body.Type}) does not apply at 0x{PreviousZxid:x}: {Error.Message}";
}

/// <summary>How many txns a replay applied, and why it stopped early (null when it ran through all of them).</summary>
public readonly record struct ReplayOutcome(int Applied, ReplayStop? Stop);

public static partial class Recovery
{
    /// <summary>
    /// The replay loop shared by startup recovery, tail truncation and <c>coord verify</c>: applies
    /// <paramref name="txns"/> to <paramref name="tree"/> in order, each of which must follow the one before
    /// (the first must follow the tree's own zxid), and stops at the first gap or txn that does not apply,
    /// saying which in the outcome instead of throwing, so each caller words it for its reader. Pure: no I/O
    /// beyond what enumerating <paramref name="txns"/> does, whose exceptions pass through.
    /// </summary>
    public static ReplayOutcome Replay(DataTree tree, IEnumerable<SequencedTxn> txns)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(txns);
        int applied = 0;
        foreach (var txn in txns)
        {
            long previous = tree.LastAppliedZxid;
            long zxid = txn.Header.Zxid;
            if (!Follows(previous, zxid)) return new ReplayOutcome(applied, new ReplayGap(previous, zxid));
            try
            {
                tree.Apply(txn);
            }
            catch (InvalidOperationException e)
            {
                return new ReplayOutcome(applied, new ReplayNotApplied(previous, txn, e));
            }
            applied++;
        }
        return new ReplayOutcome(applied, null);
    }
}
