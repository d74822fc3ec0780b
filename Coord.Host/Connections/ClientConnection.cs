using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Coord.Actors.Sessions;
using Coord.Protocol;
using Coord.Host.Admin;
using Microsoft.Extensions.Logging;

namespace Coord.Host.Connections;

/// <summary>
/// One client socket. The read side decodes frames and hands them to the session actor, at most
/// <c>OutstandingRequestsMax</c> unanswered at a time (then it stops reading: back-pressure reaches the
/// client through TCP). The write side collects the frames the session actor queues during a turn and sends
/// them in one call when the actor flushes at the end of the turn, on the actor's thread: no write loop to
/// wake, no hand-off between a reply and the wire. One drain owns the send side at a time; when the socket
/// cannot take everything at once, that drain finishes asynchronously and frames queued meanwhile go with it.
/// The first 4 bytes of a connection are either a frame length or a four-letter word.
/// Bound: what is queued for a client that does not read (replies, and above all watch events, which no
/// request limits) may not pass <c>OutboundBytesMax</c>; past it the connection is dropped at once, with a log
/// line, so one stalled client cannot hold the server's memory while every other client carries on.
/// Memory: an idle connection holds no I/O buffer. The read side returns its buffer to the pool when
/// everything received is consumed and answered, and waits for more with a zero-byte receive; the write
/// side rents a buffer when the first frame is queued and returns it once that buffer is on the wire.
/// </summary>
public sealed partial class ClientConnection : IClientConnection
{
    private static long _nextId;

    private readonly Socket _socket;
    private readonly IActorRef _applier;
    private readonly ConnectionLimits _limits;
    private readonly ServerStats _stats;
    private readonly FourLetterWords _words;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _slotFreed = new(0, 1);
    private readonly CancellationTokenSource _closed = new();
    /// <summary>Requests read and not yet answered, oldest first (replies come in request order): when each
    /// arrived and its opcode, for latency and cons's lop.</summary>
    private readonly Queue<(long Start, OpCode Op)> _requestStarts = new();
    /// <summary>
    /// Xids of auth requests read and not yet answered. The session answers auth itself, possibly ahead of
    /// requests still at the core (ZooKeeper does too), so these replies are matched by xid, not arrival order.
    /// </summary>
    private readonly Queue<int> _authXids = new();
    /// <summary>Frames queued for the write loop, rented from the shared pool; null when nothing is queued.</summary>
    private byte[]? _pending;
    private int _pendingLength;

    /// <summary>Smallest send buffer rented: one rent holds a burst of small replies.</summary>
    private const int SendBufferBytesMin = 4096;

    /// <summary>Receive buffer rented while the connection is busy (larger only to hold one large frame).</summary>
    private const int ReceiveBufferBytes = 64 * 1024;
    private int _outstanding;
    /// <summary>A drain owns the send side (under <see cref="_gate"/>); once closing it keeps it for good.</summary>
    private bool _sending;
    private bool _shutDown;
    private readonly TaskCompletionSource _sendSideDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closing;
    private string? _closeReason;
    private IActorRef? _session;
    private long _sessionId;
    private readonly TaskCompletionSource _established = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ClientConnection(Socket socket, IActorRef applier, ConnectionLimits limits, ServerStats stats,
        FourLetterWords words, ILogger log)
    {
        _socket = socket;
        _applier = applier;
        _limits = limits;
        _stats = stats;
        _words = words;
        _log = log;
        Id = Interlocked.Increment(ref _nextId);
        var remote = socket.RemoteEndPoint as IPEndPoint;
        RemoteIp = remote?.Address.ToString() ?? "0.0.0.0";
        RemoteEndPoint = remote?.ToString() ?? "?";
        EstablishedAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    }

    public long Id { get; }
    public string RemoteIp { get; }
    public string RemoteEndPoint { get; }
    /// <summary>When the connection was accepted, ms since the Unix epoch (cons's est).</summary>
    public long EstablishedAtMs { get; }
    public long SessionId => Volatile.Read(ref _sessionId);
    public long Received => Interlocked.Read(ref _received);
    public long Sent => Interlocked.Read(ref _sent);
    public int Outstanding => Volatile.Read(ref _outstanding);
    public LatencyStats Latency { get; } = new();
    private long _received;
    private long _sent;

