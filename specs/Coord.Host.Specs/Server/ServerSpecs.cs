using System.Net.Sockets;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Host.Specs.Server;

/// <summary>The host's client port over real sockets: handshake variants, limits, four-letter words.</summary>
public sealed class ServerSpecs
{
    [Fact]
    public async Task A_client_without_the_readOnly_byte_gets_a_reply_without_it()
    {
        await using var s = await InProcessServer.StartAsync();
        await using var modern = await WireClient.ConnectAsync(s.Port);
        await using var old = await WireClient.ConnectAsync(s.Port,
            new ConnectRequest(0, 0, 30_000, 0, new byte[16], false, HasReadOnlyField: false));
        Assert.Equal(37, modern.HandshakeBytes);
        Assert.Equal(36, old.HandshakeBytes);
        Assert.True(old.Handshake!.TimeOut > 0);
    }

    [Fact]
    public async Task A_client_that_has_seen_a_newer_zxid_is_refused_without_a_reply()
    {
        await using var s = await InProcessServer.StartAsync();
        await using var c = await WireClient.ConnectAsync(s.Port, new ConnectRequest(0, 1_000_000, 30_000, 0, new byte[16], false), expectReply: false);
        Assert.Null(await c.ReadFrameAsync());
    }

    [Fact]
    public async Task An_unknown_opcode_is_answered_unimplemented_and_the_connection_closed()
    {
        await using var s = await InProcessServer.StartAsync();
        await using var c = await WireClient.ConnectAsync(s.Port);
        int xid = await c.SendAsync((OpCode)77, null);
        var reply = await c.ReadReplyAsync();
        Assert.Equal((xid, ErrorCode.Unimplemented), (reply!.Value.Header.Xid, reply.Value.Header.Err));
        Assert.Null(await c.ReadFrameAsync());
    }

    [Fact]
    public async Task An_oversized_frame_closes_only_that_connection()
    {
        await using var s = await InProcessServer.StartAsync(d => d with { Client = d.Client with { FrameBytesMax = 4096 } });
        await using var good = await WireClient.ConnectAsync(s.Port);
        await using var bad = await WireClient.ConnectAsync(s.Port);
        await bad.SendAsync(OpCode.Create, new CreateRequest("/big", new byte[5000], Acl.OpenAclUnsafe, 0));
        Assert.Null(await bad.ReadFrameAsync());
        int xid = await good.SendAsync(OpCode.Create, new CreateRequest("/small", new byte[100], Acl.OpenAclUnsafe, 0));
        var reply = await good.ReadReplyAsync();
        Assert.Equal((xid, ErrorCode.Ok), (reply!.Value.Header.Xid, reply.Value.Header.Err));
    }

    [Fact]
    public async Task Thousands_of_pipelined_requests_past_the_outstanding_bound_are_all_answered_in_order()
    {
        await using var s = await InProcessServer.StartAsync(d => d with { Client = d.Client with { OutstandingRequestsMax = 8 } });
        await using var c = await WireClient.ConnectAsync(s.Port);
        const int n = 5000;
        var w = new JuteWriter(n * 40);
        for (int i = 1; i <= n; i++)
        {
            int start = w.BeginFrame();
            new RequestHeader(i, OpCode.Exists).Write(w);
            new PathWatchRequest("/zookeeper", false).Write(w);
            w.EndFrame(start);
        }
        var send = c.SendRawAsync(w.ToArray());
        for (int i = 1; i <= n; i++)
        {
            var reply = await c.ReadReplyAsync();
            Assert.Equal((i, ErrorCode.Ok), (reply!.Value.Header.Xid, reply.Value.Header.Err));
        }
        await send;
    }

    [Fact]
    public async Task CloseSession_is_answered_then_the_socket_closes()
    {
        await using var s = await InProcessServer.StartAsync();
        await using var c = await WireClient.ConnectAsync(s.Port);
        int xid = await c.SendAsync(OpCode.CloseSession, null);
        Assert.Equal(xid, (await c.ReadReplyAsync())!.Value.Header.Xid);
        Assert.Null(await c.ReadFrameAsync());
    }

