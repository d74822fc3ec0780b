using Coord.Actors.Journal;
using Coord.Actors.Tree;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Ensemble;

/// <summary>A learner takes the leader's snapshot (SNAP): stored as its only snapshot, journal reset to its zxid (crash-safe, see Recovery).</summary>
internal static class SnapshotInstall
{
    public static async Task<DataTree> InstallAsync(SnapshotStore store, IJournal journal, ReadOnlyMemory<byte> bytes, ILogger log) =>
        (await Recovery.InstallSnapshotAsync(store, journal, bytes, log)).Tree;
}

/// <summary>
/// Snapshot bytes as SNAP streams them: the leader cuts its snapshot into slices (views of one array), the learner
/// joins the pieces it received back into one array for the install.
/// </summary>
public static class SnapshotChunks
{
    /// <summary>Slices of at most <paramref name="chunkBytes"/> each, in order, as <see cref="ReadOnlyMemory{T}"/> over <paramref name="bytes"/>; at least one (an empty array is one empty chunk).</summary>
    public static IReadOnlyList<object> Split(byte[] bytes, int chunkBytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        int count = Math.Max(1, (int)((bytes.LongLength + chunkBytes - 1) / chunkBytes));
        var chunks = new object[count];
        for (int i = 0; i < count; i++)
        {
            int start = (int)Math.Min((long)i * chunkBytes, bytes.Length);
            chunks[i] = new ReadOnlyMemory<byte>(bytes, start, Math.Min(chunkBytes, bytes.Length - start));
        }
        return chunks;
    }

    /// <summary>The pieces joined in order: each a byte[] (as the peer codec decodes them) or a <see cref="ReadOnlyMemory{T}"/> of bytes (a leader's own slices).</summary>
    public static byte[] Join(IReadOnlyList<object> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        long total = 0;
        foreach (var c in chunks) total += Bytes(c).Length;
        if (total > Array.MaxLength) throw new InvalidOperationException($"a snapshot of {total} bytes does not fit one array");
        var joined = new byte[total];
        int at = 0;
        foreach (var c in chunks)
        {
            var piece = Bytes(c).Span;
            piece.CopyTo(joined.AsSpan(at));
            at += piece.Length;
        }
        return joined;
    }

    private static ReadOnlyMemory<byte> Bytes(object chunk) => chunk switch
    {
        byte[] a => a,
        ReadOnlyMemory<byte> m => m,
        _ => throw new InvalidOperationException($"a snapshot chunk is bytes, not {chunk?.GetType().FullName ?? "null"}"),
    };
}
