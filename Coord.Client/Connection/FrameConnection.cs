using System.Buffers.Binary;
using System.Net.Sockets;

namespace Coord.Client.Connection;

/// <summary>
/// One TCP connection speaking length-prefixed frames. Sends are made by the session loop only (one writer);
/// receives by one reader task. It knows nothing of sessions, xids or records.
/// </summary>
internal sealed class FrameConnection : IAsyncDisposable
{
    /// <summary>ZooKeeper's jute.maxbuffer (0xfffff) plus room for the reply header and Stat.</summary>
    public const int FrameBytesMax = 0xfffff + 1024;

    private const int ReadBufferBytes = 64 * 1024;

    private readonly Socket socket;
    private readonly NetworkStream stream;
    // Reads go through a buffer (one syscall for many small replies); writes go straight to the socket, already
    // batched by the session loop. The two sides never share the buffer.
    private readonly BufferedStream readStream;

    private FrameConnection(Socket socket, HostPort endpoint)
    {
        this.socket = socket;
        Endpoint = endpoint;
        stream = new NetworkStream(socket, ownsSocket: true);
        readStream = new BufferedStream(stream, ReadBufferBytes);
    }

    public HostPort Endpoint { get; }

    /// <summary>Resolves the host name afresh and connects, trying each of its addresses.</summary>
    public static async Task<FrameConnection> ConnectAsync(HostPort endpoint, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, ct).ConfigureAwait(false);
            return new FrameConnection(socket, endpoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Writes one already-framed buffer (length prefix included).</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken ct) => stream.WriteAsync(frame, ct);

    /// <summary>Reads one frame's payload; throws <see cref="EndOfStreamException"/> when the server closes.</summary>
    public async Task<byte[]> ReceiveAsync(CancellationToken ct)
    {
        var prefix = new byte[4];
        await readStream.ReadExactlyAsync(prefix, ct).ConfigureAwait(false);
        int length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (length is < 0 or > FrameBytesMax)
            throw new IOException($"frame of {length} bytes from {Endpoint} is outside 0..{FrameBytesMax}");
        var payload = new byte[length];
        await readStream.ReadExactlyAsync(payload, ct).ConfigureAwait(false);
        return payload;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // already reset by the peer
        }
        catch (ObjectDisposedException)
        {
        }
        await stream.DisposeAsync().ConfigureAwait(false);
    }
}
