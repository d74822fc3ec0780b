namespace Coord.Protocol.Records;

/// <summary>Which record a request of each opcode carries after its header: one table for everyone who decodes requests.</summary>
public static class RequestRecords
{
    /// <summary>
    /// Decodes the record of an <paramref name="op"/> request (the reader at its first byte); null for an opcode whose
    /// request carries none (ping, closeSession, whoAmI) or that is unknown.
    /// </summary>
    public static object? Read(OpCode op, ref JuteReader r) => op switch
    {
        OpCode.Create or OpCode.Create2 or OpCode.CreateContainer => CreateRequest.Read(ref r),
        OpCode.CreateTtl => CreateTtlRequest.Read(ref r),
        OpCode.Delete => DeleteRequest.Read(ref r),
        OpCode.Exists or OpCode.GetData or OpCode.GetChildren or OpCode.GetChildren2 => PathWatchRequest.Read(ref r),
        OpCode.SetData => SetDataRequest.Read(ref r),
        OpCode.GetAcl or OpCode.Sync or OpCode.GetEphemerals or OpCode.GetAllChildrenNumber or OpCode.DeleteContainer
            => PathRequest.Read(ref r),
        OpCode.SetAcl => SetAclRequest.Read(ref r),
        OpCode.Check => CheckVersionRequest.Read(ref r),
        OpCode.Multi or OpCode.MultiRead => MultiRequest.Read(ref r),
        OpCode.CheckWatches or OpCode.RemoveWatches => WatchesRequest.Read(ref r),
        OpCode.AddWatch => AddWatchRequest.Read(ref r),
        OpCode.SetWatches => SetWatchesRequest.Read(ref r, version2: false),
        OpCode.SetWatches2 => SetWatchesRequest.Read(ref r, version2: true),
        OpCode.Auth => AuthPacket.Read(ref r),
        OpCode.Reconfig => ReconfigRequest.Read(ref r),
        OpCode.Sasl => SaslToken.Read(ref r),
        _ => null,
    };
}
