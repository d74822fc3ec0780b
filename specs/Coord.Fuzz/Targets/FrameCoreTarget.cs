using Coord.Actors.Prep;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Host.Connections;
using Coord.Protocol;

namespace Coord.Fuzz;

/// <summary>
/// The client frame target carried one step further, into the pure core a decoded request meets next: every request
/// that <see cref="FrameTarget"/> decodes goes, in order, to prep and apply (writes: <see cref="Preparer.Prepare"/>
/// then <see cref="DataTree.Apply"/>) or to <see cref="TreeReads.Execute"/> (reads), on a fresh tree with one session.
/// Same input files as <c>frame</c> (the corpus is shared). Property on top of the frame target's: the core turns
/// every decodable request into a txn or an error txn and a reply value, never an exception (Apply throws on a broken
/// invariant, so a txn prep should have refused shows up here too).
/// </summary>
public static class FrameCoreTarget
{
    private const long SessionId = 0x1234;

    public static FrameOutcome Run(ReadOnlySpan<byte> connection)
    {
        var tree = new DataTree();
        var prep = new Preparer(tree, new PrepSettings(ExtendedTypesEnabled: true));
        long zxid = 0, now = 1_000;
        tree.Apply(new SequencedTxn(new TxnHeader(SessionId, 0, ++zxid, now), new CreateSessionTxn(SessionId, 30_000, new byte[16])));
        var session = new SessionContext(SessionId, [new Id("ip", "127.0.0.1"), new Id("digest", "u1:fpT/y03U+EjItKZOSLGvjnJlyng=")]);
        return FrameTarget.Run(connection, request =>
        {
            if (request.Record is null) return;
            try
            {
                if (IsWrite(request.Op))
                {
                    var txn = prep.Prepare(request.Op, request.Record, session, ++zxid, ++now);
                    tree.Apply(new SequencedTxn(new TxnHeader(SessionId, request.Xid, zxid, now), txn));
                    prep.Applied(zxid);
                }
                else if (IsRead(request.Op))
                {
                    TreeReads.Execute(tree, request.Op, request.Record, SessionId, session.AuthIds);
                }
            }
            catch (Exception e)
            {
                throw new FuzzFinding($"the core threw on a decoded {request.Op} request: {e.GetType().Name}: {e.Message}", e);
            }
        });
    }

    private static bool IsWrite(OpCode op) => op is OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl
        or OpCode.Delete or OpCode.DeleteContainer or OpCode.SetData or OpCode.SetAcl or OpCode.Multi;

    private static bool IsRead(OpCode op) => op is OpCode.Exists or OpCode.GetData or OpCode.GetChildren or OpCode.GetChildren2
        or OpCode.GetAcl or OpCode.GetAllChildrenNumber or OpCode.GetEphemerals or OpCode.MultiRead;
}
