using System.Threading.Channels;
using Coord.Client.Connection;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Client.Watches;
using Microsoft.Extensions.Logging;

namespace Coord.Client.Sessions;

/// <summary>
/// The client side of one session. A single loop (<see cref="RunAsync"/>) owns the socket, the session id and
/// password, the last zxid seen, the in-flight queue and the watch table; everything else talks to it through
/// its mailbox, so no lock is ever held across an await.
///
/// Ordering contract: requests are sent in mailbox order and complete in xid order (the server answers FIFO);
/// on a reconnect the loop sends auth packets, then setWatches, then the requests that waited. Watch callbacks
/// and state changes run one at a time, in order, on a separate dispatcher task, so a slow callback never stalls
/// the socket.
/// </summary>
internal sealed partial class SessionActor : IAsyncDisposable
{
    private const int PingXid = -2;
    private const int AuthXid = -4;
    private const int SetWatchesXid = -8;
    private const int NotificationXid = -1;
    private const int PingIdleMsMax = 10_000;
    private const int SendBatchBytesMax = 64 * 1024;
    private static readonly TimeSpan CloseReplyWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ReconnectBackoffMax = TimeSpan.FromSeconds(1);

    private readonly Channel<SessionMessage> inbox = Channel.CreateUnbounded<SessionMessage>(new() { SingleReader = true });
    private readonly Channel<Action> dispatch = Channel.CreateUnbounded<Action>(new() { SingleReader = true });
    private readonly CancellationTokenSource closing = new();
    private readonly ConnectString connectString;
    private readonly CoordClientOptions options;
    private readonly ILogger logger;
    private readonly TaskCompletionSource firstConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task loop;
    private readonly Task dispatcher;

    // Owned by the loop.
    private readonly Queue<PendingCall> waiting = new();
    private readonly Queue<PendingCall> inflight = new();
    private readonly List<AuthEntry> auths = [];
    private readonly Queue<AuthEntry> authInflight = new();
    private readonly WatchTable watches = new();
    private FrameConnection? connection;
    private CancellationTokenSource? connectionStop;
    private int generation;
    private int nextXid = 1;
    private byte[] password = new byte[16];
    private bool closeRequested;
    private long lastSendMs;
    private long lastReceiveMs;

    // Written by the loop, read by anyone.
    private volatile Exception? terminal;
    private volatile int stateValue = (int)ConnectionState.Disconnected;
    private long sessionId;
    private long lastZxid;
    private int negotiatedTimeoutMs;

    public SessionActor(ConnectString connectString, CoordClientOptions options)
    {
        this.connectString = connectString;
        this.options = options;
        logger = (options.LoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance)
            .CreateLogger("Coord.Client.Session");
        dispatcher = Task.Run(DispatchAsync);
        loop = Task.Run(RunAsync);
    }

    public ConnectionState State => (ConnectionState)stateValue;
    public long SessionId => Interlocked.Read(ref sessionId);
    public long LastZxid => Interlocked.Read(ref lastZxid);
    public TimeSpan NegotiatedTimeout => TimeSpan.FromMilliseconds(Volatile.Read(ref negotiatedTimeoutMs));
    public ConnectString ConnectString => connectString;
    public Task FirstConnected => firstConnected.Task;

    /// <summary>Called on the dispatcher, in order, for every state change.</summary>
    public Action<ConnectionStateChange>? StateChanged { get; set; }

    /// <summary>Queues a call; it is sent now if connected, else after the next reconnect.</summary>
    public void Submit(PendingCall call)
    {
        if (!inbox.Writer.TryWrite(new SessionMessage.Submit(call))) call.Fail(TerminalError());
    }

    public Task AddAuthAsync(AuthEntry entry)
    {
        if (!inbox.Writer.TryWrite(new SessionMessage.AddAuth(entry))) entry.Done.TrySetException(TerminalError());
        return entry.Done.Task;
    }

    public void DropWatcher(WatchKind kind, string serverPath, Watcher watcher) =>
        inbox.Writer.TryWrite(new SessionMessage.DropWatcher(kind, serverPath, watcher));

    private Exception TerminalError() => terminal switch
    {
        SessionExpiredException => new SessionExpiredException(),
        _ => new ObjectDisposedException(nameof(CoordClient), "the client is closed"),
    };

    public async ValueTask DisposeAsync()
    {
        inbox.Writer.TryWrite(new SessionMessage.Close());
        // Abort a connection attempt in progress, so closing an unreachable client does not wait for its timeout.
        closing.Cancel();
        await loop.ConfigureAwait(false);
        await dispatcher.ConfigureAwait(false);
        closing.Dispose();
    }

