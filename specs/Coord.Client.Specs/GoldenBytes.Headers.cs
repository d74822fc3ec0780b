using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Client.Specs;

/// <summary>Headers, the handshake records, notifications, auth packets and whole frames (§3, §4, §5, §7.4, §13).</summary>
public sealed class GoldenBytesHeaders
{
    private static readonly byte[] ZeroPasswd = new byte[16];
    private static readonly byte[] Passwd = Wire.Hex("0102030405060708090A0B0C0D0E0F10");

    [Fact] public void request_header() => Wire.Golden(new RequestHeader(1, OpCode.GetData), "00000001 | 00000004");
    [Fact] public void ping_request_header() => Wire.Golden(new RequestHeader(Xids.Ping, OpCode.Ping), "FFFFFFFE | 0000000B");
    [Fact] public void close_request_header() => Wire.Golden(new RequestHeader(7, OpCode.CloseSession), "00000007 | FFFFFFF5");
    [Fact] public void auth_request_header() => Wire.Golden(new RequestHeader(Xids.Auth, OpCode.Auth), "FFFFFFFC | 00000064");
    [Fact] public void set_watches2_request_header() => Wire.Golden(new RequestHeader(Xids.SetWatches, OpCode.SetWatches2), "FFFFFFF8 | 00000069");

    [Fact]
    public void reply_header_carries_zxid_and_error() =>
        Wire.Golden(new ReplyHeader(1, 0x0000000500000010, ErrorCode.NoNode), "00000001 | 0000000500000010 | FFFFFF9B");

    [Fact]
    public void notification_reply_header() =>
        Wire.Golden(new ReplyHeader(Xids.Notification, -1, ErrorCode.Ok), "FFFFFFFF | FFFFFFFFFFFFFFFF | 00000000");

    [Fact]
    public void header_sizes()
    {
        Assert.Equal(RequestHeader.WireBytes, Wire.Bytes(new RequestHeader(1, OpCode.Create)).Length);
        Assert.Equal(ReplyHeader.WireBytes, Wire.Bytes(new ReplyHeader(1, 1, ErrorCode.Ok)).Length);
    }

    [Fact]
    public void connect_request_with_read_only_byte() =>
        Wire.Golden(new ConnectRequest(0, 0x0000000200000007, 30000, 0x0100000000000001, Passwd, ReadOnly: true),
            "00000000 | 0000000200000007 | 00007530 | 0100000000000001 | 00000010 0102030405060708090A0B0C0D0E0F10 | 01");

    [Fact]
    public void connect_request_from_an_old_client_has_no_read_only_byte()
    {
        var value = new ConnectRequest(0, 0, 30000, 0, ZeroPasswd, false, HasReadOnlyField: false);
        Wire.Golden(value, "00000000 | 0000000000000000 | 00007530 | 0000000000000000 | 00000010 00×16");
        Assert.Equal(44, Wire.Bytes(value).Length);
    }

    [Fact]
    public void connect_request_with_null_password() =>
        Wire.Golden(new ConnectRequest(0, 0, 4000, 0, null, false),
            "00000000 | 0000000000000000 | 00000FA0 | 0000000000000000 | FFFFFFFF | 00");

    [Fact]
    public void connect_response_with_read_only_byte()
    {
        var value = new ConnectResponse(0, 30000, 0x0100000000000001, Passwd, ReadOnly: false);
        Wire.Golden(value, "00000000 | 00007530 | 0100000000000001 | 00000010 0102030405060708090A0B0C0D0E0F10 | 00");
        Assert.Equal(37, Wire.Bytes(value).Length);
    }

    [Fact]
    public void connect_response_to_an_old_client_has_no_read_only_byte() =>
        Wire.Golden(new ConnectResponse(0, 30000, 0x0100000000000001, Passwd, false, HasReadOnlyField: false),
            "00000000 | 00007530 | 0100000000000001 | 00000010 0102030405060708090A0B0C0D0E0F10");

    [Fact]
    public void connect_response_from_a_read_only_server() =>
        Wire.Golden(new ConnectResponse(0, 6000, 0x0100000000000002, Passwd, ReadOnly: true),
            "00000000 | 00001770 | 0100000000000002 | 00000010 0102030405060708090A0B0C0D0E0F10 | 01");

