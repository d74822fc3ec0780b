using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Host.Specs.Server;

/// <summary>
/// The figures cons, mntr and envi print come from the connection and the process, not constants; auth replies
/// carry the request's xid. Shapes are ZooKeeper 3.8's (checked against a real one in Coord.Interop.Specs/Admin).
/// </summary>
public sealed partial class AdminFiguresSpecs
{
    private static readonly string[] ConsKeys =
        ["queued", "recved", "sent", "sid", "lop", "est", "to", "lcxid", "lzxid", "lresp", "llat", "minlat", "avglat", "maxlat"];

    [GeneratedRegex(@"^ /127\.0\.0\.1:(?<port>\d+)\[(?<interest>\d+)\]\((?<fields>[^)]*)\)$")]
    private static partial Regex ConsLine();

    [Fact]
    public async Task Cons_prints_the_last_request_answered_with_its_xid_zxid_time_and_op()
    {
        await using var s = await InProcessServer.StartAsync();
        long connectedAfterMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using var c = await WireClient.ConnectAsync(s.Port);
        long connectedBeforeMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        await CallAsync(c, OpCode.Create, new CreateRequest("/a", [1], Acl.OpenAclUnsafe, 0));
        await CallAsync(c, OpCode.GetData, new PathWatchRequest("/a", false));
        long sentMs = MonotonicMs();
        var set = await CallAsync(c, OpCode.SetData, new SetDataRequest("/a", [2], -1));
        long answeredMs = MonotonicMs();

        var fields = ConsFields(await s.WordAsync("cons"), c);
        Assert.Equal(ConsKeys, fields.Select(f => f.Key));
        var f = fields.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(("0", "4", "4"), (f["queued"], f["recved"], f["sent"]));
        Assert.Equal($"0x{c.Handshake!.SessionId:x}", f["sid"]);
        Assert.Equal("SETD", f["lop"]);
        Assert.InRange(long.Parse(f["est"], CultureInfo.InvariantCulture), connectedAfterMs, connectedBeforeMs);
        Assert.Equal(c.Handshake.TimeOut.ToString(CultureInfo.InvariantCulture), f["to"]);
        Assert.Equal($"0x{set.Xid:x}", f["lcxid"]);
        Assert.Equal($"0x{set.Zxid:x}", f["lzxid"]);
        Assert.InRange(long.Parse(f["lresp"], CultureInfo.InvariantCulture), sentMs, answeredMs);
        Assert.InRange(long.Parse(f["llat"], CultureInfo.InvariantCulture), 0, answeredMs - sentMs);
    }

    [Fact]
    public async Task A_new_session_shows_SESS_a_resumed_one_NA_and_the_words_own_connection_the_brief_form()
    {
        await using var s = await InProcessServer.StartAsync();
        await using var first = await WireClient.ConnectAsync(s.Port);
        var fresh = ConsFields(await s.WordAsync("cons"), first).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(("SESS", "0x0", "0xffffffffffffffff"), (fresh["lop"], fresh["lcxid"], fresh["lzxid"]));
        Assert.Equal(first.Handshake!.TimeOut.ToString(CultureInfo.InvariantCulture), fresh["to"]);

        var h = first.Handshake;
        await using var resumed = await WireClient.ConnectAsync(s.Port, new ConnectRequest(0, 0, 20_000, h.SessionId, h.Passwd, false));
        Assert.Equal(h.SessionId, resumed.Handshake!.SessionId);
        var cons = await s.WordAsync("cons");
        var again = ConsFields(cons, resumed);
        Assert.DoesNotContain(again, p => p.Key == "lcxid"); // ZooKeeper leaves lcxid out until a request is answered
        var a = again.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(("NA", "0xffffffffffffffff", "0"), (a["lop"], a["lzxid"], a["lresp"]));
        Assert.Equal(resumed.Handshake.TimeOut.ToString(CultureInfo.InvariantCulture), a["to"]);
        Assert.Matches(@"(?m)^ /127\.0\.0\.1:\d+\[0\]\(queued=0,recved=1,sent=0\)$", cons);
    }

    [Fact]
    public async Task Pings_keep_the_last_cxid_and_auth_overtaking_a_request_does_not_take_its_place()
    {
        await using var s = await InProcessServer.StartAsync();
        await using var c = await WireClient.ConnectAsync(s.Port);
        await CallAsync(c, OpCode.GetData, new PathWatchRequest("/", false));
        var ping = await CallAsync(c, OpCode.Ping, null, Xids.Ping);
        var afterPing = ConsFields(await s.WordAsync("cons"), c).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(("PING", "0x1", $"0x{ping.Zxid:x}"), (afterPing["lop"], afterPing["lcxid"], afterPing["lzxid"]));

        // A read and an auth in one write: the session answers the auth itself, maybe before the read.
        await c.SendRawAsync([.. Frame(new RequestHeader(2, OpCode.GetData), new PathWatchRequest("/", false)),
            .. Frame(new RequestHeader(3, OpCode.Auth), new AuthPacket(0, "digest", "u:p"u8.ToArray()))]);
        var replies = new[] { (await c.ReadReplyAsync())!.Value.Header, (await c.ReadReplyAsync())!.Value.Header };
        Assert.Equal([2, 3], replies.Select(r => r.Xid).Order());
        var read = replies.Single(r => r.Xid == 2);

        var f = ConsFields(await s.WordAsync("cons"), c).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(("GETD", "0x2", $"0x{read.Zxid:x}", "0"), (f["lop"], f["lcxid"], f["lzxid"], f["queued"]));
    }

