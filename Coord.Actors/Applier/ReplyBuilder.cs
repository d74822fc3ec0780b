using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Applier;

/// <summary>
/// The reply to an applied write: a whole-request error (an <see cref="ErrorTxn"/>) goes in the header with no
/// body; otherwise the body the request's opcode calls for (<see cref="TreeResponses"/>). Pure.
/// </summary>
public static class ReplyBuilder
{
    public static (ErrorCode Err, IJuteWritable? Body) ForWrite(OpCode op, object? request, Txn txn, ApplyResult result)
    {
        if (op == OpCode.Sync)
            return txn is ErrorTxn { Err: not ErrorCode.Ok } failed ? (failed.Err, null) : (ErrorCode.Ok, new PathResponse(((PathRequest)request!).Path));
        if (txn is ErrorTxn error) return (error.Err, null);
        if (op == OpCode.Multi) return (ErrorCode.Ok, TreeResponses.ForMulti((MultiRequest)request!, result.Results));
        var r = result.Results[0];
        return r.Err != ErrorCode.Ok ? (r.Err, null) : (ErrorCode.Ok, (IJuteWritable?)TreeResponses.ForOp(op, r));
    }
}
