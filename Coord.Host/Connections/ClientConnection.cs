using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Coord.Actors.Runtime;
using Coord.Actors.Sequencer;
using Coord.Actors.Sessions;
using Coord.Client.Protocol;
using Coord.Host.Admin;
using Microsoft.Extensions.Logging;

namespace Coord.Host.Connections;

/// <summary>
/// One client socket. The read side decodes frames and hands them to the session actor, at most
/// <c>OutstandingRequestsMax</c> unanswered at a time (then it stops reading: back-pressure reaches the
/// client through TCP). The write side collects frames queued by the session actor and sends whatever has
/// accumulated in one call, so a burst of replies costs one syscall.
/// The first 4 bytes of a connection are either a frame length or a four-letter word.
/// </summary>
public sealed partial class ClientConnection : IClientConnection
{
    private static long _nextId;

    private readonly Socket _socket;
    private readonly IActorRef<CoreMessage> _core;
    private readonly ConnectionLimits _limits;
    private readonly ServerStats _stats;
    private readonly FourLetterWords _words;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _writeSignal = new(0, 1);
    private readonly SemaphoreSlim _slotFreed = new(0, 1);
    private readonly CancellationTokenSource _closed = new();
    private readonly Queue<long> _requestStarts = new();
    private byte[] _pending = new byte[4096];
    private int _pendingLength;
    private int _outstanding;
    private bool _closing;
    private string? _closeReason;
    private SessionActor? _session;
    private readonly TaskCompletionSource<SessionActor> _established = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ClientConnection(Socket socket, IActorRef<CoreMessage> core, ConnectionLimits limits, ServerStats stats,
        FourLetterWords words, ILogger log)
    {
        _socket = socket;
        _core = core;
        _limits = limits;
        _stats = stats;
        _words = words;
        _log = log;
        Id = Interlocked.Increment(ref _nextId);
        var remote = socket.RemoteEndPoint as IPEndPoint;
        RemoteIp = remote?.Address.ToString() ?? "0.0.0.0";
        RemoteEndPoint = remote?.ToString() ?? "?";
        EstablishedAtMs = Environment.TickCount64;
    }

    public long Id { get; }
    public string RemoteIp { get; }
    public string RemoteEndPoint { get; }
    public long EstablishedAtMs { get; }
    public long SessionId => _session?.SessionId ?? 0;
    public long Received => Interlocked.Read(ref _received);
    public long Sent => Interlocked.Read(ref _sent);
    public int Outstanding => Volatile.Read(ref _outstanding);
    public LatencyStats Latency { get; } = new();
    private long _received;
    private long _sent;

    public void Established(SessionActor session)
    {
        _session = session;
        _established.TrySetResult(session);
    }