    // cons's per-connection figures, written under _gate as replies are queued (ZooKeeper's
    // ServerCnxn.updateStatsForResponse). Read from each reply's header: xid at 4, zxid at 8.
    private const int ReplyHeaderEnd = 4 + 16;
    /// <summary>A connect response holds at least length, protocolVersion and timeOut.</summary>
    private const int ConnectTimeoutEnd = 4 + 4 + 4;
    private long _lastCxid = -1, _lastZxid = -1, _lastResponseTs, _lastLatencyUs;
    private OpCode? _lastOp;
    private int _sessionTimeoutMs;
    /// <summary>Arrival of the connect request until its response is queued; 0 otherwise.</summary>
    private long _connectStart;
    private bool _connectCreatesSession;
    private bool _isWord;

    public void Established(long sessionId, IActorRef session)
    {
        _session = session;
        Volatile.Write(ref _sessionId, sessionId);
        _established.TrySetResult();
    }

    public void Send(ReadOnlySpan<byte> frame, bool completesRequest)
    {
        lock (_gate)
        {
            if (_shutDown) return;
            if (_pendingLength + frame.Length > _limits.OutboundBytesMax)
            {
                Overflowed(frame.Length);
                return;
            }
            var pending = Reserve(frame.Length);
            frame.CopyTo(pending.AsSpan(_pendingLength));
            _pendingLength += frame.Length;
            if (completesRequest && frame.Length >= ReplyHeaderEnd) Answered(frame);
            else if (_connectStart != 0 && frame.Length >= ConnectTimeoutEnd) Handshaken(frame);
        }
        Interlocked.Increment(ref _sent);
        _stats.PacketSent();
        if (completesRequest && Interlocked.Decrement(ref _outstanding) == _limits.OutstandingRequestsMax - 1)
            TryRelease(_slotFreed);
    }

    /// <summary>
    /// The client is not reading: drop what is queued and the socket now (a graceful close would wait on the same
    /// client). Holds <see cref="_gate"/>; the socket is closed outside it.
    /// </summary>
    private void Overflowed(int frameBytes)
    {
        int queued = _pendingLength;
        _shutDown = true;
        _closing = true;
        _closeReason = $"client not reading: {queued + frameBytes} bytes queued passed client.outbound-bytes-max ({_limits.OutboundBytesMax})";
        if (_pending is not null) ArrayPool<byte>.Shared.Return(_pending);
        _pending = null;
        _pendingLength = 0;
        LogOverflow(_log, RemoteEndPoint, queued + frameBytes, _limits.OutboundBytesMax);
        // Aborting fails a send in progress (its drain ends) and the read loop (RunAsync ends and cleans up).
        ThreadPool.UnsafeQueueUserWorkItem(static c => c.Abort(), this, preferLocal: false);
    }

    private void Abort()
    {
        _closed.Cancel();
        try { _socket.Close(0); } catch (ObjectDisposedException) { }
        lock (_gate)
        {
            if (_sending) return; // the drain in progress fails on the closed socket and finishes the send side
        }
        _sendSideDone.TrySetResult();
    }

    /// <summary>A reply is queued: its request's latency and cons's last-request figures. Holds <see cref="_gate"/>.</summary>
    private void Answered(ReadOnlySpan<byte> reply)
    {
        int xid = BinaryPrimitives.ReadInt32BigEndian(reply[4..]);
        if (_authXids.Count > 0 && _authXids.Peek() == xid)
        {
            // ZooKeeper answers auth outside its request pipeline: no latency, no lop/lcxid/lzxid.
            _authXids.Dequeue();
            return;
        }
        if (_requestStarts.Count == 0) return;
        var (start, op) = _requestStarts.Dequeue();
        long now = Stopwatch.GetTimestamp();
        long us = (now - start) * 1_000_000 / Stopwatch.Frequency;
        Latency.Record(us);
        _stats.Answered(op, us);
        if (xid >= 0) _lastCxid = xid; // as ZooKeeper: special xids (ping -2, ...) are not the client's last real op
        _lastZxid = BinaryPrimitives.ReadInt64BigEndian(reply[8..]);
        _lastOp = op;
        _lastResponseTs = now;
        _lastLatencyUs = us;
    }

