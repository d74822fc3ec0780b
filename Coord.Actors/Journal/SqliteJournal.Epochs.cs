using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Journal;

/// <summary>
/// Zab's two epochs, kept in the <c>meta</c> table next to the txns they govern, so one fsync'd SQLite commit
/// makes an epoch durable and the epochs can never disagree with the file they describe (ZooKeeper keeps them
/// in two loose files, acceptedEpoch and currentEpoch). Both are written together in one transaction on the
/// writer thread, in order with appends and truncations.
/// </summary>
public sealed partial class SqliteJournal
{
    private readonly record struct Epochs(long Accepted, long Current);

    private sealed class EpochsRequest(long accepted, long current) : WriteRequest
    {
        public long Accepted { get; } = accepted;
        public long Current { get; } = current;
        public override string Describe() => $"recording acceptedEpoch {Accepted}, currentEpoch {Current}";
    }

    public ValueTask SetAcceptedEpochAsync(long epoch, CancellationToken ct = default)
    {
        lock (_submitGate)
        {
            JournalOrder.CheckAcceptedEpoch(epoch, _acceptedEpochQueued);
            var request = new EpochsRequest(epoch, _currentEpochQueued);
            if (!TrySubmit(request, out var refused)) return refused;
            _acceptedEpochQueued = epoch;
            return new ValueTask(request.Done.Task);
        }
    }

    public ValueTask SetCurrentEpochAsync(long epoch, CancellationToken ct = default)
    {
        lock (_submitGate)
        {
            JournalOrder.CheckCurrentEpoch(epoch, _currentEpochQueued, _acceptedEpochQueued);
            var request = new EpochsRequest(_acceptedEpochQueued, epoch);
            if (!TrySubmit(request, out var refused)) return refused;
            _currentEpochQueued = epoch;
            return new ValueTask(request.Done.Task);
        }
    }

    /// <summary>Writer thread: both epochs in one commit (WAL fsync under synchronous=FULL), then visible to readers.</summary>
    private void WriteEpochs(long accepted, long current)
    {
        using (var tx = _conn.BeginTransaction())
        {
            SetMeta(_conn, tx, MetaAcceptedEpoch, accepted);
            SetMeta(_conn, tx, MetaCurrentEpoch, current);
            tx.Commit();
        }
        Volatile.Write(ref _acceptedEpoch, accepted);
        Volatile.Write(ref _currentEpoch, current);
    }

    /// <summary>
    /// Version 1 journals (written before epochs were stored) get both epochs set to the epoch of their last
    /// txn, in one transaction with the version bump: the member logged txns of that epoch, so it had accepted
    /// and adopted it. This is what ZooKeeper does when its epoch files are missing (QuorumPeer.loadDataBase,
    /// "a reasonable default"). An empty version 1 journal gets 0, as a fresh one does.
    /// </summary>
    private static void UpgradeFromVersion1(SqliteConnection conn, string path, ILogger log, long lastZxid)
    {
        long epoch = JournalRecord.EpochOf(lastZxid);
        if (epoch > JournalOrder.EpochMax)
            throw new JournalCorruptException(
                $"journal {path}: its last txn 0x{lastZxid:x} has epoch {epoch}, above {JournalOrder.EpochMax}; Coord did not change it. " +
                "Restore the data dir from a replica or a backup.", path, lastZxid);
        using (var tx = conn.BeginTransaction())
        {
            SetMeta(conn, tx, MetaAcceptedEpoch, epoch);
            SetMeta(conn, tx, MetaCurrentEpoch, epoch);
            SetMeta(conn, tx, MetaFormatVersion, FormatVersion);
            tx.Commit();
        }
        LogUpgraded(log, path, FormatVersion1, FormatVersion, epoch, lastZxid);
    }

    /// <summary>The stored epochs, checked: both present, in range, and currentEpoch not above acceptedEpoch.</summary>
    private static Epochs ReadEpochs(SqliteConnection conn, string path)
    {
        long? accepted = GetMeta(conn, MetaAcceptedEpoch);
        long? current = GetMeta(conn, MetaCurrentEpoch);
        string? problem = (accepted, current) switch
        {
            (null, _) or (_, null) => "acceptedEpoch or currentEpoch is missing from its meta table",
            ({ } a, { } c) when a is < 0 or > JournalOrder.EpochMax || c is < 0 or > JournalOrder.EpochMax =>
                $"its epochs (accepted {a}, current {c}) are outside 0..{JournalOrder.EpochMax}",
            ({ } a, { } c) when c > a => $"its currentEpoch {c} is above its acceptedEpoch {a}, which Zab never writes",
            _ => null,
        };
        if (problem is not null)
            throw new JournalCorruptException(
                $"journal {path}: {problem}. Coord did not change it. In an ensemble, move the data dir away and let this " +
                "server resync; otherwise restore the data dir from a backup.", path);
        return new Epochs(accepted!.Value, current!.Value);
    }
}
