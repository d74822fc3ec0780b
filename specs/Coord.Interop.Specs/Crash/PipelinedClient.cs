using System.Buffers.Binary;
using System.Net.Sockets;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Interop.Specs.Crash;

/// <summary>
/// A pipelining wire client on the Protocol records: any number of requests in flight on one session,
/// each answered through its own task. Replies are matched by xid (the server answers in order, but the
/// client does not rely on it). When the connection ends — the server was killed — every request still
/// in flight faults with <see cref="ConnectionLossException"/>: its outcome is unknown.
/// Concurrency: <see cref="CallAsync"/> may be called from any number of tasks; frames are written under a lock.
/// </summary>
internal sealed class PipelinedClient : IAsyncDisposable
{
    private readonly TcpClient tcp = new() { NoDelay = true };
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly Lock gate = new();
    private readonly Dictionary<int, TaskCompletionSource<(ErrorCode Err, byte[] Body)>> inFlight = [];
    private NetworkStream stream = null!;
    private Task readLoop = Task.CompletedTask;
    private Exception? closed;
    private int xid;

    public long SessionId { get; private set; }

    /// <summary>The session's password, to attach to it again from another connection.</summary>
    public byte[] Password { get; private set; } = [];

    /// <summary>Opens a new session, or attaches to <paramref name="sessionId"/> with its password; throws
    /// <see cref="SessionRefusedException"/> when the server answers that the session is gone.</summary>
    public static async Task<PipelinedClient> ConnectAsync(int port, TimeSpan timeout, int sessionTimeoutMs,
        long sessionId = 0, byte[]? password = null)
    {
        var c = new PipelinedClient();
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await c.tcp.ConnectAsync("127.0.0.1", port, cts.Token);
            c.stream = c.tcp.GetStream();
            await c.WriteFrameAsync(new ConnectRequest(0, 0, sessionTimeoutMs, sessionId, password ?? new byte[16], false), null, cts.Token);
            var payload = await ReadFrameAsync(c.stream, cts.Token) ?? throw new IOException("closed during the handshake");
            var r = new JuteReader(payload);
            var handshake = ConnectResponse.Read(ref r);
            if (handshake.TimeOut <= 0)
            {
                throw new SessionRefusedException($"session 0x{sessionId:x} refused (timeOut {handshake.TimeOut})");
            }

            c.SessionId = handshake.SessionId;
            c.Password = handshake.Passwd ?? [];
            c.readLoop = c.ReadLoopAsync();
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends one request; completes with the reply's error code and body, or faults with
    /// <see cref="ConnectionLossException"/> when the connection ends first.</summary>
    public async Task<(ErrorCode Err, byte[] Body)> CallAsync(OpCode op, IJuteWritable body, TimeSpan timeout)
    {
        var done = new TaskCompletionSource<(ErrorCode, byte[])>(TaskCreationOptions.RunContinuationsAsynchronously);
        int id;
        lock (gate)
        {
            if (closed is not null)
            {
                throw new ConnectionLossException("connection already closed", closed);
            }

            id = ++xid;
            inFlight[id] = done;
        }

        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await WriteFrameAsync(body, new RequestHeader(id, op), cts.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Fail(e);
        }

        return await done.Task.WaitAsync(timeout);
    }

    private async Task WriteFrameAsync(IJuteWritable body, RequestHeader? header, CancellationToken ct)
    {
        var w = new JuteWriter();
        int start = w.BeginFrame();
        header?.Write(w);
        body.Write(w);
        w.EndFrame(start);
        await writeLock.WaitAsync(ct);
        try
        {
            await stream.WriteAsync(w.WrittenMemory, ct);
        }
        finally
        {
            writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        Exception end = new IOException("the server closed the connection");
        try
        {
            while (await ReadFrameAsync(stream, CancellationToken.None) is { } payload)
            {
                var r = new JuteReader(payload);
                var header = ReplyHeader.Read(ref r);
                TaskCompletionSource<(ErrorCode, byte[])>? waiter;
                lock (gate)
                {
                    inFlight.Remove(header.Xid, out waiter);
                }

                // xid -1 (watch events) and -2 (pings) have no waiter here.
                waiter?.TrySetResult((header.Err, payload[ReplyHeader.WireBytes..]));
            }
        }
        catch (Exception e)
        {
            end = e;
        }

        Fail(end);
    }

    private void Fail(Exception cause)
    {
        List<TaskCompletionSource<(ErrorCode, byte[])>> waiters;
        lock (gate)
        {
            closed ??= cause;
            waiters = [.. inFlight.Values];
            inFlight.Clear();
        }

        foreach (var w in waiters)
        {
            w.TrySetException(new ConnectionLossException("connection lost with the request in flight", cause));
        }
    }

    private static async Task<byte[]?> ReadFrameAsync(NetworkStream stream, CancellationToken ct)
    {
        var head = new byte[4];
        if (!await ReadExactlyAsync(stream, head, ct))
        {
            return null;
        }

        int length = BinaryPrimitives.ReadInt32BigEndian(head);
        if (length is < 0 or > 4 * 1024 * 1024)
        {
            throw new IOException($"implausible reply length {length}");
        }

        var payload = new byte[length];
        return await ReadExactlyAsync(stream, payload, ct) ? payload : null;
    }

    private static async Task<bool> ReadExactlyAsync(NetworkStream stream, byte[] buffer, CancellationToken ct)
    {
        int at = 0;
        while (at < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(at), ct);
            if (n == 0)
            {
                return false;
            }

            at += n;
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        tcp.Dispose();
        Fail(new ObjectDisposedException(nameof(PipelinedClient)));
        await readLoop.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        writeLock.Dispose();
    }
}

/// <summary>The connection ended while a request was in flight: it may or may not have been applied.</summary>
internal sealed class ConnectionLossException(string message, Exception inner) : IOException(message, inner);

/// <summary>The server answered a (re)connect with timeOut 0: the session does not exist (closed or expired).</summary>
internal sealed class SessionRefusedException(string message) : IOException(message);

/// <summary>A request without a body (closeSession).</summary>
internal sealed class NoBody : IJuteWritable
{
    public static readonly NoBody Instance = new();

    public void Write(JuteWriter w)
    {
    }
}
