using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Bench;

/// <summary>
/// One TCP connection with one session, speaking the client protocol directly (no client library, so the
/// load generator adds as little as possible). Replies are read into one large buffer and parsed in place.
/// Not thread-safe: one task drives it.
/// </summary>
public sealed class BenchConnection : IAsyncDisposable
{
    public const int SessionTimeoutMs = 30_000;
    // Above jute.maxbuffer on purpose: large1m raises it on both servers, and the server enforces it anyway.
    private const int MaxFrameBytes = 8 * 1024 * 1024;

    private readonly Socket _socket;
    private byte[] _buffer;
    private int _start; // first unparsed byte
    private int _end;   // one past the last received byte

    private BenchConnection(Socket socket, int bufferBytes)
    {
        _socket = socket;
        _buffer = new byte[bufferBytes];
    }

    public long SessionId { get; private set; }

    /// <param name="bufferBytes">Initial receive buffer (grows on demand): large for load connections,
    /// small for the thousands of idle ones the scale workloads open.</param>
    public static async Task<BenchConnection> ConnectAsync(EndPoint server, CancellationToken ct, int bufferBytes = 256 * 1024)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var conn = new BenchConnection(socket, bufferBytes);
        try
        {
            await socket.ConnectAsync(server, ct);
            var w = new JuteWriter();
            int frame = w.BeginFrame();
            new ConnectRequest(0, 0, SessionTimeoutMs, 0, new byte[16], false).Write(w);
            w.EndFrame(frame);
            await conn.SendAsync(w.WrittenMemory, ct);
            var payload = await conn.ReceiveFrameAsync(ct);
            var reader = new JuteReader(payload.Span);
            var response = ConnectResponse.Read(ref reader);
            if (response.TimeOut <= 0 || response.SessionId == 0)
                throw new IOException($"server {server} refused the session (timeOut {response.TimeOut})");
            conn.SessionId = response.SessionId;
            return conn;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        while (bytes.Length > 0)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None, ct);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Receives at least one more byte into the buffer (compacting or growing it first when full).</summary>
    public async ValueTask ReceiveMoreAsync(CancellationToken ct)
    {
        if (_start == _end) _start = _end = 0;
        if (_end == _buffer.Length)
        {
            int pending = _end - _start;
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
            }
            else
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
            _start = 0;
            _end = pending;
        }
        int n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct);
        if (n == 0) throw new IOException("server closed the connection");
        _end += n;
    }

    /// <summary>
    /// Takes the next complete frame's payload from the buffer, or false if more bytes are needed. The
    /// memory stays valid until the next <see cref="ReceiveMoreAsync"/>.
    /// </summary>
    public bool TryTakeFrame(out ReadOnlyMemory<byte> payload)
    {
        payload = default;
        int available = _end - _start;
        if (available < 4) return false;
        int length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start, 4));
        if (length < 0 || length > MaxFrameBytes) throw new IOException($"bad frame length {length} from server");
        if (available < 4 + length) return false;
        payload = _buffer.AsMemory(_start + 4, length);
        _start += 4 + length;
        return true;
    }

    public async ValueTask<ReadOnlyMemory<byte>> ReceiveFrameAsync(CancellationToken ct)
    {
        ReadOnlyMemory<byte> payload;
        while (!TryTakeFrame(out payload)) await ReceiveMoreAsync(ct);
        return payload;
    }

    /// <summary>
    /// Sends every request at once and waits for all replies (setup: pre-creating nodes). Returns each
    /// reply's error code, in request order.
    /// </summary>
    public async Task<ErrorCode[]> PipelineAsync(IReadOnlyList<(OpCode Op, IJuteWritable Body)> requests, CancellationToken ct)
    {
        var w = new JuteWriter(64 * 1024);
        for (int i = 0; i < requests.Count; i++)
        {
            int frame = w.BeginFrame();
            new RequestHeader(i + 1, requests[i].Op).Write(w);
            requests[i].Body.Write(w);
            w.EndFrame(frame);
        }
        await SendAsync(w.WrittenMemory, ct);
        var errors = new ErrorCode[requests.Count];
        for (int i = 0; i < requests.Count; i++)
        {
            var header = await ReceiveReplyAsync(ct);
            if (header.Xid != i + 1) throw new IOException($"reply xid {header.Xid} out of order, expected {i + 1}");
            errors[i] = header.Err;
        }
        return errors;
    }

    /// <summary>One getData round trip (setup sanity check); throws on a non-zero reply code.</summary>
    public async Task<byte[]?> GetDataAsync(string path, CancellationToken ct, bool watch = false, int xid = 1)
    {
        var w = new JuteWriter();
        int frame = w.BeginFrame();
        new RequestHeader(xid, OpCode.GetData).Write(w);
        new PathWatchRequest(path, watch).Write(w);
        w.EndFrame(frame);
        await SendAsync(w.WrittenMemory, ct);
        while (true)
        {
            var payload = await ReceiveFrameAsync(ct);
            var reader = new JuteReader(payload.Span);
            var header = ReplyHeader.Read(ref reader);
            if (header.Xid == Xids.Notification) continue;
            if (header.Err != ErrorCode.Ok) throw new IOException($"getData {path} failed: {header.Err}");
            return GetDataResponse.Read(ref reader).Data;
        }
    }

    /// <summary>One ping round trip; false when the server answers with an error (an expired session).</summary>
    public async Task<bool> PingAsync(CancellationToken ct)
    {
        var w = new JuteWriter();
        int frame = w.BeginFrame();
        new RequestHeader(Xids.Ping, OpCode.Ping).Write(w);
        w.EndFrame(frame);
        await SendAsync(w.WrittenMemory, ct);
        var header = await ReceiveReplyAsync(ct);
        return header.Xid == Xids.Ping && header.Err == ErrorCode.Ok;
    }

    /// <summary>Sends one request frame with <paramref name="xid"/> without waiting for the reply.</summary>
    public ValueTask SendRequestAsync(int xid, OpCode op, IJuteWritable body, CancellationToken ct)
    {
        var w = new JuteWriter(256);
        int frame = w.BeginFrame();
        new RequestHeader(xid, op).Write(w);
        body.Write(w);
        w.EndFrame(frame);
        return SendAsync(w.WrittenMemory, ct);
    }

    private async ValueTask<ReplyHeader> ReceiveReplyAsync(CancellationToken ct)
    {
        while (true)
        {
            var payload = await ReceiveFrameAsync(ct);
            var reader = new JuteReader(payload.Span);
            var header = ReplyHeader.Read(ref reader);
            if (header.Xid != Xids.Notification) return header;
        }
    }

    /// <summary>Ends the session politely so it does not linger until expiry on the server.</summary>
    public async Task CloseSessionAsync(CancellationToken ct)
    {
        var w = new JuteWriter();
        int frame = w.BeginFrame();
        new RequestHeader(int.MaxValue, OpCode.CloseSession).Write(w);
        w.EndFrame(frame);
        await SendAsync(w.WrittenMemory, ct);
        await ReceiveReplyAsync(ct);
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