    /// <summary>
    /// The connect response is queued (protocolVersion at 4, timeOut at 8). A new session counts as a request
    /// answered, as ZooKeeper's createSession does (lop SESS, cxid 0); no zxid reaches the client here, so
    /// lzxid waits for the first reply. Holds <see cref="_gate"/>.
    /// </summary>
    private void Handshaken(ReadOnlySpan<byte> response)
    {
        _sessionTimeoutMs = BinaryPrimitives.ReadInt32BigEndian(response[8..]);
        if (_connectCreatesSession && _sessionTimeoutMs > 0)
        {
            long now = Stopwatch.GetTimestamp();
            long us = (now - _connectStart) * 1_000_000 / Stopwatch.Frequency;
            Latency.Record(us);
            _stats.Answered(OpCode.CreateSession, us);
            _lastCxid = 0;
            _lastOp = OpCode.CreateSession;
            _lastResponseTs = now;
            _lastLatencyUs = us;
        }
        _connectStart = 0;
    }

    /// <summary>cons's figures for this connection, read together.</summary>
    public ConnectionFigures Figures()
    {
        lock (_gate)
        {
            var (min, avg, max, _) = Latency.Snapshot();
            return new ConnectionFigures(
                Reading: !Volatile.Read(ref _isWord) && Outstanding < _limits.OutstandingRequestsMax,
                Outstanding, Received, Sent, SessionId, _lastOp, EstablishedAtMs, _sessionTimeoutMs, _lastCxid, _lastZxid,
                LastResponseMs: _lastResponseTs == 0 ? 0 : _lastResponseTs / (Stopwatch.Frequency / 1000),
                LastLatencyMs: _lastLatencyUs / 1000, (long)min, (long)avg, (long)max);
        }
    }

    /// <summary>crst: counters and last-request figures start over, as ZooKeeper's ServerCnxn.resetStats.</summary>
    public void ResetStats()
    {
        lock (_gate)
        {
            Interlocked.Exchange(ref _received, 0);
            Interlocked.Exchange(ref _sent, 0);
            Latency.Reset();
            _lastCxid = _lastZxid = -1;
            _lastOp = null;
            _lastResponseTs = _lastLatencyUs = 0;
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            if (_sending || (_pending is null && !_closing)) return;
            _sending = true;
        }
        _ = DrainAsync();
    }

