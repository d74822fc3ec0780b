using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Coord.Interop.Specs.Harness;

/// <summary>Small socket helpers: free ports, four-letter words, a raw session handshake.</summary>
public static class Net
{
    /// <summary>Binds 127.0.0.1:0 and releases it. The caller retries if someone grabs it in between.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static async Task<string> FourLetterWordAsync(string host, int port, string word, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        using var client = new TcpClient();
        await client.ConnectAsync(host, port, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(word), cts.Token);
        client.Client.Shutdown(SocketShutdown.Send);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(cts.Token);
    }

    /// <summary>
    /// Opens a session with a raw ConnectRequest and closes it again (closeSession, opcode -11): proves
    /// the server serves clients, not just four-letter words. Returns the negotiated timeout in ms.
    /// </summary>
    public static async Task<int> ProbeSessionAsync(string host, int port, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var client = new TcpClient();
        await client.ConnectAsync(host, port, cts.Token);
        var stream = client.GetStream();

        // ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd (16 zero bytes), readOnly.
        var connect = new byte[4 + 8 + 4 + 8 + 4 + 16 + 1];
        Be(connect, 12, 30_000);
        Be(connect, 24, 16);
        await stream.WriteAsync(Frame(connect), cts.Token);
        var reply = await ReadFrame(stream, cts.Token);
        var negotiatedMs = ReadInt(reply, 4);
        if (negotiatedMs <= 0)
        {
            throw new InvalidOperationException($"server refused the session (timeOut {negotiatedMs})");
        }

        // RequestHeader(xid 1, type closeSession).
        var close = new byte[8];
        Be(close, 0, 1);
        Be(close, 4, -11);
        await stream.WriteAsync(Frame(close), cts.Token);
        await ReadFrame(stream, cts.Token);
        return negotiatedMs;
    }

    private static byte[] Frame(byte[] body)
    {
        var frame = new byte[4 + body.Length];
        Be(frame, 0, body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }

    private static async Task<byte[]> ReadFrame(NetworkStream stream, CancellationToken ct)
    {
        var header = new byte[4];
        await stream.ReadExactlyAsync(header, ct);
        var length = ReadInt(header, 0);
        if (length is < 0 or > 1 << 20)
        {
            throw new InvalidOperationException($"implausible frame length {length}");
        }

        var body = new byte[length];
        await stream.ReadExactlyAsync(body, ct);
        return body;
    }

    private static void Be(byte[] into, int offset, int value) =>
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(into.AsSpan(offset), value);

    private static int ReadInt(byte[] from, int offset) =>
        System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(from.AsSpan(offset));
}