    /// <summary>§3.4 step 4: an invalid reconnect gets timeOut 0, session 0 and 16 zero bytes.</summary>
    [Fact]
    public void connect_response_for_an_expired_session() =>
        Wire.Golden(new ConnectResponse(0, 0, 0, ZeroPasswd, false),
            "00000000 | 00000000 | 0000000000000000 | 00000010 00×16 | 00");

    [Fact]
    public void watcher_event() =>
        Wire.Golden(new WatcherEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, "/a/b"),
            "00000003 | 00000003 | 00000004 2F612F62");

    [Fact]
    public void watcher_event_with_type_none() =>
        Wire.Golden(new WatcherEvent(EventType.None, KeeperState.SyncConnected, "/"), "FFFFFFFF | 00000003 | 00000001 2F");

    [Fact]
    public void digest_auth_packet() =>
        Wire.Golden(new AuthPacket(0, "digest", Wire.Utf8("user:pw")),
            "00000000 | 00000006 646967657374 | 00000007 757365723A7077");

    [Fact]
    public void auth_packet_null_versus_empty_auth()
    {
        Wire.Golden(new AuthPacket(0, "ip", null), "00000000 | 00000002 6970 | FFFFFFFF");
        Wire.Golden(new AuthPacket(0, "ip", []), "00000000 | 00000002 6970 | 00000000");
    }

    [Fact] public void multi_header_for_an_op() => Wire.Golden(new MultiHeader(1, false, -1), "00000001 | 00 | FFFFFFFF");
    [Fact] public void multi_header_terminator() => Wire.Golden(MultiHeader.Terminator, "FFFFFFFF | 01 | FFFFFFFF");

    // ---- §3.1 and §13, verbatim, as whole frames (4-byte length + payload) ----

    [Fact]
    public void section_3_1_new_session_connect_request_frame()
    {
        const string doc = "0000002D | 00000000 | 0000000000000000 | 00007530 | 0000000000000000 | 00000010 00×16 | 00";
        var value = new ConnectRequest(0, 0, 30000, 0, ZeroPasswd, false);
        Assert.Equal(Wire.Canonical(doc), Frame(value));
        Assert.Equal(49, Wire.Hex(doc).Length);
        Wire.AssertSame(value, Wire.Read<ConnectRequest>(Wire.Hex(doc)[4..]));
    }

    [Fact]
    public void section_13_ping_frames()
    {
        Assert.Equal(Wire.Canonical("00000008 FFFFFFFE 0000000B"), Frame(new RequestHeader(Xids.Ping, OpCode.Ping)));
        Assert.Equal(Wire.Canonical("00000010 FFFFFFFE 0000000300000004 00000000"),
            Frame(new ReplyHeader(Xids.Ping, 0x0000000300000004, ErrorCode.Ok)));
    }

    [Fact]
    public void section_13_get_data_frame_and_its_no_node_reply()
    {
        Assert.Equal(Wire.Canonical("0000000F 00000001 00000004 00000002 2F61 01"),
            Frame(new RequestHeader(1, OpCode.GetData), new PathWatchRequest("/a", true)));
        Assert.Equal(Wire.Canonical("00000010 00000001 0000000300000004 FFFFFF9B"),
            Frame(new ReplyHeader(1, 0x0000000300000004, ErrorCode.NoNode)));

        var r = new JuteReader(Wire.Hex("00000001 00000004 00000002 2F61 01"));
        Assert.Equal(new RequestHeader(1, OpCode.GetData), RequestHeader.Read(ref r));
        Assert.Equal(new PathWatchRequest("/a", true), PathWatchRequest.Read(ref r));
        Assert.True(r.AtEnd);
    }

    [Fact]
    public void section_13_close_frames()
    {
        Assert.Equal(Wire.Canonical("00000008 00000009 FFFFFFF5"), Frame(new RequestHeader(9, OpCode.CloseSession)));
        Assert.Equal(Wire.Canonical("00000010 00000009 0000000300000004 00000000"),
            Frame(new ReplyHeader(9, 0x0000000300000004, ErrorCode.Ok)));
    }

    private static string Frame(params IJuteWritable[] parts)
    {
        var w = new JuteWriter();
        int start = w.BeginFrame();
        foreach (var p in parts) p.Write(w);
        w.EndFrame(start);
        return Convert.ToHexString(w.WrittenSpan);
    }
}