    private async Task RunAsync()
    {
        var hosts = Shuffled();
        int attempt = 0;
        int failedPasses = 0;
        try
        {
            while (terminal is null)
            {
                if (connection is null)
                {
                    DrainInbox();
                    if (terminal is not null) break;
                    if (closeRequested)
                    {
                        Terminate(ConnectionState.Closed, new ObjectDisposedException(nameof(CoordClient)));
                        break;
                    }
                    if (attempt == hosts.Count)
                    {
                        attempt = 0;
                        hosts = Shuffled();
                        await BackOffAsync(failedPasses++).ConfigureAwait(false);
                        continue;
                    }
                    var host = hosts[attempt++];
                    try
                    {
                        await ConnectOnceAsync(host).ConfigureAwait(false);
                        if (connection is not null)
                        {
                            attempt = 0;
                            failedPasses = 0;
                        }
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        Log.ConnectFailed(logger, host.ToString(), e.Message);
                    }
                    continue;
                }
                var message = await inbox.Reader.ReadAsync().ConfigureAwait(false);
                await HandleAsync(message).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            Log.LoopFailed(logger, e);
            Terminate(ConnectionState.Closed, new ObjectDisposedException(nameof(CoordClient), e));
        }
        finally
        {
            // Anything that raced the end of the mailbox fails with the terminal error.
            while (inbox.Reader.TryRead(out var left))
            {
                switch (left)
                {
                    case SessionMessage.Submit s: s.Call.Fail(TerminalError()); break;
                    case SessionMessage.AddAuth a: a.Entry.Done.TrySetException(TerminalError()); break;
                }
            }
        }
    }

    private List<HostPort> Shuffled()
    {
        var list = connectString.Hosts.ToList();
        Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list));
        return list;
    }

    /// <summary>Waits between passes over the host list, still taking calls and a close from the mailbox.</summary>
    private async Task BackOffAsync(int pass)
    {
        var delay = TimeSpan.FromMilliseconds(Math.Min(ReconnectBackoffMax.TotalMilliseconds, 50 * Math.Pow(2, Math.Min(pass, 10)))
            * (0.5 + Random.Shared.NextDouble() * 0.5));
        var until = Environment.TickCount64 + (long)delay.TotalMilliseconds;
        while (!closeRequested && terminal is null)
        {
            long left = until - Environment.TickCount64;
            if (left <= 0) return;
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(left));
            try
            {
                await inbox.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false);
                DrainInbox();
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Handles what arrived while disconnected (no message needs the socket then).</summary>
    private void DrainInbox()
    {
        while (connection is null && terminal is null && inbox.Reader.TryRead(out var message))
        {
            // Without a connection no handler awaits anything (nothing is sent), so this completes synchronously.
            var handled = HandleAsync(message);
            System.Diagnostics.Debug.Assert(handled.IsCompleted, "a handler awaited while disconnected");
            handled.GetAwaiter().GetResult();
        }
    }

    private async Task ConnectOnceAsync(HostPort host)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(closing.Token);
        attempt.CancelAfter(options.ConnectTimeout);
        var candidate = await FrameConnection.ConnectAsync(host, attempt.Token).ConfigureAwait(false);
        ConnectResponse response;
        try
        {
            var request = new ConnectRequest(0, LastZxid, (int)options.SessionTimeout.TotalMilliseconds, SessionId, password, options.CanBeReadOnly);
            var w = new JuteWriter(64);
            int start = w.BeginFrame();
            request.Write(w);
            w.EndFrame(start);
            await candidate.SendAsync(w.WrittenMemory, attempt.Token).ConfigureAwait(false);
            var payload = await candidate.ReceiveAsync(attempt.Token).ConfigureAwait(false);
            response = ReadConnectResponse(payload);
        }
        catch
        {
            await candidate.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        if (response.TimeOut <= 0)
        {
            await candidate.DisposeAsync().ConfigureAwait(false);
            Log.SessionExpired(logger, SessionId);
            Terminate(ConnectionState.Expired, new SessionExpiredException());
            return;
        }
        bool resumed = SessionId != 0;
        Interlocked.Exchange(ref sessionId, response.SessionId);
        Volatile.Write(ref negotiatedTimeoutMs, response.TimeOut);
        password = response.Passwd ?? new byte[16];
        connection = candidate;
        connectionStop = new CancellationTokenSource();
        int gen = ++generation;
        lastReceiveMs = lastSendMs = Environment.TickCount64;
        Log.Connected(logger, host.ToString(), response.SessionId, response.TimeOut, resumed);
        _ = ReadLoopAsync(candidate, gen, connectionStop.Token);
        _ = TickLoopAsync(gen, response.TimeOut, connectionStop.Token);

        // Auth first, then the watches, then whatever waited: the order the Java client uses.
        foreach (var entry in auths)
        {
            if (!await SendAuthAsync(entry).ConfigureAwait(false)) return;
        }
        if (!await SendSetWatchesAsync().ConfigureAwait(false)) return;
        while (connection is not null && waiting.TryDequeue(out var call))
        {
            if (!await SendCallAsync(call).ConfigureAwait(false)) return;
        }
        // The first connection is what ConnectAsync returns; no handler can be attached before it, so reporting it
        // would only reach handlers attached afterwards, late and out of place.
        SetState(response.ReadOnly ? ConnectionState.ConnectedReadOnly : ConnectionState.Connected,
            notify: firstConnected.Task.IsCompleted);
        firstConnected.TrySetResult();
    }

    private static ConnectResponse ReadConnectResponse(byte[] payload)
    {
        var r = new JuteReader(payload);
        return ConnectResponse.Read(ref r);
    }

    private async Task ReadLoopAsync(FrameConnection from, int gen, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                var payload = await from.ReceiveAsync(stop).ConfigureAwait(false);
                if (!inbox.Writer.TryWrite(new SessionMessage.Received(gen, payload))) return;
            }
        }
        catch (Exception e)
        {
            inbox.Writer.TryWrite(new SessionMessage.Lost(gen, e));
        }
    }

    private async Task TickLoopAsync(int gen, int timeoutMs, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(20, timeoutMs / 12)));
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                if (!inbox.Writer.TryWrite(new SessionMessage.Tick(gen))) return;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task DispatchAsync()
    {
        await foreach (var action in dispatch.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                Log.CallbackFailed(logger, e);
            }
        }
    }

    private void SetState(ConnectionState next, bool notify = true)
    {
        var previous = (ConnectionState)Interlocked.Exchange(ref stateValue, (int)next);
        if (previous == next || !notify) return;
        var change = new ConnectionStateChange(previous, next);
        dispatch.Writer.TryWrite(() => StateChanged?.Invoke(change));
    }
}
