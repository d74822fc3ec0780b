using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Client.Watches;

namespace Coord.Client.Sessions;

internal sealed partial class SessionActor
{
    private async Task HandleAsync(SessionMessage message)
    {
        switch (message)
        {
            case SessionMessage.Submit { Call: var call }:
                if (call.IsDone) break;
                if (closeRequested) call.Fail(new ObjectDisposedException(nameof(CoordClient)));
                else if (connection is null) waiting.Enqueue(call);
                else await SendBatchAsync(call).ConfigureAwait(false);
                break;
            case SessionMessage.AddAuth { Entry: var entry }:
                auths.Add(entry);
                if (connection is not null) await SendAuthAsync(entry).ConfigureAwait(false);
                break;
            case SessionMessage.DropWatcher drop:
                await DropWatcherAsync(drop).ConfigureAwait(false);
                break;
            case SessionMessage.Received received when received.Generation == generation && connection is not null:
                lastReceiveMs = Environment.TickCount64;
                OnFrame(received.Payload);
                break;
            case SessionMessage.Lost lost when lost.Generation == generation:
                ConnectionLost(lost.Error);
                break;
            case SessionMessage.Tick tick when tick.Generation == generation && connection is not null:
                await OnTickAsync().ConfigureAwait(false);
                break;
            case SessionMessage.Close:
                await BeginCloseAsync().ConfigureAwait(false);
                break;
            case SessionMessage.CloseTimedOut when closeRequested:
                Terminate(ConnectionState.Closed, new ObjectDisposedException(nameof(CoordClient)));
                break;
        }
    }

    private async Task<bool> SendAsync(ReadOnlyMemory<byte> frame)
    {
        var to = connection!;
        try
        {
            await to.SendAsync(frame, connectionStop!.Token).ConfigureAwait(false);
            lastSendMs = Environment.TickCount64;
            return true;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException)
        {
            if (connection == to) ConnectionLost(e);
            return false;
        }
    }

    private Task<bool> SendCallAsync(PendingCall call)
    {
        if (call.IsDone) return Task.FromResult(true);
        call.AssignXid(nextXid);
        nextXid = nextXid == int.MaxValue ? 1 : nextXid + 1;
        inflight.Enqueue(call);
        return SendAsync(call.Frame);
    }

    /// <summary>
    /// Sends this call and every call queued right behind it in the mailbox in one write (up to
    /// <see cref="SendBatchBytesMax"/>), so a burst of pipelined calls costs one syscall, not one each.
    /// </summary>
    private async Task SendBatchAsync(PendingCall first)
    {
        if (!inbox.Reader.TryPeek(out var next) || next is not SessionMessage.Submit)
        {
            await SendCallAsync(first).ConfigureAwait(false);
            return;
        }
        var batch = new List<PendingCall>();
        int bytes = 0;
        void Add(PendingCall call)
        {
            if (call.IsDone) return;
            call.AssignXid(nextXid);
            nextXid = nextXid == int.MaxValue ? 1 : nextXid + 1;
            inflight.Enqueue(call);
            batch.Add(call);
            bytes += call.Frame.Length;
        }
        Add(first);
        while (bytes < SendBatchBytesMax && inbox.Reader.TryPeek(out next) && next is SessionMessage.Submit)
        {
            inbox.Reader.TryRead(out _);
            Add(((SessionMessage.Submit)next).Call);
        }
        var buffer = new byte[bytes];
        int at = 0;
        foreach (var call in batch)
        {
            call.Frame.CopyTo(buffer, at);
            at += call.Frame.Length;
        }
        await SendAsync(buffer).ConfigureAwait(false);
    }

    private Task<bool> SendAuthAsync(AuthEntry entry)
    {
        authInflight.Enqueue(entry);
        return SendAsync(PendingCall.BuildFrameWithXid(AuthXid, OpCode.Auth, new AuthPacket(0, entry.Scheme, entry.Auth)));
    }

    private async Task OnTickAsync()
    {
        long now = Environment.TickCount64;
        int timeoutMs = Volatile.Read(ref negotiatedTimeoutMs);
        int readTimeoutMs = timeoutMs * 2 / 3;
        if (now - lastReceiveMs > readTimeoutMs)
        {
            ConnectionLost(new TimeoutException($"no bytes from the server for {now - lastReceiveMs} ms (read timeout {readTimeoutMs} ms)"));
            return;
        }
        // A ping when idle for half the read timeout (a third of the session timeout) or 10 s, as the Java client does.
        if (now - lastSendMs >= Math.Min(readTimeoutMs / 2, PingIdleMsMax))
            await SendAsync(PendingCall.BuildFrameWithXid(PingXid, OpCode.Ping, null)).ConfigureAwait(false);
    }

    private void OnFrame(byte[] payload)
    {
        try
        {
            OnFrameCore(payload);
        }
        catch (JuteException e)
        {
            // A frame we cannot decode: the stream can no longer be trusted.
            ConnectionLost(new IOException($"malformed frame from the server: {e.Message}", e));
        }
    }

