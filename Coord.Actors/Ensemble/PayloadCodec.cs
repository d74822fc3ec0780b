using System.Runtime.Serialization;
using Coord.Actors.Sequencer;
using Coord.Actors.Sessions;
using Coord.Protocol;

namespace Coord.Actors.Ensemble;

/// <summary>
/// What <see cref="Replication.Forwarded"/> and <see cref="Replication.ToMember"/> carry: a tag byte, then the
/// payload. Only the types below cross between members; anything else is a <see cref="SerializationException"/>
/// naming its type when it is sent, never a silent fallback to JSON. Tags are frozen: add new ones, never renumber.
/// <list type="table">
/// <item><term>1 ForwardedWrites</term><description><c>int count</c>, per request <c>long sessionId, long connectionId,
/// int xid, int op, int recordLength</c> (-1: no record) <c>+ the record's jute bytes, int authCount, (ustring scheme,
/// ustring id)*</c></description></item>
/// <item><term>2 CreateSessionRequest</term><description><c>long sessionId, int timeoutMs, buffer password</c></description></item>
/// <item><term>3 SessionsTouched</term><description><c>int count, long*</c></description></item>
/// <item><term>4</term><description>retired (SessionReattached: a touch that was never answered; reconnects are revalidated now)</description></item>
/// <item><term>5 byte[]</term><description><c>buffer</c> (-1: null is refused)</description></item>
/// <item><term>6 SessionRevalidation</term><description><c>long sessionId, int timeoutMs, long connectionId</c> (the origin is the link it came on)</description></item>
/// <item><term>7 SessionRevalidated</term><description><c>long sessionId, long connectionId, bool valid</c> (it goes back to the member that asked)</description></item>
/// </list>
/// </summary>
public static class PayloadCodec
{
    private const byte ForwardedWritesTag = 1;
    private const byte CreateSessionTag = 2;
    private const byte SessionsTouchedTag = 3;
    private const byte BytesTag = 5;
    private const byte SessionRevalidationTag = 6;
    private const byte SessionRevalidatedTag = 7;

    /// <summary>The fixed part of one forwarded request: the smallest it can be (bounds the count read back).</summary>
    private const int RequestBytesMin = 8 + 8 + 4 + 4 + 4 + 4;

    public static void Write(JuteWriter w, object? payload)
    {
        switch (payload)
        {
            case ForwardedWrites f:
                w.WriteByte(ForwardedWritesTag);
                w.WriteInt(f.Requests.Count);
                foreach (var r in f.Requests) WriteRequest(w, r);
                break;
            case CreateSessionRequest c:
                w.WriteByte(CreateSessionTag);
                w.WriteLong(c.SessionId); w.WriteInt(c.TimeoutMs);
                w.WriteBuffer(c.Password ?? throw new SerializationException($"session 0x{c.SessionId:x} has no password"));
                break;
            case SessionsTouched t:
                w.WriteByte(SessionsTouchedTag);
                w.WriteInt(t.SessionIds.Length);
                foreach (long id in t.SessionIds) w.WriteLong(id);
                break;
            case SessionRevalidation s:
                w.WriteByte(SessionRevalidationTag);
                w.WriteLong(s.SessionId); w.WriteInt(s.TimeoutMs); w.WriteLong(s.ConnectionId);
                break;
            case SessionRevalidated v:
                w.WriteByte(SessionRevalidatedTag);
                w.WriteLong(v.SessionId); w.WriteLong(v.ConnectionId); w.WriteBool(v.Valid);
                break;
            case byte[] bytes:
                w.WriteByte(BytesTag);
                w.WriteBuffer(bytes);
                break;
            case null:
                throw new SerializationException("a peer message carries a null payload");
            default:
                throw new SerializationException(
                    $"no peer encoding for payload type {payload.GetType().FullName}: add a tag to {nameof(PayloadCodec)}");
        }
    }

    /// <summary>Decodes one payload that must fill <paramref name="bytes"/> exactly.</summary>
    public static object Read(ReadOnlySpan<byte> bytes)
    {
        var r = new JuteReader(bytes);
        byte tag = r.ReadByte();
        object payload;
        switch (tag)
        {
            case ForwardedWritesTag:
                int n = r.ReadVectorCount(RequestBytesMin);
                if (n < 0) throw new JuteException("null list of forwarded writes");
                var requests = new ClientRequest[n];
                for (int i = 0; i < n; i++) requests[i] = ReadRequest(ref r);
                payload = new ForwardedWrites(requests);
                break;
            case CreateSessionTag:
                payload = new CreateSessionRequest(r.ReadLong(), r.ReadInt(), r.ReadBuffer() ?? throw new JuteException("null session password"));
                break;
            case SessionsTouchedTag:
                int count = r.ReadVectorCount(8);
                if (count < 0) throw new JuteException("null list of touched sessions");
                var ids = new long[count];
                for (int i = 0; i < count; i++) ids[i] = r.ReadLong();
                payload = new SessionsTouched(ids);
                break;
            case SessionRevalidationTag:
                payload = new SessionRevalidation(r.ReadLong(), r.ReadInt(), r.ReadLong());
                break;
            case SessionRevalidatedTag:
                payload = new SessionRevalidated(r.ReadLong(), r.ReadLong(), r.ReadBool());
                break;
            case BytesTag:
                payload = r.ReadBuffer() ?? throw new JuteException("null byte[] payload");
                break;
            default:
                throw new JuteException($"unknown payload tag {tag}");
        }
        if (!r.AtEnd) throw new JuteException($"{r.Remaining} trailing bytes after a {payload.GetType().Name} payload");
        return payload;
    }

    private static void WriteRequest(JuteWriter w, ClientRequest r)
    {
        w.WriteLong(r.SessionId); w.WriteLong(r.ConnectionId); w.WriteInt(r.Xid); w.WriteInt((int)r.Op);
        if (r.Record is null) w.WriteInt(-1);
        else
        {
            int frame = w.BeginFrame();
            ForwardedRecords.Write(w, r.Op, r.Record);
            w.EndFrame(frame);
        }
        w.WriteInt(r.AuthIds.Count);
        foreach (var id in r.AuthIds) id.Write(w);
    }

    private static ClientRequest ReadRequest(ref JuteReader r)
    {
        long sessionId = r.ReadLong(), connectionId = r.ReadLong();
        int xid = r.ReadInt();
        var op = (OpCode)r.ReadInt();
        if (!Enum.IsDefined(op)) throw new JuteException($"unknown opcode {(int)op} in a forwarded request");
        int length = r.ReadInt();
        object? record = null;
        if (length != -1)
        {
            if (length < 0 || length > r.Remaining)
                throw new JuteException($"{op} record length {length} does not fit the {r.Remaining} bytes left");
            int start = r.Position;
            record = ForwardedRecords.Read(op, ref r);
            if (r.Position - start != length)
                throw new JuteException($"{op} record is {r.Position - start} bytes, its length says {length}");
        }
        var authIds = r.ReadVector<Id>(8) ?? throw new JuteException("null auth ids in a forwarded request");
        return new ClientRequest(sessionId, connectionId, xid, op, record, authIds);
    }
}
