using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Tree;

/// <summary>
/// Builds the reply body for an applied write from the request opcode the session holds and the op's
/// <see cref="OpResult"/>: create(1) answers with the path only (kazoo parses nothing else), create2,
/// createContainer and createTTL with path + stat.
/// </summary>
public static class TreeResponses
{
    /// <summary>Body for a successful single op (null for delete/deleteContainer); for a failed op reply with the header err and no body.</summary>
    public static object? ForOp(OpCode requestOp, OpResult result) => requestOp switch
    {
        OpCode.Create => new CreateResponse(result.Path!),
        OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => new Create2Response(result.Path!, result.Stat),
        OpCode.SetData or OpCode.SetAcl => new StatResponse(result.Stat),
        _ => null,
    };

    /// <summary>The MultiResponse for a multi request and its per-op results (also for a failed multi).</summary>
    public static MultiResponse ForMulti(MultiRequest request, IReadOnlyList<OpResult> results)
    {
        if (request.Ops.Count != results.Count)
            throw new ArgumentException($"{request.Ops.Count} ops but {results.Count} results", nameof(results));
        var list = new List<MultiResult>(results.Count);
        for (int i = 0; i < results.Count; i++)
        {
            var r = results[i];
            var op = request.Ops[i].EffectiveType ?? request.Ops[i].Type;
            list.Add(r.Type == OpCode.Error ? MultiResult.Error(r.Err) : new MultiResult(op, ErrorCode.Ok, ForOp(op, r)));
        }
        return new MultiResponse(list);
    }
}