    /// <summary>The pending buffer with room for <paramref name="bytes"/> more; rents or grows it. Holds <see cref="_gate"/>.</summary>
    private byte[] Reserve(int bytes)
    {
        int needed = _pendingLength + bytes;
        if (_pending is null) return _pending = ArrayPool<byte>.Shared.Rent(Math.Max(SendBufferBytesMin, needed));
        if (needed <= _pending.Length) return _pending;
        var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_pending.Length * 2, needed));
        _pending.AsSpan(0, _pendingLength).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_pending);
        return _pending = grown;
    }

    private static void TryRelease(SemaphoreSlim s)
    {
        try { if (s.CurrentCount == 0) s.Release(); } catch (SemaphoreFullException) { } catch (ObjectDisposedException) { }
    }

    public void Close(string reason)
    {
        lock (_gate)
        {
            if (_closing) return;
            _closing = true;
            _closeReason = reason;
        }
        Flush();
    }

    /// <summary>Serves the connection until either side closes it.</summary>
    public async Task RunAsync(CancellationToken serverStopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(serverStopping, _closed.Token);
        try
        {
            await ReadLoopAsync(linked.Token);
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        catch (SocketException) { }
        catch (JuteException ex)
        {
            LogBadFrame(_log, RemoteEndPoint, ex.Message);
        }
        catch (ProtocolViolation ex)
        {
            LogViolation(_log, RemoteEndPoint, ex.Message);
        }
        finally
        {
            Close(_closeReason ?? "client closed the connection");
            if (_session is not null) _applier.Tell(new ConnectionClosed(SessionId, Id));
            await _sendSideDone.Task;
            ReleaseReceiveBuffer();
            _socket.Dispose();
        }
    }

    private sealed class ProtocolViolation(string message) : Exception(message);

    /// <summary>The requests decoded from one read, gathered before they go out as one message. Only the read loop touches it.</summary>
    private readonly List<Inbound> _burst = new();

    // Receive buffer: bytes [_rxStart, _rxEnd) are received and not yet consumed. Only the read loop touches these.
    private byte[]? _rx;
    private int _rxStart, _rxEnd;

    private async Task ReadLoopAsync(CancellationToken ct)
    {
        bool first = true;
        while (true)
        {
            if (first)
            {
                if (_rxEnd - _rxStart >= 4 && FourLetterWords.TryParse(new ReadOnlySequence<byte>(_rx!, _rxStart, 4), out var word))
                {
                    _rxStart += 4;
                    await AnswerWordAsync(word, ct);
                    return;
                }
                if (TryReadFrame(out int offset, out int length))
                {
                    first = false;
                    OnConnect(_rx.AsSpan(offset, length));
                    // Nothing else is read until the session is bound (ZooKeeper does the same).
                    await _established.Task.WaitAsync(ct);
                    continue;
                }
            }
            else
            {
                // Every whole frame of this read goes to the session in one message (a pipelined burst is one hand-off).
                var burst = _burst;
                try
                {
                    while (Volatile.Read(ref _outstanding) < _limits.OutstandingRequestsMax && TryReadFrame(out int offset, out int length))
                        burst.Add(OnRequest(_rx.AsSpan(offset, length)));
                }
                finally
                {
                    // A malformed frame ends the connection, but the requests decoded before it are still answered.
                    if (burst.Count > 0)
                        _session!.Tell(burst.Count == 1 ? burst[0] : new InboundBatch(burst.ToArray()), ActorRefs.NoSender);
                    burst.Clear();
                }
                if (Volatile.Read(ref _outstanding) >= _limits.OutstandingRequestsMax)
                {
                    // Back-pressure: stop reading until the session answers something; whole frames already
                    // buffered are handled before the next receive.
                    await _slotFreed.WaitAsync(ct);
                    continue;
                }
            }
            if (!await ReceiveAsync(ct)) return;
        }
    }

    /// <summary>
    /// Receives more bytes after what is buffered. With nothing buffered and nothing unanswered the client is
    /// idle (or waiting for a watch): the buffer goes back to the pool and a zero-byte receive waits for data,
    /// so idle connections hold no receive buffer. A busy connection keeps its buffer and skips that wait.
    /// False at end of stream.
    /// </summary>
    private async ValueTask<bool> ReceiveAsync(CancellationToken ct)
    {
        if (_rxStart == _rxEnd)
        {
            _rxStart = _rxEnd = 0;
            if (Volatile.Read(ref _outstanding) == 0)
            {
                ReleaseReceiveBuffer();
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct);
            }
        }
        EnsureReceiveRoom();
        int n = await _socket.ReceiveAsync(_rx.AsMemory(_rxEnd), SocketFlags.None, ct);
        _rxEnd += n;
        return n > 0;
    }

    /// <summary>Makes room after the buffered bytes: at least the rest of a frame whose length is known.</summary>
    private void EnsureReceiveRoom()
    {
        int buffered = _rxEnd - _rxStart;
        int wanted = ReceiveBufferBytes;
        if (buffered >= 4)
        {
            int frame = BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(_rxStart, 4));
            wanted = Math.Max(wanted, 4 + frame); // TryReadFrame has checked it against FrameBytesMax
        }
        if (_rx is null)
        {
            _rx = ArrayPool<byte>.Shared.Rent(wanted);
            return;
        }
        if (_rx.Length - _rxEnd >= Math.Min(1024, wanted - buffered) && _rx.Length - _rxStart >= wanted) return;
        var target = _rx.Length >= wanted ? _rx : ArrayPool<byte>.Shared.Rent(wanted);
        _rx.AsSpan(_rxStart, buffered).CopyTo(target);
        if (!ReferenceEquals(target, _rx))
        {
            ArrayPool<byte>.Shared.Return(_rx);
            _rx = target;
        }
        _rxStart = 0;
        _rxEnd = buffered;
    }

    private void ReleaseReceiveBuffer()
    {
        if (_rx is null) return;
        ArrayPool<byte>.Shared.Return(_rx);
        _rx = null;
        _rxStart = _rxEnd = 0;
    }

    /// <summary>Takes one whole frame's payload off the receive buffer, if one is there.</summary>
    private bool TryReadFrame(out int offset, out int length)
    {
        offset = length = 0;
        int buffered = _rxEnd - _rxStart;
        if (buffered < 4) return false;
        int frame = BinaryPrimitives.ReadInt32BigEndian(_rx.AsSpan(_rxStart, 4));
        if (frame < 0 || frame > _limits.FrameBytesMax)
            throw new ProtocolViolation($"frame length {frame} is outside 0..{_limits.FrameBytesMax} (client.frame-bytes-max)");
        if (buffered < 4 + frame) return false;
        offset = _rxStart + 4;
        length = frame;
        _rxStart += 4 + frame;
        return true;
    }

    private void OnConnect(ReadOnlySpan<byte> frame)
    {
        var request = RequestDecoder.DecodeConnect(frame);
        lock (_gate)
        {
            _connectStart = Stopwatch.GetTimestamp();
            _connectCreatesSession = request.SessionId == 0;
        }
        Interlocked.Increment(ref _received);
        _stats.PacketReceived();
        _applier.Tell(new ConnectRequested(Id, request));
    }

    private Inbound OnRequest(ReadOnlySpan<byte> frame)
    {
        var decoded = RequestDecoder.Decode(frame);
        Interlocked.Increment(ref _received);
        _stats.PacketReceived();
        Interlocked.Increment(ref _outstanding);
        lock (_gate)
        {
            if (decoded.Op == OpCode.Auth) _authXids.Enqueue(decoded.Xid);
            else _requestStarts.Enqueue((Stopwatch.GetTimestamp(), decoded.Op));
        }
        return new Inbound(Id, decoded.Xid, decoded.Op, decoded.Record);
    }

    private async Task AnswerWordAsync(string word, CancellationToken ct)
    {
        // The word is this connection's one packet in, as in ZooKeeper's counts (recved=1 while it runs).
        Volatile.Write(ref _isWord, true);
        Interlocked.Increment(ref _received);
        _stats.PacketReceived();
        string text = await _words.RunAsync(word, ct);
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        Send(bytes, completesRequest: false);
        Close("four-letter word answered");
    }

    /// <summary>
    /// Sends what is queued until nothing is left; the caller has set <see cref="_sending"/>. Usually completes
    /// synchronously on the flushing thread. When the connection is closing and everything is out, shuts the
    /// socket down once and keeps the send side, so nothing is sent after that.
    /// </summary>
    private async Task DrainAsync()
    {
        while (true)
        {
            byte[]? sending;
            int length;
            lock (_gate)
            {
                sending = _pending;
                length = _pendingLength;
                _pending = null;
                _pendingLength = 0;
                if (sending is null)
                {
                    if (!_closing)
                    {
                        _sending = false;
                        return;
                    }
                    _shutDown = true;
                }
            }
            if (sending is null) break;
            try
            {
                int offset = 0;
                while (offset < length)
                {
                    _stats.SocketWrite();
                    offset += await _socket.SendAsync(sending.AsMemory(offset, length - offset), SocketFlags.None);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                lock (_gate)
                {
                    _closing = true;
                    _closeReason ??= "send failed: " + ex.Message;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(sending);
            }
        }
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
        _closed.Cancel();
        _sendSideDone.TrySetResult();
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Warning, Message = "Closed connection from {Remote}: malformed request ({Reason})")]
    private static partial void LogBadFrame(ILogger log, string remote, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Closed connection from {Remote}: not reading; {Bytes} bytes queued passed client.outbound-bytes-max ({Max})")]
    private static partial void LogOverflow(ILogger log, string remote, long bytes, long max);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Closed connection from {Remote}: {Reason}")]
    private static partial void LogViolation(ILogger log, string remote, string reason);
}

/// <summary>Per-connection bounds.</summary>
public sealed record ConnectionLimits(int FrameBytesMax, int OutstandingRequestsMax, long OutboundBytesMax);
