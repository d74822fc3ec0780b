using Coord.Actors.Txns;

namespace Coord.Actors.Applier;

/// <summary>What to do about snapshots after applying txns.</summary>
public enum SnapshotDecision
{
    /// <summary>Not due yet.</summary>
    Wait,
    /// <summary>Due and none in flight: capture and write one.</summary>
    Take,
    /// <summary>Due while the previous one is still being written: skip it and count again.</summary>
    Skip,
}

/// <summary>When the sequencer takes a snapshot: pure arithmetic over what was applied since the last one.</summary>
public static class SnapshotPolicy
{
    /// <param name="nodes">Znodes in the tree now.</param>
    /// <param name="minTxnsPerNode">
    /// A snapshot also waits for at least this many txns per znode since the previous one (0: no floor), counting
    /// the smaller of the tree now and the tree the previous snapshot wrote. Writing a snapshot costs time in
    /// proportion to the tree, so without the floor a big tree under a fast write load is snapshotted back to back
    /// and every write pays for it (measured: 700,000 znodes at 160,000 sets/s kept a core busy writing snapshots
    /// and lifted p99.9 from 14 to 73 ms). Counting the previous tree rather than the current one matters for a
    /// growing tree: under creates only, the tree grows exactly as fast as the txn count, so a floor of the
    /// current tree is never reached and the journal grew without bound (measured: 1,000,000 creates left one
    /// snapshot at 100,000 and 900,000 txns to replay, 6.2 s to restart). With the previous tree, a growing tree
    /// is snapshotted at sizes that double; either way the snapshot's cost is at most about twice the txns since
    /// the previous one, and start-up replays at most about one tree's worth of txns.
    /// </param>
    /// <param name="nodesAtPrevious">Znodes the previous snapshot wrote (or the tree at start-up); null: as <paramref name="nodes"/>.</param>
    public static SnapshotDecision Decide(long txnsSince, long bytesSince, int everyTxns, long everyBytes, bool inFlight,
        long nodes = 0, int minTxnsPerNode = 0, long? nodesAtPrevious = null) =>
        !Due(txnsSince, bytesSince, everyTxns, everyBytes) || txnsSince < Math.Min(nodes, nodesAtPrevious ?? nodes) * minTxnsPerNode
            ? SnapshotDecision.Wait
        : inFlight ? SnapshotDecision.Skip
        : SnapshotDecision.Take;

    /// <summary>Fixed cost counted per txn (header, type, framing) besides its paths and data.</summary>
    public const int TxnOverheadBytes = 32;

    public static bool Due(long txnsSince, long bytesSince, int everyTxns, long everyBytes) =>
        txnsSince >= everyTxns || bytesSince >= everyBytes;

    /// <summary>Roughly what a txn adds to the journal: its paths and data plus a fixed overhead.</summary>
    public static long ApproximateBytes(Txn txn) => TxnOverheadBytes + txn switch
    {
        CreateTxn c => c.Path.Length + (c.Data?.Length ?? 0),
        SetDataTxn s => s.Path.Length + (s.Data?.Length ?? 0),
        SetAclTxn a => a.Path.Length + a.Acl.Count * 32,
        DeleteTxn d => d.Path.Length,
        CheckVersionTxn c => c.Path.Length,
        CloseSessionTxn c => c.PathsToDelete.Sum(p => (long)p.Length),
        MultiTxn m => m.Txns.Sum(ApproximateBytes),
        _ => 0,
    };
}
