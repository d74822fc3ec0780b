using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Specs.Journal;

/// <summary>Txns for journal specs: every type, and helpers to compare what comes back byte for byte.</summary>
internal static class JournalTxns
{
    public const long Epoch1 = 1L << 32;

    public static SequencedTxn At(long zxid, Txn? body = null) =>
        new(new TxnHeader(0x42, (int)(zxid & 0xFFFF), zxid, 1_700_000_000_000 + zxid), body ?? new SetDataTxn("/a", [(byte)zxid], (int)(zxid & 0xFFFF)));

    public static SequencedTxn[] Range(long firstZxid, int count) =>
        Enumerable.Range(0, count).Select(i => At(firstZxid + i)).ToArray();

    /// <summary>One body of every txn type, including the corners (null data, failed multi, TTL, container).</summary>
    public static Txn[] EveryType() =>
    [
        new CreateTxn("/a", "hi"u8.ToArray(), Acl.OpenAclUnsafe, 0, 1),
        new CreateTxn("/e", null, Acl.OpenAclUnsafe, 0x42, 2),
        new CreateTxn("/c", [], Acl.OpenAclUnsafe, EphemeralOwners.Container, 3),
        new CreateTxn("/t", [1, 2], Acl.OpenAclUnsafe, EphemeralOwners.ForTtl(1000), 4),
        new DeleteTxn("/a"),
        new SetDataTxn("/a", null, 1),
        new SetAclTxn("/a", Acl.ReadAclUnsafe, 2),
        new CheckVersionTxn("/a", 3),
        new ErrorTxn(ErrorCode.NodeExists),
        new MultiTxn([new CreateTxn("/m", [9], Acl.OpenAclUnsafe, 0, 5), new SetDataTxn("/m", [8], 1), new DeleteTxn("/m")]),
        new MultiTxn([new ErrorTxn(ErrorCode.Ok), new ErrorTxn(ErrorCode.NoNode), new ErrorTxn(ErrorCode.RuntimeInconsistency)]),
        new CreateSessionTxn(0x43, 30_000, Enumerable.Range(0, 16).Select(i => (byte)i).ToArray()),
        new CloseSessionTxn(0x43, ["/e", "/f"]),
    ];

    public static string Hex(SequencedTxn txn) => Convert.ToHexString(TxnCodec.ToBytes(txn));

    public static void AssertSame(IEnumerable<SequencedTxn> expected, IEnumerable<SequencedTxn> actual) =>
        Assert.Equal(expected.Select(Hex).ToList(), actual.Select(Hex).ToList());

    public static long[] Zxids(IEnumerable<SequencedTxn> txns) => txns.Select(t => t.Header.Zxid).ToArray();
}