    private void OnFrameCore(byte[] payload)
    {
        var header = ReadHeader(payload, out int bodyAt);
        var body = payload.AsSpan(bodyAt);
        var observer = options.WireObserver;
        switch (header.Xid)
        {
            case NotificationXid:
                OnNotification(header, body);
                return;
            case PingXid:
                observer?.Invoke(new WireFrame(WireFrameKind.Reply, header.Xid, header.Zxid, header.Err, null, false, null));
                return;
            case AuthXid:
                observer?.Invoke(new WireFrame(WireFrameKind.Reply, header.Xid, header.Zxid, header.Err, null, false, null));
                if (authInflight.TryDequeue(out var entry))
                {
                    if (header.Err == ErrorCode.Ok)
                    {
                        entry.Done.TrySetResult();
                    }
                    else
                    {
                        auths.Remove(entry);
                        entry.Done.TrySetException(CoordException.Create(header.Err));
                    }
                }
                return;
            case SetWatchesXid:
                observer?.Invoke(new WireFrame(WireFrameKind.Reply, header.Xid, header.Zxid, header.Err, null, false, null));
                if (header.Err != ErrorCode.Ok) Log.SetWatchesFailed(logger, header.Err);
                return;
        }
        if (!inflight.TryDequeue(out var call) || call.Xid != header.Xid)
        {
            ConnectionLost(new IOException($"xid out of order: got {header.Xid}, expected {call?.Xid.ToString() ?? "none"}"));
            return;
        }
        if (header.Zxid > 0 && header.Zxid > lastZxid) Interlocked.Exchange(ref lastZxid, header.Zxid);
        observer?.Invoke(new WireFrame(WireFrameKind.Reply, header.Xid, header.Zxid, header.Err, call.Op, !call.IsDone, null));
        if (!call.IsDone) call.OnReplyInLoop?.Invoke(header.Err);
        call.Complete(header, body);
    }

    private static ReplyHeader ReadHeader(byte[] payload, out int bodyAt)
    {
        var r = new JuteReader(payload);
        var header = ReplyHeader.Read(ref r);
        bodyAt = r.Position;
        return header;
    }

    private void ConnectionLost(Exception error)
    {
        if (connection is null) return;
        Log.ConnectionLost(logger, connection.Endpoint.ToString(), error.Message);
        connectionStop!.Cancel();
        connectionStop.Dispose();
        connectionStop = null;
        _ = connection.DisposeAsync().AsTask();
        connection = null;
        generation++;
        authInflight.Clear();
        // In-flight calls may or may not have been applied: ConnectionLoss, as ZooKeeper does. Calls still
        // waiting to be sent stay queued for the next connection.
        while (inflight.TryDequeue(out var call)) call.Fail(new ConnectionLossException(call.Path));
        if (closeRequested)
        {
            Terminate(ConnectionState.Closed, new ObjectDisposedException(nameof(CoordClient)));
            return;
        }
        SetState(ConnectionState.Disconnected);
    }

    private async Task BeginCloseAsync()
    {
        if (closeRequested) return;
        closeRequested = true;
        closing.Cancel();
        if (connection is null)
        {
            Terminate(ConnectionState.Closed, new ObjectDisposedException(nameof(CoordClient)));
            return;
        }
        var close = new PendingCall<bool>(OpCode.CloseSession, null, null, static (_, ref _) => true, CancellationToken.None)
        {
            OnReplyInLoop = _ => Terminate(ConnectionState.Closed, new ObjectDisposedException(nameof(CoordClient))),
        };
        _ = Task.Delay(CloseReplyWait).ContinueWith(_ => inbox.Writer.TryWrite(new SessionMessage.CloseTimedOut()), TaskScheduler.Default);
        await SendCallAsync(close).ConfigureAwait(false);
    }

    /// <summary>Ends the session for good: fails every call, tells every watcher, closes the socket and the mailbox.</summary>
    private void Terminate(ConnectionState final, Exception error)
    {
        if (terminal is not null) return;
        terminal = error;
        inbox.Writer.TryComplete();
        if (connection is not null)
        {
            connectionStop!.Cancel();
            _ = connection.DisposeAsync().AsTask();
            connection = null;
        }
        generation++;
        Exception Failure() => final == ConnectionState.Expired ? new SessionExpiredException() : new ObjectDisposedException(nameof(CoordClient), "the client is closed");
        while (inflight.TryDequeue(out var call)) call.Fail(call.Op == OpCode.CloseSession ? new ConnectionLossException() : Failure());
        while (waiting.TryDequeue(out var call)) call.Fail(Failure());
        foreach (var entry in auths) entry.Done.TrySetException(Failure());
        var keeperState = final == ConnectionState.Expired ? KeeperState.Expired : KeeperState.Closed;
        var sessionEvent = new WatchedEvent(EventType.None, keeperState, "");
        foreach (var watcher in watches.All()) dispatch.Writer.TryWrite(() => watcher.Callback(sessionEvent));
        watches.Clear();
        SetState(final);
        firstConnected.TrySetException(Failure());
        dispatch.Writer.TryComplete();
    }
}