    public void Send(ReadOnlySpan<byte> frame, bool completesRequest)
    {
        bool signal;
        lock (_gate)
        {
            if (_closed.IsCancellationRequested) return;
            if (_pendingLength + frame.Length > _pending.Length)
                Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingLength + frame.Length));
            frame.CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += frame.Length;
            signal = _pendingLength == frame.Length;
            if (completesRequest && _requestStarts.Count > 0)
            {
                long us = (Stopwatch.GetTimestamp() - _requestStarts.Dequeue()) * 1_000_000 / Stopwatch.Frequency;
                Latency.Record(us);
                _stats.Latency.Record(us);
            }
        }
        Interlocked.Increment(ref _sent);
        _stats.PacketSent();
        if (completesRequest && Interlocked.Decrement(ref _outstanding) == _limits.OutstandingRequestsMax - 1)
            TryRelease(_slotFreed);
        if (signal) TryRelease(_writeSignal);
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
        TryRelease(_writeSignal);
    }

    /// <summary>Serves the connection until either side closes it.</summary>
    public async Task RunAsync(CancellationToken serverStopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(serverStopping, _closed.Token);
        var writer = WriteLoopAsync();
        var stream = new NetworkStream(_socket, ownsSocket: false);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024));
        try
        {
            await ReadLoopAsync(reader, linked.Token);
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
            if (_session is { } s) _core.Tell(new ConnectionClosed(s.SessionId, this));
            await writer;
            await reader.CompleteAsync();
            _socket.Dispose();
        }
    }

    private sealed class ProtocolViolation(string message) : Exception(message);

    private async Task ReadLoopAsync(PipeReader reader, CancellationToken ct)
    {
        bool first = true;
        while (true)
        {
            if (Volatile.Read(ref _outstanding) >= _limits.OutstandingRequestsMax)
            {
                // Back-pressure: stop reading until the session answers something.
                await _slotFreed.WaitAsync(ct);
                continue;
            }
            var result = await reader.ReadAsync(ct);
            var buffer = result.Buffer;
            bool drained = true;
            if (first)
            {
                if (buffer.Length >= 4 && FourLetterWords.TryParse(buffer.Slice(0, 4), out var word))
                {
                    reader.AdvanceTo(buffer.GetPosition(4));
                    await AnswerWordAsync(word, ct);
                    return;
                }
                if (TryReadFrame(ref buffer, out var connect))
                {
                    first = false;
                    OnConnect(connect);
                    reader.AdvanceTo(buffer.Start);
                    // Nothing else is read until the session is bound (ZooKeeper does the same).
                    await _established.Task.WaitAsync(ct);
                    continue;
                }
            }
            else
            {
                while (TryReadFrame(ref buffer, out var frame))
                {
                    OnRequest(frame);
                    if (Volatile.Read(ref _outstanding) >= _limits.OutstandingRequestsMax) { drained = false; break; }
                }
            }
            // Whole frames left unread (back-pressure) must be seen again without waiting for new bytes.
            if (drained) reader.AdvanceTo(buffer.Start, buffer.End);
            else reader.AdvanceTo(buffer.Start);
            if (result.IsCompleted && drained) return;
        }
    }

    private bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < 4) return false;
        Span<byte> lengthBytes = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(lengthBytes);
        int length = BinaryPrimitives.ReadInt32BigEndian(lengthBytes);
        if (length < 0 || length > _limits.FrameBytesMax)
            throw new ProtocolViolation($"frame length {length} is outside 0..{_limits.FrameBytesMax} (client.frame-bytes-max)");
        if (buffer.Length < 4 + length) return false;
        frame = buffer.Slice(4, length);
        buffer = buffer.Slice(4 + length);
        return true;
    }

    private void OnConnect(ReadOnlySequence<byte> frame)
    {
        var request = WithSpan(frame, static span => RequestDecoder.DecodeConnect(span));
        Interlocked.Increment(ref _received);
        _stats.PacketReceived();
        _core.Tell(new ConnectRequested(request, this));
    }

    private void OnRequest(ReadOnlySequence<byte> frame)
    {
        var decoded = WithSpan(frame, static span => RequestDecoder.Decode(span));
        Interlocked.Increment(ref _received);
        _stats.PacketReceived();
        Interlocked.Increment(ref _outstanding);
        lock (_gate) _requestStarts.Enqueue(Stopwatch.GetTimestamp());
        _session!.Tell(new Inbound(this, decoded.Xid, decoded.Op, decoded.Record));
    }

    private static T WithSpan<T>(ReadOnlySequence<byte> frame, Func<ReadOnlySpan<byte>, T> decode)
    {
        if (frame.IsSingleSegment) return decode(frame.FirstSpan);
        byte[] rented = ArrayPool<byte>.Shared.Rent((int)frame.Length);
        try
        {
            frame.CopyTo(rented);
            return decode(rented.AsSpan(0, (int)frame.Length));
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    private async Task AnswerWordAsync(string word, CancellationToken ct)
    {
        string text = await _words.RunAsync(word, ct);
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        Send(bytes, completesRequest: false);
        Close("four-letter word answered");
    }

    private async Task WriteLoopAsync()
    {
        byte[] sending = new byte[4096];
        while (true)
        {
            int length;
            bool closing;
            lock (_gate)
            {
                (sending, _pending) = (_pending, sending);
                length = _pendingLength;
                _pendingLength = 0;
                closing = _closing;
            }
            if (length > 0)
            {
                try
                {
                    int offset = 0;
                    while (offset < length)
                        offset += await _socket.SendAsync(sending.AsMemory(offset, length - offset), SocketFlags.None);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    closing = true;
                }
                continue; // more may have been queued meanwhile
            }
            if (closing) break;
            await _writeSignal.WaitAsync();
        }
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
        _closed.Cancel();
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Warning, Message = "Closed connection from {Remote}: malformed request ({Reason})")]
    private static partial void LogBadFrame(ILogger log, string remote, string reason);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Closed connection from {Remote}: {Reason}")]
    private static partial void LogViolation(ILogger log, string remote, string reason);
}

/// <summary>Per-connection bounds.</summary>
public sealed record ConnectionLimits(int FrameBytesMax, int OutstandingRequestsMax);
