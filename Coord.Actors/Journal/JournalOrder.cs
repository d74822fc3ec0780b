using Coord.Actors.Txns;

namespace Coord.Actors.Journal;

/// <summary>
/// The argument rules every <see cref="IJournal"/> enforces the same way, so implementations cannot drift
/// apart on what counts as a caller bug. All throw <see cref="InvalidOperationException"/> or
/// <see cref="ArgumentOutOfRangeException"/> before anything is written.
/// </summary>
public static class JournalOrder
{
    /// <summary>Every zxid of the batch must be above <paramref name="lastZxid"/> and above the one before it.</summary>
    public static void CheckBatch(IReadOnlyList<SequencedTxn> batch, long lastZxid)
    {
        ArgumentNullException.ThrowIfNull(batch);
        long previous = lastZxid;
        foreach (var txn in batch)
        {
            long zxid = txn.Header.Zxid;
            if (zxid <= previous)
                throw new InvalidOperationException($"journal append out of order: zxid 0x{zxid:x} after 0x{previous:x}");
            previous = zxid;
        }
    }

    public static void CheckReadable(long afterZxid, long purgedThroughZxid)
    {
        if (afterZxid < purgedThroughZxid)
            throw new InvalidOperationException(
                $"txns after 0x{afterZxid:x} are no longer retained (purged through 0x{purgedThroughZxid:x}; load a newer snapshot)");
    }

    public static void CheckTruncate(long zxid, long purgedThroughZxid)
    {
        if (zxid < purgedThroughZxid)
            throw new InvalidOperationException(
                $"cannot truncate after 0x{zxid:x}: txns through 0x{purgedThroughZxid:x} were purged (resync from a snapshot instead)");
    }

    /// <summary>
    /// The highest epoch a journal records: a zxid is (epoch &lt;&lt; 32) | counter in a signed long, and
    /// <see cref="Coord.Protocol.Zxid.Epoch"/> is an int, so a larger epoch would make zxids negative.
    /// </summary>
    public const long EpochMax = int.MaxValue;

    /// <summary>A new acceptedEpoch: within 0..<see cref="EpochMax"/> and not below the one already accepted.</summary>
    public static void CheckAcceptedEpoch(long epoch, long acceptedEpoch)
    {
        CheckEpochRange(epoch);
        if (epoch < acceptedEpoch)
            throw new InvalidOperationException($"acceptedEpoch cannot go backward: {epoch} after {acceptedEpoch}");
    }

    /// <summary>A new currentEpoch: not below the current one and not above the accepted one.</summary>
    public static void CheckCurrentEpoch(long epoch, long currentEpoch, long acceptedEpoch)
    {
        CheckEpochRange(epoch);
        if (epoch < currentEpoch)
            throw new InvalidOperationException($"currentEpoch cannot go backward: {epoch} after {currentEpoch}");
        if (epoch > acceptedEpoch)
            throw new InvalidOperationException(
                $"currentEpoch {epoch} would exceed acceptedEpoch {acceptedEpoch}: accept an epoch (NEWEPOCH) before adopting it (NEWLEADER)");
    }

    private static void CheckEpochRange(long epoch)
    {
        if (epoch is < 0 or > EpochMax)
            throw new ArgumentOutOfRangeException(nameof(epoch), $"epoch {epoch} is outside 0..{EpochMax}");
    }

    /// <summary>A reset point is a zxid a journal can continue at: not negative.</summary>
    public static void CheckReset(long zxid)
    {
        if (zxid < 0) throw new ArgumentOutOfRangeException(nameof(zxid), $"cannot reset the journal to {zxid}: a zxid is never negative");
    }

    public static void CheckPurge(long zxid, long lastDurableZxid)
    {
        if (zxid > lastDurableZxid)
            throw new ArgumentOutOfRangeException(nameof(zxid), $"cannot purge through 0x{zxid:x}: the journal ends at 0x{lastDurableZxid:x}");
    }
}