    [Theory]
    [InlineData(7)]
    [InlineData(Xids.Auth)]
    public async Task Auth_replies_carry_the_requests_xid(int xid)
    {
        await using var s = await InProcessServer.StartAsync();
        await using var ok = await WireClient.ConnectAsync(s.Port);
        Assert.Equal(new ReplyHeader(xid, 0, ErrorCode.Ok), await CallAsync(ok, OpCode.Auth, new AuthPacket(0, "digest", "u:p"u8.ToArray()), xid));

        await using var refused = await WireClient.ConnectAsync(s.Port);
        var unknown = new AuthPacket(0, "no-such-scheme", "x"u8.ToArray());
        Assert.Equal(new ReplyHeader(xid, 0, ErrorCode.AuthFailed), await CallAsync(refused, OpCode.Auth, unknown, xid));
        Assert.Null(await refused.ReadFrameAsync());
    }

    [Fact]
    public async Task Crst_starts_the_figures_over_as_ZooKeeper_does()
    {
        await using var s = await InProcessServer.StartAsync();
        await using var c = await WireClient.ConnectAsync(s.Port);
        await CallAsync(c, OpCode.GetData, new PathWatchRequest("/", false));
        Assert.Equal("Connection stats reset.\n", await s.WordAsync("crst"));

        var fields = ConsFields(await s.WordAsync("cons"), c);
        Assert.Equal("queued=0,recved=0,sent=0,sid=0x" + c.Handshake!.SessionId.ToString("x", CultureInfo.InvariantCulture)
            + ",lop=NA,est=" + fields.Single(p => p.Key == "est").Value + ",to=" + c.Handshake.TimeOut
            + ",lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0",
            string.Join(',', fields.Select(p => p.Key + "=" + p.Value)));
    }

    [Fact]
    public async Task Mntr_reports_the_soft_open_file_limit_of_the_process()
    {
        Assert.Equal(0, GetRLimit(RLimitNoFile, out var limit));
        await using var s = await InProcessServer.StartAsync();
        var mntr = await s.WordAsync("mntr");
        string expected = limit.Soft == ulong.MaxValue ? "-1" : limit.Soft.ToString(CultureInfo.InvariantCulture);
        Assert.Contains($"zk_max_file_descriptor_count\t{expected}\n", mntr);
    }

    [Fact]
    public async Task Envi_reports_free_within_total_within_the_GCs_limit()
    {
        await using var s = await InProcessServer.StartAsync();
        var envi = await s.WordAsync("envi");
        long Mb(string key) => long.Parse(Regex.Match(envi, $@"(?m)^os\.memory\.{key}=(\d+)MB$").Groups[1].Value, CultureInfo.InvariantCulture);

        Assert.Equal(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1048576, Mb("max"));
        Assert.True(Mb("free") <= Mb("total") && Mb("total") <= Mb("max"), envi);
    }

    private static async Task<ReplyHeader> CallAsync(WireClient c, OpCode op, IJuteWritable? body, int? xid = null)
    {
        int sent = xid ?? c.NextXid();
        await c.SendRawAsync(Frame(new RequestHeader(sent, op), body));
        var reply = (await c.ReadReplyAsync())!.Value.Header;
        Assert.Equal(sent, reply.Xid);
        return reply;
    }

    private static byte[] Frame(RequestHeader header, IJuteWritable? body)
    {
        var w = new JuteWriter();
        int start = w.BeginFrame();
        header.Write(w);
        body?.Write(w);
        w.EndFrame(start);
        return w.ToArray();
    }

    /// <summary>The fields of <paramref name="c"/>'s cons line, in printed order.</summary>
    private static List<KeyValuePair<string, string>> ConsFields(string cons, WireClient c)
    {
        var port = c.LocalPort.ToString(CultureInfo.InvariantCulture);
        var line = cons.Split('\n').Select(l => ConsLine().Match(l)).SingleOrDefault(m => m.Success && m.Groups["port"].Value == port);
        Assert.True(line is not null, $"no cons line for port {port} in:\n{cons}");
        Assert.Equal("1", line.Groups["interest"].Value);
        return [.. line.Groups["fields"].Value.Split(',').Select(kv => kv.Split('=', 2)).Select(kv => KeyValuePair.Create(kv[0], kv[1]))];
    }

    /// <summary>lresp's clock: monotonic ms (ZooKeeper's Time.currentElapsedTime()).</summary>
    private static long MonotonicMs() => Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1000);

    private const int RLimitNoFile = 7; // Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Soft;
        public ulong Hard;
    }

    [DllImport("libc", EntryPoint = "getrlimit")]
    private static extern int GetRLimit(int resource, out RLimit limit);
}
