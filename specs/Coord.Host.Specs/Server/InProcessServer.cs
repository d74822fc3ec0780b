using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Coord.Actors.Settings;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Host;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Host.Specs.Server;

/// <summary>A CoordServer in the test process on a free port, with a fresh data folder.</summary>
internal sealed class InProcessServer : IAsyncDisposable
{
    private readonly string _dir;
    public CoordServer Server { get; }
    public int Port => Server.ClientEndPoint.Port;

    private InProcessServer(CoordSettings settings, string dir, Microsoft.Extensions.Logging.ILoggerFactory? loggers)
    {
        _dir = dir;
        Server = new CoordServer(settings with { DataDir = dir }, loggers ?? NullLoggerFactory.Instance);
    }

    public static async Task<InProcessServer> StartAsync(
        Func<CoordSettings, CoordSettings>? configure = null, Microsoft.Extensions.Logging.ILoggerFactory? loggers = null)
    {
        var d = CoordSettings.Default;
        // The admin HTTP server is off: its specs (Admin/) start their own; these bind only a free client port.
        var settings = d with { Client = d.Client with { Port = 0 }, Admin = d.Admin with { Enabled = false } };
        if (configure is not null) settings = configure(settings);
        var s = new InProcessServer(settings, Directory.CreateTempSubdirectory("coord-host-spec-").FullName, loggers);
        await s.Server.StartAsync();
        return s;
    }

    public async Task<string> WordAsync(string word)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(word));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A bare wire client over the Protocol records: frames in, frames out, every read bounded.</summary>
internal sealed class WireClient : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TcpClient _tcp = new() { NoDelay = true };
    private NetworkStream _stream = null!;
    private int _xid;

    public ConnectResponse? Handshake { get; private set; }

    public static async Task<WireClient> ConnectAsync(int port, ConnectRequest? request = null, bool expectReply = true, int receiveBufferBytes = 0)
    {
        var c = new WireClient();
        if (receiveBufferBytes > 0) c._tcp.ReceiveBufferSize = receiveBufferBytes;
        await c._tcp.ConnectAsync("127.0.0.1", port);
        c._stream = c._tcp.GetStream();
        await c.SendAsync(request ?? new ConnectRequest(0, 0, 30_000, 0, new byte[16], false));
        if (expectReply)
        {
            var payload = await c.ReadFrameAsync() ?? throw new IOException("closed during handshake");
            var r = new JuteReader(payload);
            c.Handshake = ConnectResponse.Read(ref r);
            c.HandshakeBytes = payload.Length;
        }
        return c;
    }

    public int HandshakeBytes { get; private set; }

    /// <summary>This side's port, as the server's cons prints the connection ("/127.0.0.1:PORT").</summary>
    public int LocalPort => ((System.Net.IPEndPoint)_tcp.Client.LocalEndPoint!).Port;

    public Task SendAsync(IJuteWritable record, RequestHeader? header = null)
    {
        var w = new JuteWriter();
        int start = w.BeginFrame();
        header?.Write(w);
        record.Write(w);
        w.EndFrame(start);
        return SendRawAsync(w.ToArray());
    }

    public async Task SendRawAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    public int NextXid() => ++_xid;

    public Task<int> SendAsync(OpCode op, IJuteWritable? body)
    {
        int xid = op == OpCode.Ping ? Xids.Ping : NextXid();
        var w = new JuteWriter();
        int start = w.BeginFrame();
        new RequestHeader(xid, op).Write(w);
        body?.Write(w);
        w.EndFrame(start);
        return SendRawAsync(w.ToArray()).ContinueWith(_ => xid);
    }

    /// <summary>The next frame's payload, or null when the server closed the connection.</summary>
    public async Task<byte[]?> ReadFrameAsync()
    {
        var len = new byte[4];
        if (!await ReadExactlyAsync(len)) return null;
        int n = BinaryPrimitives.ReadInt32BigEndian(len);
        var payload = new byte[n];
        return await ReadExactlyAsync(payload) ? payload : null;
    }

    public async Task<(ReplyHeader Header, byte[] Body)?> ReadReplyAsync()
    {
        var payload = await ReadFrameAsync();
        if (payload is null) return null;
        var r = new JuteReader(payload);
        return (ReplyHeader.Read(ref r), payload[ReplyHeader.WireBytes..]);
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer)
    {
        int at = 0;
        while (at < buffer.Length)
        {
            int n = await _stream.ReadAsync(buffer.AsMemory(at)).AsTask().WaitAsync(Timeout);
            if (n == 0) return false;
            at += n;
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await Task.CompletedTask;
        _tcp.Dispose();
    }
}
