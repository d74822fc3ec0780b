using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Prep;

public sealed partial class Preparer
{
    /// <summary>
    /// All ops under one zxid, each seeing the staged effects of the ones before. Only writes and check may
    /// appear (anything else fails the whole request with MARSHALLINGERROR, as ZooKeeper's decoder does, and so
    /// does a TTL mode on a create that carries no TTL).
    /// On the first failing op the result is a MultiTxn of ErrorTxns: Ok before, the real code, then
    /// RUNTIMEINCONSISTENCY; the staged changes are discarded by the caller.
    /// </summary>
    private Txn PrepareMulti(MultiRequest m, SessionContext s, long zxid)
    {
        foreach (var op in m.Ops)
            if (op.Type is not (OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl
                or OpCode.Delete or OpCode.SetData or OpCode.Check))
                return Fail(ErrorCode.MarshallingError);

        var txns = new List<Txn>(m.Ops.Count);
        for (int i = 0; i < m.Ops.Count; i++)
        {
            // Creates are typed by their flags, as ZooKeeper's decoder does (MultiOp.EffectiveType). A TTL mode
            // without a TTL fails the whole multi, but only once prep reaches it (ZooKeeper: a ClassCastException
            // in pRequest2TxnCreate), not after an earlier op failed.
            if (m.Ops[i].EffectiveType is not { } type) return Fail(ErrorCode.MarshallingError);
            var request = m.Ops[i].Request is CreateTtlRequest t && type != OpCode.CreateTtl
                ? new CreateRequest(t.Path, t.Data, t.Acl, t.Flags)
                : (object)m.Ops[i].Request;
            var txn = PrepareOp(type, request, s, zxid, inMulti: true);
            if (txn is ErrorTxn failed)
            {
                var errors = new List<Txn>(m.Ops.Count);
                for (int j = 0; j < m.Ops.Count; j++)
                    errors.Add(new ErrorTxn(j < i ? ErrorCode.Ok : j == i ? failed.Err : ErrorCode.RuntimeInconsistency));
                return new MultiTxn(errors);
            }
            txns.Add(txn);
        }
        return new MultiTxn(txns);
    }
}
