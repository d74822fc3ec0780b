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
        object? record = RequestRecords.Read(op, ref r);
        bool known = op is OpCode.Ping or OpCode.CloseSession or OpCode.WhoAmI || record is not null;
        return new DecodedRequest(header.Xid, op, record, known);
    }
}
