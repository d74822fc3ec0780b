using System.Runtime.CompilerServices;
using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Ensemble;

/// <summary>
/// A proposal's txns on the wire: <c>int count</c>, then per txn <c>int length</c> and its bytes in the journal's
/// encoding (<see cref="TxnCodec"/>), so a follower journals exactly what the leader journaled.
/// <para>
/// Encoded once per batch: the leader sends one broadcast batch (the same list) to every follower, and Akka.Remote
/// serializes it once per association, so the encoded block is kept beside the list (weakly: it lives as long as the
/// list does) and copied into each follower's message. A list must not change after it is sent, like any Akka
/// message; the count and first and last zxid are checked before the block is reused, as a guard.
/// </para>
/// </summary>
public static class TxnBatchCodec
{
    /// <summary>Header plus the shortest body (an ErrorTxn's code) and the length prefix: bounds the count read back.</summary>
    public const int TxnBytesMin = 4 + TxnCodec.HeaderBytes + 4;

    private sealed record Encoded(int Count, long FirstZxid, long LastZxid, byte[] Bytes);

    private static readonly ConditionalWeakTable<IReadOnlyList<SequencedTxn>, Encoded> Cache = new();

    public static void Write(JuteWriter w, IReadOnlyList<SequencedTxn> txns)
    {
        if (txns.Count == 0) { w.WriteInt(0); return; }
        if (!Cache.TryGetValue(txns, out var block) || !Matches(block, txns))
        {
            block = Encode(txns);
            Cache.AddOrUpdate(txns, block);
        }
        w.WriteRaw(block.Bytes);
    }

    /// <summary>The batch's bytes, encoded afresh (no cache): what <see cref="Write"/> appends.</summary>
    public static byte[] ToBytes(IReadOnlyList<SequencedTxn> txns) => Encode(txns).Bytes;

    private static bool Matches(Encoded e, IReadOnlyList<SequencedTxn> txns) =>
        e.Count == txns.Count && e.FirstZxid == txns[0].Header.Zxid && e.LastZxid == txns[^1].Header.Zxid;

    private static Encoded Encode(IReadOnlyList<SequencedTxn> txns)
    {
        // One writer per thread, grown once to the batches seen: a fresh one grew (and copied) a few times per batch.
        var w = t_writer ?? new JuteWriter(64 * 1024);
        t_writer = null;
        try
        {
            w.Reset();
            w.WriteInt(txns.Count);
            foreach (var t in txns)
            {
                int frame = w.BeginFrame();
                TxnCodec.Write(w, t);
                w.EndFrame(frame);
            }
            return new Encoded(txns.Count, txns.Count > 0 ? txns[0].Header.Zxid : 0, txns.Count > 0 ? txns[^1].Header.Zxid : 0, w.ToArray());
        }
        finally
        {
            if (w.Length <= ReusedWriterBytesMax) t_writer = w;
        }
    }

    /// <summary>A writer kept per thread is dropped after a batch bigger than this, so one big batch does not pin its buffer.</summary>
    private const int ReusedWriterBytesMax = 1 << 20;

    [ThreadStatic] private static JuteWriter? t_writer;

    internal static SequencedTxn[] Read(ref PeerReader r)
    {
        int n = r.ReadCount("txn", TxnBytesMin);
        var txns = new SequencedTxn[n];
        for (int i = 0; i < n; i++)
        {
            int length = r.ReadLength("txn");
            txns[i] = TxnCodec.Read(r.Take(length));
        }
        return txns;
    }
}
