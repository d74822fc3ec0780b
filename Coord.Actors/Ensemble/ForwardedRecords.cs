using System.Runtime.Serialization;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Ensemble;

/// <summary>
/// The record a client request carries, as it crosses to the leader inside forwarded writes: encoded with the
/// record's own jute <c>Write</c> and decoded by opcode through the table a client frame is read with
/// (<see cref="Coord.Protocol.Records.RequestRecords"/>). The record kind is implied by the opcode, so
/// a record of another kind is refused when it is encoded instead of being misread at the other end.
/// </summary>
public static class ForwardedRecords
{
    /// <summary>Appends <paramref name="record"/>'s jute encoding; <see cref="SerializationException"/> if it is not the record <paramref name="op"/> carries.</summary>
    public static void Write(JuteWriter w, OpCode op, object record)
    {
        var expected = RecordType(op)
            ?? throw new SerializationException($"a {op} request carries no record, but this one carries a {record.GetType().Name}");
        if (record.GetType() != expected)
            throw new SerializationException($"a {op} request carries a {expected.Name}, not a {record.GetType().Name}");
        switch (record)
        {
            case SetWatchesRequest s when s.IsVersion2 != (op == OpCode.SetWatches2):
                throw new SerializationException($"a {op} request cannot carry a setWatches{(s.IsVersion2 ? "2" : "")} record");
            case SetWatchesRequest s: s.Write(w); break;
            case IJuteWritable j: j.Write(w); break;
            default: throw new SerializationException($"{record.GetType().Name} has no jute encoding");
        }
    }

    /// <summary>Decodes the record of an <paramref name="op"/> request; the reader must be at its first byte.</summary>
    public static object Read(OpCode op, ref JuteReader r) =>
        Coord.Protocol.Records.RequestRecords.Read(op, ref r) ?? throw new JuteException($"a {op} request carries no record");

    /// <summary>The record type an opcode's request carries, or null for bodiless ones (ping, closeSession, whoAmI, ...).</summary>
    public static Type? RecordType(OpCode op) => op switch
    {
        OpCode.Create or OpCode.Create2 or OpCode.CreateContainer => typeof(CreateRequest),
        OpCode.CreateTtl => typeof(CreateTtlRequest),
        OpCode.Delete => typeof(DeleteRequest),
        OpCode.Exists or OpCode.GetData or OpCode.GetChildren or OpCode.GetChildren2 => typeof(PathWatchRequest),
        OpCode.SetData => typeof(SetDataRequest),
        OpCode.GetAcl or OpCode.Sync or OpCode.GetEphemerals or OpCode.GetAllChildrenNumber or OpCode.DeleteContainer
            => typeof(PathRequest),
        OpCode.SetAcl => typeof(SetAclRequest),
        OpCode.Check => typeof(CheckVersionRequest),
        OpCode.Multi or OpCode.MultiRead => typeof(MultiRequest),
        OpCode.CheckWatches or OpCode.RemoveWatches => typeof(WatchesRequest),
        OpCode.AddWatch => typeof(AddWatchRequest),
        OpCode.SetWatches or OpCode.SetWatches2 => typeof(SetWatchesRequest),
        OpCode.Auth => typeof(AuthPacket),
        OpCode.Reconfig => typeof(ReconfigRequest),
        OpCode.Sasl => typeof(SaslToken),
        _ => null,
    };
}
