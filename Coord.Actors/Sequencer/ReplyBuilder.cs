using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Client.Protocol;
using Coord.Client.Protocol.Records;

namespace Coord.Actors.Sequencer;

/// <summary>Turns an applied txn's results into the reply the request's opcode calls for. Pure.</summary>
public static class ReplyBuilder
{
    public static (ErrorCode Err, IJuteWritable? Body) ForWrite(OpCode op, object? request, Txn txn, ApplyResult result)
    {
        if (txn is ErrorTxn error) return (error.Err, null);
        if (op == OpCode.Multi) return (ErrorCode.Ok, ForMulti((MultiRequest)request!, result));
        var r = result.Results[0];
        if (r.Err != ErrorCode.Ok) return (r.Err, null);
        return op switch
        {
            OpCode.Create => (ErrorCode.Ok, new CreateResponse(r.Path!)),
            OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => (ErrorCode.Ok, new Create2Response(r.Path!, r.Stat)),
            OpCode.SetData or OpCode.SetAcl => (ErrorCode.Ok, new StatResponse(r.Stat)),
            _ => (ErrorCode.Ok, null),
        };
    }

    private static MultiResponse ForMulti(MultiRequest request, ApplyResult result)
    {
        var results = new List<MultiResult>(result.Results.Count);
        bool failed = result.Results.Any(r => r.Err != ErrorCode.Ok);
        for (int i = 0; i < result.Results.Count; i++)
        {
            var r = result.Results[i];
            if (failed) { results.Add(MultiResult.Error(r.Err)); continue; }
            var op = i < request.Ops.Count ? request.Ops[i].Type : r.Type;
            results.Add(op switch
            {
                OpCode.Create => new MultiResult(op, ErrorCode.Ok, new CreateResponse(r.Path!)),
                OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => new MultiResult(op, ErrorCode.Ok, new Create2Response(r.Path!, r.Stat)),
                OpCode.SetData => new MultiResult(op, ErrorCode.Ok, new StatResponse(r.Stat)),
                _ => new MultiResult(op, ErrorCode.Ok, null),
            });
        }
        return new MultiResponse(results);
    }
}
