using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Host.Connections;

/// <summary>A request frame decoded: header plus the record its opcode calls for (null for bodiless ops).</summary>
public readonly record struct DecodedRequest(int Xid, OpCode Op, object? Record, bool KnownOp);

/// <summary>
/// Decodes one request frame's payload (the bytes after the length prefix). Pure and socket-free, so specs
/// and the fuzzer drive it directly. Malformed input throws <see cref="JuteException"/>; it never reads or
/// allocates past the payload it is given.
/// </summary>
public static class RequestDecoder
{
    public static ConnectRequest DecodeConnect(ReadOnlySpan<byte> payload)
    {
        var r = new JuteReader(payload);
        return ConnectRequest.Read(ref r);
    }

    public static DecodedRequest Decode(ReadOnlySpan<byte> payload)
    {
        var r = new JuteReader(payload);
        var header = RequestHeader.Read(ref r);
        var op = header.Type;
        object? record = op switch
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
        bool known = op is OpCode.Ping or OpCode.CloseSession or OpCode.WhoAmI || record is not null;
        return new DecodedRequest(header.Xid, op, record, known);
    }
}
