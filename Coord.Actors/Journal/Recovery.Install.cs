using Coord.Actors.Faults;
using Coord.Actors.Tree;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Journal;

public static partial class Recovery
{
    /// <summary>
    /// Zab's SNAP on this member's stored state: makes the leader's snapshot <paramref name="snapshotBytes"/>
    /// (the bytes of a snapshot file, <see cref="SnapshotFormat"/>) this member's only snapshot and resets the
    /// journal to continue right after it. Returns the tree loaded from the bytes, at the snapshot's zxid Z
    /// (<see cref="RecoveryResult.SnapshotZxid"/> = <see cref="RecoveryResult.LastZxid"/> = Z); the caller
    /// replaces its tree with it and appends the leader's txns above Z. Bytes that do not form a valid snapshot
    /// throw <see cref="SnapshotCorruptException"/> before anything is written. The caller must not append,
    /// apply or write snapshots while this runs (a follower does it during sync, before it serves). An I/O
    /// error faults the task as the journal or the file system reports it; the member must then stop and
    /// restart, and <see cref="Recover"/> completes or discards the install (see below).
    /// <para>
    /// Order, so that a crash at any point recovers either the state before the install or the installed
    /// snapshot, never the leader's snapshot with this member's old txns above Z replayed on top of it (they
    /// may be a divergent tail the leader never committed):
    /// (1) the bytes are checked (parsed and restored to a tree);
    /// (2) they are written durably as <c>snapshot-Z.install</c>, a name recovery does not load;
    /// (3) the journal is reset to Z (<see cref="IJournal.ResetToAsync"/>): one atomic, durable write, and the
    ///     commit point of the install;
    /// (4) every other snapshot is deleted (newer ones hold state the leader's history replaced, older ones this
    ///     member's own history, which the reset journal cannot extend) and the staged file is renamed to
    ///     <c>snapshot-Z.snap</c>, last.
    /// <see cref="Recover"/> first looks for a staged install: it counts as committed when the journal holds no
    /// txn and ends at its zxid, which is what (3) leaves; then recovery finishes (4), else it deletes the
    /// staged file. So a crash before (3) commits recovers the old state (the journal and snapshots are
    /// untouched), and a crash after it, during (4) or later recovers the installed snapshot with an empty
    /// journal. One corner: if the journal already held no txn and ended exactly at Z before the install, a
    /// crash before (3) also finishes the install, which is the new state and equally safe (nothing above Z
    /// exists to be replayed). Both simpler orders fail: the snapshot under its final name first lets a crash
    /// replay the old journal above Z on top of it; the journal reset first leaves, after a crash, a journal
    /// purged through Z and no snapshot to start from, which refuses to start until an operator wipes the
    /// member. If the staged file is unreadable when the journal says the install committed (damage after it
    /// was fsynced), <see cref="Recover"/> refuses with <see cref="RecoveryException"/>: the old state is gone.
    /// </para>
    /// </summary>
    public static async ValueTask<RecoveryResult> InstallSnapshotAsync(
        SnapshotStore snapshots, IJournal journal, ReadOnlyMemory<byte> snapshotBytes, ILogger log, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(log);

        DataTree tree = SnapshotFormat.ReadTree(snapshotBytes.Span);
        long zxid = tree.LastAppliedZxid;
        if (zxid < 0) throw new SnapshotCorruptException($"the snapshot claims zxid {zxid}; a zxid is never negative");
        var staged = snapshots.StageInstall(snapshotBytes, zxid);
        return await InstallStagedAsync(snapshots, journal, staged, tree, log, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="InstallSnapshotAsync"/> from step (3) on, for a snapshot already checked and staged durably
    /// (<see cref="SnapshotStore.StagingFile.Commit"/>, a learner that staged and parsed the leader's pieces as they came):
    /// <paramref name="tree"/> is what <paramref name="staged"/> holds.
    /// </summary>
    public static async ValueTask<RecoveryResult> InstallStagedAsync(
        SnapshotStore snapshots, IJournal journal, SnapshotFile staged, DataTree tree, ILogger log, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(staged);
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(log);
        long zxid = staged.Zxid;
        if (tree.LastAppliedZxid != zxid)
            throw new SnapshotCorruptException($"the staged snapshot {staged} holds a tree at 0x{tree.LastAppliedZxid:x}");
        if (Failpoints.Enabled) Failpoints.Hit(Failpoints.SnapshotInstallStaged);
        await journal.ResetToAsync(zxid, ct).ConfigureAwait(false);
        if (Failpoints.Enabled) Failpoints.Hit(Failpoints.SnapshotInstallReset);
        var file = snapshots.CommitInstall(staged);
        LogInstalled(log, file.ToString(), tree.NodeCount, tree.Sessions.Count);
        return new RecoveryResult(tree, zxid, zxid, 0);
    }

    /// <summary>
    /// Startup, before loading: finishes an install whose journal reset committed, discards one that did not
    /// (see <see cref="InstallSnapshotAsync"/>). Nothing to do, and no file read, when none was interrupted.
    /// </summary>
    private static void FinishOrDiscardInstall(SnapshotStore snapshots, IJournal journal, ILogger log)
    {
        var staged = snapshots.ListStaged();
        var committed = journal.FirstZxid == 0 ? staged.FirstOrDefault(f => f.Zxid == journal.LastDurableZxid) : null;
        if (committed is null)
        {
            foreach (var f in staged) LogInstallDiscarded(log, f.ToString(), journal.LastDurableZxid);
            snapshots.DiscardStaged();
            return;
        }
        string? problem;
        try
        {
            long inFile = SnapshotFormat.Read(File.ReadAllBytes(committed.Path)).LastZxid;
            problem = inFile == committed.Zxid ? null : $"its header says zxid 0x{inFile:x}";
        }
        catch (SnapshotCorruptException e) { problem = e.Message; }
        catch (IOException e) { problem = $"unreadable: {e.Message}"; }
        catch (UnauthorizedAccessException e) { problem = $"unreadable: {e.Message}"; }
        if (problem is not null)
            throw new RecoveryException(
                $"cannot recover: the install of the leader's snapshot {committed} committed (the journal was reset to " +
                $"0x{committed.Zxid:x} and holds no txns), but the staged snapshot is damaged: {problem}. This member's " +
                "earlier state is gone; wipe this server's data and let it sync from the ensemble.");
        var file = snapshots.CommitInstall(committed);
        LogInstallFinished(log, file.ToString());
    }
}
