using System.Buffers.Binary;
using Coord.Actors.Txns;

namespace Coord.Actors.Journal;

/// <summary>
/// One stored journal row as read back, checked: <see cref="Txn"/> when intact, otherwise
/// <see cref="Problem"/> says what is wrong. Operator tools print these; recovery decides on them.
/// </summary>
public sealed record JournalEntry(long Zxid, long Epoch, int TypeId, SequencedTxn? Txn, string? Problem)
{
    public bool Intact => Problem is null;

    /// <summary>One readable line: <c>0x100000001 epoch=1 Create /a ... session=0x.. cxid=.. time=..</c>.</summary>
    public override string ToString()
    {
        if (Problem is not null) return $"0x{Zxid:x} epoch={Epoch} type={TypeId} CORRUPT: {Problem}";
        if (Txn is not { } t) return $"0x{Zxid:x} epoch={Epoch} type={TypeId} (checksum intact, not decoded)";
        var time = DateTimeOffset.FromUnixTimeMilliseconds(t.Header.TimeMs).UtcDateTime;
        return $"0x{Zxid:x} epoch={Epoch} {t.Body} session=0x{t.Header.SessionId:x} cxid={t.Header.Cxid} " +
               $"time={time:yyyy-MM-ddTHH:mm:ss.fffZ}";
    }
}

/// <summary>
/// The row format of the journal: the checksum covers zxid ‖ type ‖ payload (big-endian, as on the wire),
/// so a row moved to another zxid or relabelled fails as surely as a damaged payload.
/// </summary>
public static class JournalRecord
{
    public static uint Checksum(long zxid, int typeId, ReadOnlySpan<byte> payload)
    {
        Span<byte> head = stackalloc byte[12];
        BinaryPrimitives.WriteInt64BigEndian(head, zxid);
        BinaryPrimitives.WriteInt32BigEndian(head[8..], typeId);
        return Crc32C.Append(Crc32C.Compute(head), payload);
    }

    public static long EpochOf(long zxid) => zxid >>> 32;

    /// <summary>
    /// The checksum and the epoch column only, no decoding: what recovery's scan needs for rows that are not
    /// replayed. The entry carries no txn (<see cref="JournalEntry.Txn"/> is null even when intact).
    /// </summary>
    public static JournalEntry CheckSum(long zxid, long epoch, int typeId, byte[] payload, long storedCrc) =>
        new(zxid, epoch, typeId, null, ChecksumProblem(zxid, typeId, payload, storedCrc) ?? EpochProblem(zxid, epoch));

    private static string? ChecksumProblem(long zxid, int typeId, byte[] payload, long storedCrc)
    {
        uint computed = Checksum(zxid, typeId, payload);
        return storedCrc == computed ? null
            : $"checksum mismatch: stored 0x{storedCrc:x8}, computed 0x{computed:x8} over {payload.Length} payload bytes";
    }

    private static string? EpochProblem(long zxid, long epoch) =>
        epoch == EpochOf(zxid) ? null : $"epoch column {epoch} differs from the zxid's epoch {EpochOf(zxid)}";

    /// <summary>Checks a stored row: checksum first (cheap, catches damage), then that the payload decodes and agrees with its columns.</summary>
    public static JournalEntry Check(long zxid, long epoch, int typeId, byte[] payload, long storedCrc)
    {
        if (ChecksumProblem(zxid, typeId, payload, storedCrc) is { } damaged) return new(zxid, epoch, typeId, null, damaged);
        SequencedTxn txn;
        try
        {
            txn = TxnCodec.Read(payload);
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or ArgumentException or OverflowException)
        {
            return new(zxid, epoch, typeId, null, $"undecodable payload ({payload.Length} bytes): {ex.Message}");
        }
        if (txn.Header.Zxid != zxid)
            return new(zxid, epoch, typeId, null, $"payload carries zxid 0x{txn.Header.Zxid:x}");
        if ((int)txn.Body.Type != typeId)
            return new(zxid, epoch, typeId, null, $"payload is a {txn.Body.Type} txn, type column says {typeId}");
        if (EpochProblem(zxid, epoch) is { } wrongEpoch) return new(zxid, epoch, typeId, null, wrongEpoch);
        return new(zxid, epoch, typeId, txn, null);
    }
}
