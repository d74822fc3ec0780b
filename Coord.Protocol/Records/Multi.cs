namespace Coord.Protocol.Records;

/// <summary>One sub-operation of multi (14) or multiRead (22).</summary>
public sealed record MultiOp(OpCode Type, IPathRequest Request)
{
    /// <summary>
    /// The type ZooKeeper gives this op inside a multi: MultiOperationRecord rebuilds every create through
    /// Op.create, which picks the opcode from the flags, not from the header. A TTL mode is createTTL, CONTAINER
    /// is createContainer, anything else is create — so create2 answers with the path only, createContainer with
    /// flags 1 makes an ephemeral, and createTTL with a non-TTL mode drops its TTL. Null for a TTL mode sent as
    /// create, create2 or createContainer (no TTL to give it): ZooKeeper fails the whole multi with
    /// MARSHALLINGERROR then. Other ops keep their type.
    /// </summary>
    public OpCode? EffectiveType => Request switch
    {
        CreateTtlRequest t => ByFlags(t.Flags, ttlAllowed: true),
        CreateRequest c when Type is OpCode.Create or OpCode.Create2 or OpCode.CreateContainer => ByFlags(c.Flags, ttlAllowed: false),
        _ => Type,
    };

    private static OpCode? ByFlags(int flags, bool ttlAllowed) => flags switch
    {
        (int)CreateMode.PersistentWithTtl or (int)CreateMode.PersistentSequentialWithTtl => ttlAllowed ? OpCode.CreateTtl : null,
        (int)CreateMode.Container => OpCode.CreateContainer,
        _ => OpCode.Create, // invalid flags included: prep answers BADARGUMENTS for that op
    };

    public override string ToString() => $"{Type} {Request.Path}";
}

/// <summary>MultiOperationRecord: headers with done=false, each followed by its op, then the terminator.</summary>
public sealed record MultiRequest(IReadOnlyList<MultiOp> Ops) : IJuteRecord<MultiRequest>
{
    public static MultiRequest Read(ref JuteReader r)
    {
        var ops = new List<MultiOp>();
        while (true)
        {
            var h = MultiHeader.Read(ref r);
            if (h.Done) break;
            var type = (OpCode)h.Type;
            IPathRequest req = type switch
            {
                OpCode.Create or OpCode.Create2 or OpCode.CreateContainer => CreateRequest.Read(ref r),
                OpCode.CreateTtl => CreateTtlRequest.Read(ref r),
                // deleteContainer is not a multi op in ZooKeeper (MultiOperationRecord rejects it), and its
                // standalone body is { path } only, so reading it as a DeleteRequest would misframe the rest.
                OpCode.Delete => DeleteRequest.Read(ref r),
                OpCode.SetData => SetDataRequest.Read(ref r),
                OpCode.Check => CheckVersionRequest.Read(ref r),
                OpCode.GetData or OpCode.GetChildren => PathWatchRequest.Read(ref r),
                _ => throw new JuteException($"invalid op type {h.Type} in multi"),
            };
            ops.Add(new MultiOp(type, req));
            // Each op carries at least a header; bound the count by the frame, not by a separate constant.
            if (ops.Count > 1_000_000) throw new JuteException("too many ops in multi");
        }
        return new MultiRequest(ops);
    }

    public void Write(JuteWriter w)
    {
        foreach (var op in Ops)
        {
            new MultiHeader((int)op.Type, false, -1).Write(w);
            switch (op.Request)
            {
                case CreateRequest c: c.Write(w); break;
                case CreateTtlRequest c: c.Write(w); break;
                case DeleteRequest d: d.Write(w); break;
                case SetDataRequest s: s.Write(w); break;
                case CheckVersionRequest c: c.Write(w); break;
                case PathWatchRequest p: p.Write(w); break;
                default: throw new InvalidOperationException($"cannot encode {op.Request.GetType().Name} in multi");
            }
        }
        MultiHeader.Terminator.Write(w);
    }
}

/// <summary>
/// One result of multi/multiRead. <see cref="Type"/> is the op type on success or <see cref="OpCode.Error"/>
/// (-1) for an error entry, whose <see cref="Err"/> carries the code.
/// </summary>
public sealed record MultiResult(OpCode Type, ErrorCode Err, object? Body)
{
    public static MultiResult Error(ErrorCode err) => new(OpCode.Error, err, null);

    public override string ToString() => Type == OpCode.Error ? $"error {Err}" : $"{Type} {Body}";
}

public sealed record MultiResponse(IReadOnlyList<MultiResult> Results) : IJuteRecord<MultiResponse>
{
    public static MultiResponse Read(ref JuteReader r)
    {
        var results = new List<MultiResult>();
        while (true)
        {
            var h = MultiHeader.Read(ref r);
            if (h.Done) break;
            var type = (OpCode)h.Type;
            MultiResult res = type switch
            {
                OpCode.Create => new(type, ErrorCode.Ok, CreateResponse.Read(ref r)),
                OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => new(type, ErrorCode.Ok, Create2Response.Read(ref r)),
                OpCode.Delete or OpCode.Check => new(type, ErrorCode.Ok, null),
                OpCode.SetData => new(type, ErrorCode.Ok, StatResponse.Read(ref r)),
                OpCode.GetData => new(type, ErrorCode.Ok, GetDataResponse.Read(ref r)),
                OpCode.GetChildren => new(type, ErrorCode.Ok, GetChildrenResponse.Read(ref r)),
                OpCode.Error => MultiResult.Error(ErrorResponse.Read(ref r).Err),
                _ => throw new JuteException($"invalid result type {h.Type} in multi response"),
            };
            results.Add(res);
        }
        return new MultiResponse(results);
    }

    public void Write(JuteWriter w)
    {
        foreach (var res in Results)
        {
            // createContainer/createTTL results travel as create2 (the Java server's Create2Result).
            int type = res.Type is OpCode.CreateContainer or OpCode.CreateTtl ? (int)OpCode.Create2 : (int)res.Type;
            new MultiHeader(type, false, res.Type == OpCode.Error ? (int)res.Err : 0).Write(w);
            switch (res.Body)
            {
                case null when res.Type == OpCode.Error: new ErrorResponse(res.Err).Write(w); break;
                case null: break;
                case CreateResponse c: c.Write(w); break;
                case Create2Response c: c.Write(w); break;
                case StatResponse s: s.Write(w); break;
                case GetDataResponse g: g.Write(w); break;
                case GetChildrenResponse g: g.Write(w); break;
                default: throw new InvalidOperationException($"cannot encode {res.Body.GetType().Name} in multi response");
            }
        }
        MultiHeader.Terminator.Write(w);
    }
}