    [Fact]
    public async Task Four_letter_words_answer_in_ZooKeepers_formats()
    {
        await using var s = await InProcessServer.StartAsync();
        await using var c = await WireClient.ConnectAsync(s.Port);
        await c.SendAsync(OpCode.GetData, new PathWatchRequest("/zookeeper", true));
        await c.ReadReplyAsync();

        Assert.Equal("imok", await s.WordAsync("ruok"));
        Assert.Equal("rw", await s.WordAsync("isro"));
        var srvr = await s.WordAsync("srvr");
        Assert.StartsWith("Zookeeper version: 3.9.4-", srvr);
        Assert.Contains("Mode: standalone\n", srvr);
        Assert.Matches(@"Zxid: 0x[0-9a-f]+\n", srvr);
        Assert.Contains("Node count: 4\n", srvr);
        var stat = await s.WordAsync("stat");
        Assert.Contains("Clients:\n /127.0.0.1:", stat);
        var mntr = await s.WordAsync("mntr");
        Assert.Contains("zk_server_state\tstandalone\n", mntr);
        Assert.Contains("zk_watch_count\t1\n", mntr);
        Assert.Contains("zk_global_sessions\t1\n", mntr);
        Assert.Contains($"clientPort={s.Port}\n", await s.WordAsync("conf"));
        Assert.Matches(@"zookeeper\.version=3\.9\.4-", await s.WordAsync("envi"));
        Assert.Equal("1 connections watching 1 paths\nTotal watches:1\n", await s.WordAsync("wchs"));
        Assert.Equal($"0x{c.Handshake!.SessionId:x}\n\t/zookeeper\n\n", await s.WordAsync("wchc"));
        Assert.Equal($"/zookeeper\n\t0x{c.Handshake!.SessionId:x}\n\n", await s.WordAsync("wchp"));
        Assert.Contains("SessionTracker dump:", await s.WordAsync("dump"));
        Assert.Contains("sid=0x", await s.WordAsync("cons"));
        Assert.Equal("Server stats reset.\n", await s.WordAsync("srst"));
        Assert.Equal("Connection stats reset.\n", await s.WordAsync("crst"));
    }

    [Fact]
    public async Task Words_outside_the_whitelist_are_refused_with_ZooKeepers_message()
    {
        await using var s = await InProcessServer.StartAsync(d => d with { FourLetterWords = new(["ruok"]) });
        Assert.Equal("imok", await s.WordAsync("ruok"));
        Assert.Equal("stat is not executed because it is not in the whitelist.\n", await s.WordAsync("stat"));
    }

    [Fact]
    public async Task Connections_beyond_the_per_ip_limit_are_refused()
    {
        await using var s = await InProcessServer.StartAsync(d => d with { Client = d.Client with { ConnectionsPerIpMax = 2 } });
        await using var a = await WireClient.ConnectAsync(s.Port);
        await using var b = await WireClient.ConnectAsync(s.Port);
        WireClient? third = null;
        try
        {
            third = await WireClient.ConnectAsync(s.Port, expectReply: false);
            Assert.Null(await third.ReadFrameAsync());
        }
        catch (IOException) { }
        catch (SocketException) { }
        finally { if (third is not null) await third.DisposeAsync(); }
    }
}

public sealed class DataDirLockSpecs
{
    [Fact]
    public async Task A_second_server_on_the_same_data_folder_refuses_to_start()
    {
        var dir = Directory.CreateTempSubdirectory("coord-lock-").FullName;
        try
        {
            var settings = Coord.Actors.Settings.CoordSettings.Default with { DataDir = dir };
            settings = settings with { Client = settings.Client with { Port = 0 }, Admin = settings.Admin with { Enabled = false } };
            await using (var first = new CoordServer(settings, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance))
            {
                await first.StartAsync();
                await using var second = new CoordServer(settings, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
                var e = await Assert.ThrowsAsync<IOException>(second.StartAsync);
                Assert.Contains("is in use by another coord server", e.Message);
                Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ReadWithoutLocking(Path.Combine(dir, DataDirLock.FileName)));
            }
            // Released on stop: a new server starts on the folder.
            await using var third = new CoordServer(settings, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
            await third.StartAsync();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>What `cat` shows; cat takes no lock, unlike .NET's own open.</summary>
    private static string ReadWithoutLocking(string path)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("cat", path) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        string text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return text.Trim();
    }
}
