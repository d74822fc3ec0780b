using Coord.Chaos.History;
using Coord.Protocol;

namespace Coord.Chaos.Specs;

/// <summary>
/// Hand-built histories that read like a timeline: every op gives its session and its [invoke, complete] window on one
/// clock; <c>null</c> for complete means the outcome is unknown. Ids count up from 1 in the order ops are added.
/// </summary>
internal sealed class HistoryBuilder
{
    private readonly List<InitNode> init = [];
    private readonly List<HistoryOp> ops = [];
    private readonly List<WatchEvent> events = [];
    private readonly List<RoleRecord> roles = [];

    public HistoryBuilder Node(string path, string data = "", int version = 0, int childCreates = 0, params string[] children)
    {
        init.Add(new InitNode { Path = path, Data = data, Version = version, ChildCreates = childCreates, Children = children });
        return this;
    }

    public OpHistory Build() => new([.. init], [.. ops], [.. events]) { Roles = [.. roles] };

    public HistoryBuilder Counter(string path)
    {
        roles.Add(new RoleRecord { Role = Role.Counter, Path = path });
        return this;
    }

    public HistoryBuilder Lock(string path, string resource)
    {
        roles.Add(new RoleRecord { Role = Role.Lock, Path = path, Resource = resource });
        return this;
    }

    public HistoryBuilder Final(long session)
    {
        roles.Add(new RoleRecord { Role = Role.Final, Session = session });
        return this;
    }

    /// <summary>The client saw its session expire at <paramref name="seen"/>; it was last known alive at <paramref name="alive"/>.</summary>
    public HistoryOp Expire(long s, long alive, long seen) =>
        Add(Base(s, alive, seen, OpKind.CloseSession, null) with { Outcome = Outcome.Unknown, Expired = true });

    /// <summary>getData with a watch whose reply the client stopped waiting for at <paramref name="gaveUpAt"/> (outcome unknown).</summary>
    public HistoryOp GetGivenUp(long s, long invoke, long gaveUpAt, string path) =>
        Add(Base(s, invoke, gaveUpAt, OpKind.GetData, path) with { Watch = true, Outcome = Outcome.Unknown });

    public HistoryOp Add(HistoryOp op)
    {
        op = op with { Id = ops.Count + 1 };
        ops.Add(op);
        return op;
    }

    private static HistoryOp Base(long s, long invoke, long? complete, OpKind kind, string? path) => new()
    {
        Id = 0, Session = s, Invoke = invoke, Complete = complete, Kind = kind, Path = path,
        Outcome = complete is null ? Outcome.Unknown : Outcome.Ok,
    };

    /// <summary>setData; on ok, <paramref name="newVersion"/> is the version the reply carried.</summary>
    public HistoryOp Set(long s, long invoke, long? complete, string path, string data, int expected = -1, int? newVersion = null,
        ErrorCode? error = null, long? mzxid = null) =>
        Add(Fail(Base(s, invoke, complete, OpKind.SetData, path) with
        {
            Data = data, Version = expected,
            Result = newVersion is null && mzxid is null ? null : new OpReturn { Stat = new StatView { Version = newVersion, Mzxid = mzxid } },
        }, error));

    /// <summary>getData that saw <paramref name="data"/> at <paramref name="version"/>, or NONODE when data is null.</summary>
    public HistoryOp Get(long s, long invoke, long? complete, string path, string? data, int? version = null, bool watch = false,
        long? czxid = null, long? mzxid = null) =>
        Add(data is null
            ? Fail(Base(s, invoke, complete, OpKind.GetData, path) with { Watch = watch }, ErrorCode.NoNode)
            : Base(s, invoke, complete, OpKind.GetData, path) with
            {
                Watch = watch,
                Result = new OpReturn { Data = data, Stat = new StatView { Version = version, Czxid = czxid, Mzxid = mzxid } },
            });

    public HistoryOp Exists(long s, long invoke, long? complete, string path, bool exists, int? version = null, bool watch = false) =>
        Add(Base(s, invoke, complete, OpKind.Exists, path) with
        {
            Watch = watch,
            Result = new OpReturn { Stat = exists ? new StatView { Version = version } : null },
        });

    public HistoryOp Children(long s, long invoke, long? complete, string path, bool watch = false, params string[] names) =>
        Add(Base(s, invoke, complete, OpKind.GetChildren, path) with { Watch = watch, Result = new OpReturn { Children = names } });

    public HistoryOp Create(long s, long invoke, long? complete, string path, string data = "", bool sequential = false,
        bool ephemeral = false, string? created = null, ErrorCode? error = null) =>
        Add(Fail(Base(s, invoke, complete, OpKind.Create, path) with
        {
            Data = data, Sequential = sequential, Ephemeral = ephemeral,
            Result = created is null ? null : new OpReturn { Path = created },
        }, error));

    public HistoryOp Delete(long s, long invoke, long? complete, string path, int expected = -1, ErrorCode? error = null) =>
        Add(Fail(Base(s, invoke, complete, OpKind.Delete, path) with { Version = expected }, error));

    public HistoryOp Sync(long s, long invoke, long? complete, string path = "/") => Add(Base(s, invoke, complete, OpKind.Sync, path));

    public HistoryOp Close(long s, long invoke, long? complete) => Add(Base(s, invoke, complete, OpKind.CloseSession, null));

    public HistoryOp Multi(long s, long invoke, long? complete, IReadOnlyList<SubOp> subOps, IReadOnlyList<OpReturn>? results = null,
        ErrorCode? error = null, int? failedIndex = null) =>
        Add(Fail(Base(s, invoke, complete, OpKind.Multi, null) with { Ops = subOps, Result = results is null ? null : new OpReturn { Results = results } },
            error) with { FailedIndex = failedIndex });

    public void Event(long s, long at, string path, EventType type, long? zxid = null) =>
        events.Add(new WatchEvent { Session = s, At = at, Path = path, Event = type, Zxid = zxid });

    private static HistoryOp Fail(HistoryOp op, ErrorCode? error) =>
        error is null || op.Outcome == Outcome.Unknown ? op : op with { Outcome = Outcome.Error, Error = error, Result = null };
}
