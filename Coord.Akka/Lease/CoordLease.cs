using System.Diagnostics;
using System.Text;
using Akka.Actor;
using Akka.Coordination;
using Akka.Event;
using Coord.Client;
using Coord.Protocol;

namespace Coord.Akka.Lease;

/// <summary>
/// An Akka.Coordination <see cref="global::Akka.Coordination.Lease"/> backed by one ephemeral node per lease name,
/// <c>{root}/{lease name}</c>, owned by this lease's own session. Usable by the split brain resolver's
/// <c>lease-majority</c>, by Cluster Singleton (<c>use-lease</c>) and by Cluster Sharding.
/// </summary>
/// <remarks>
/// <para>Acquire creates the node (data: the owner name); it is this lease's while the node's ephemeral owner is
/// this session. Another owner's node means <c>false</c>. The fencing token is the node's czxid: every later holder's
/// node is created by a later transaction, so tokens only grow.</para>
/// <para>While held, the lease confirms every heartbeat interval (capped at a quarter of the negotiated session
/// timeout) that the node is still its own, and keeps a <see cref="LeaseWindow"/>: it is valid until
/// <c>safe-fraction × session timeout</c> after the newest confirmation was sent. The lease is lost (the callback
/// runs, <see cref="CheckLease"/> turns false, the session is closed so the node goes at once if the server still
/// holds it) when the window closes without a confirmation, when the session expires or closes, or when the node is
/// gone or not ours. That happens before the server can expire the session, so before another owner can acquire.</para>
/// <para><see cref="CheckLease"/> is true only while the node is ours, the session is connected and the window is
/// open. Acquire and release are serialized per instance and bounded by <c>lease-operation-timeout</c>.</para>
/// </remarks>
public sealed class CoordLease : global::Akka.Coordination.Lease, IAsyncDisposable
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    private readonly CoordLeaseSettings options;
    private readonly CoordAkkaSettings common;
    private readonly ILoggingAdapter log;
    private readonly SemaphoreSlim operations = new(1, 1);
    private readonly byte[] ownerBytes;
    private CoordClient? client;
    private volatile Holding? holding;
    private bool disposed;

    /// <summary>Called by Akka's <see cref="LeaseProvider"/>.</summary>
    /// <param name="settings">Lease name, owner, timeouts and the lease's config.</param>
    /// <param name="system">The ActorSystem; its termination closes the lease's session.</param>
    public CoordLease(LeaseSettings settings, ExtendedActorSystem system)
        : base(settings)
    {
        ArgumentNullException.ThrowIfNull(system);
        common = CoordAkkaSettings.Create(system);
        options = CoordLeaseSettings.Create(settings, common);
        NodePath = options.NodePath(settings.LeaseName);
        ownerBytes = Encoding.UTF8.GetBytes(settings.OwnerName ?? "");
        log = Logging.GetLogger(system, typeof(CoordLease));
        system.RegisterOnTermination(() => _ = DisposeAsync().AsTask());
    }

    internal static long NowMs => Clock.ElapsedMilliseconds;

    /// <summary>The lease's node.</summary>
    public string NodePath { get; }

    /// <summary>The czxid of the node while this lease holds it (grows with every new holder), else null.</summary>
    public long? FencingToken => holding is { IsLost: false } h ? h.Token : null;

    /// <summary>The holder's current window (for diagnostics), or null when not held.</summary>
    public LeaseWindow? Window => holding is { IsLost: false } h ? h.Window : null;

    /// <inheritdoc />
    public override Task<bool> Acquire() => Acquire(null!);

    /// <inheritdoc />
    public override Task<bool> Acquire(Action<Exception> leaseLostCallback)
    {
        var returned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = BoundedAsync(ct => AcquireCoreAsync(leaseLostCallback, returned.Task, ct), "acquire");
        // Akka's contract: the lost callback never runs before acquire's task has completed.
        task.ContinueWith(_ => returned.TrySetResult(), TaskScheduler.Default);
        return task;
    }

    /// <inheritdoc />
    public override Task<bool> Release() => BoundedAsync(ReleaseCoreAsync, "release");

    /// <inheritdoc />
    public override bool CheckLease() =>
        holding is { IsLost: false, Connected: true } h && h.Window.IsValidAt(NowMs);

    private async Task<bool> BoundedAsync(Func<CancellationToken, Task<bool>> operation, string what)
    {
        using var timeout = new CancellationTokenSource(options.OperationTimeout);
        try
        {
            await operations.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new LeaseTimeoutException($"lease {Settings.LeaseName}: {what} timed out after {options.OperationTimeout} waiting for an earlier operation");
        }

        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return await operation(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new LeaseTimeoutException($"lease {Settings.LeaseName}: {what} timed out after {options.OperationTimeout} (Coord at {options.ConnectString} not answering)");
        }
        catch (CoordException e)
        {
            throw new LeaseException($"lease {Settings.LeaseName}: {what} failed: {e.Message}", e);
        }
        finally
        {
            operations.Release();
        }
    }

    private async Task<bool> AcquireCoreAsync(Action<Exception>? lost, Task acquireReturned, CancellationToken ct)
    {
        if (holding is { IsLost: false } held)
        {
            // Re-entrant: the same lease instance acquiring again keeps its node (and takes the newer callback).
            held.Callback = lost ?? held.Callback;
            return true;
        }

        for (var attempt = 0; ; attempt++)
        {
            var session = await SessionAsync(ct).ConfigureAwait(false);
            var sentAt = NowMs;
            try
            {
                var created = await session.CreateWithStatAsync(NodePath, ownerBytes, mode: CreateMode.Ephemeral, ct: ct).ConfigureAwait(false);
                return Hold(session, created.Stat!.Value, sentAt, lost, acquireReturned);
            }
            catch (NoNodeException) when (attempt < 3)
            {
                await Nodes.EnsurePathAsync(session, options.Root, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NodeExistsException or ConnectionLossException)
            {
                // Someone's node is there, or our create may have been applied before the connection dropped.
                var stat = await session.ExistsAsync(NodePath, ct: ct).ConfigureAwait(false);
                if (stat is { } s && s.EphemeralOwner == session.SessionId) return Hold(session, s, sentAt, lost, acquireReturned);
                // Another owner held it when we tried (it may have released since: the caller tries again later).
                if (stat is not null || e is NodeExistsException) return false;
                if (attempt >= 3) throw; // our create was not applied, three times over
            }
            catch (SessionExpiredException) when (attempt < 3)
            {
                await DropSessionAsync(session).ConfigureAwait(false);
            }
        }
    }

    private bool Hold(CoordClient session, Stat stat, long sentAtMs, Action<Exception>? lost, Task acquireReturned)
    {
        var timeoutMs = (long)session.SessionTimeout.TotalMilliseconds;
        var h = new Holding(this, session, stat.Czxid, stat.Version,
            new LeaseWindow(sentAtMs, timeoutMs, options.SafeFraction),
            LeaseWindow.HeartbeatMs((long)options.HeartbeatInterval.TotalMilliseconds, timeoutMs), lost, acquireReturned);
        holding = h;
        h.Start();
        log.Debug("lease {0}: acquired by {1} (token {2}, session 0x{3:x}, timeout {4} ms)", Settings.LeaseName, Settings.OwnerName, stat.Czxid, session.SessionId, timeoutMs);
        return true;
    }

    private async Task<bool> ReleaseCoreAsync(CancellationToken ct)
    {
        if (holding is not { } h || h.IsLost) return false;
        h.End();
        holding = null;
        try
        {
            // Only this session can remove its ephemeral node, so a delete from it cannot hit another owner's node.
            await h.Session.DeleteAsync(NodePath, h.Version, ct).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            // already gone (the session ended meanwhile)
        }
        catch (Exception e) when (e is SessionExpiredException or ConnectionLossException or OperationCanceledException)
        {
            // Not sure the node went: close the session, which removes it at once or at expiry.
            await DropSessionAsync(h.Session).ConfigureAwait(false);
            if (e is OperationCanceledException) throw;
        }

        log.Debug("lease {0}: released by {1}", Settings.LeaseName, Settings.OwnerName);
        return true;
    }

    private async Task<CoordClient> SessionAsync(CancellationToken ct)
    {
        if (client is { State: ConnectionState.Connected or ConnectionState.Disconnected } live) return live;
        if (client is { } dead) await DropSessionAsync(dead).ConfigureAwait(false);
        var fresh = await CoordClient.ConnectAsync(options.ConnectString, common.ClientOptions(options.SessionTimeout), ct).ConfigureAwait(false);
        fresh.StateChanged += (_, change) => holding?.OnStateChanged(fresh, change.Current);
        client = fresh;
        return fresh;
    }

    private async Task DropSessionAsync(CoordClient session)
    {
        // The next acquire opens a fresh session; this one is closed whether or not it was still the current one.
        Interlocked.CompareExchange(ref client, null, session);
        try
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            log.Debug("lease {0}: closing the session: {1}", Settings.LeaseName, e.Message);
        }
    }

    private void OnLost(Holding h, string reason)
    {
        if (ReferenceEquals(holding, h)) holding = null;
        log.Warning("lease {0}: lost by {1} (token {2}): {3}", Settings.LeaseName, Settings.OwnerName, h.Token, reason);
        // Close the session: if the server still holds it, the node goes now instead of at expiry.
        _ = DropSessionAsync(h.Session);
    }

    /// <summary>Ends the lease's session (its node goes with it) without running the lost callback.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed) return;
        disposed = true;
        holding?.End();
        holding = null;
        if (client is { } c) await DropSessionAsync(c).ConfigureAwait(false);
    }

    /// <summary>One holding of the lease: its session, token and window, and the loop that confirms it.</summary>
    private sealed class Holding(CoordLease lease, CoordClient session, long token, int version, LeaseWindow window,
        long heartbeatMs, Action<Exception>? callback, Task acquireReturned)
    {
        private readonly CancellationTokenSource stop = new();
        private readonly SemaphoreSlim wake = new(0, 1);
        private int ended;

        public CoordClient Session { get; } = session;
        public long Token { get; } = token;
        public int Version { get; } = version;
        public LeaseWindow Window { get; private set; } = window;
        public Action<Exception>? Callback { get; set; } = callback;
        public bool Connected { get; private set; } = session.State == ConnectionState.Connected;
        public bool IsLost => Volatile.Read(ref ended) != 0;

        public void Start() => _ = Task.Run(ConfirmLoopAsync);

        public void End()
        {
            if (Interlocked.Exchange(ref ended, 1) == 0) stop.Cancel();
        }

        public void OnStateChanged(CoordClient from, ConnectionState state)
        {
            if (!ReferenceEquals(from, Session)) return;
            Connected = state == ConnectionState.Connected;
            switch (state)
            {
                case ConnectionState.Expired:
                case ConnectionState.Closed:
                    Lose($"session 0x{Session.SessionId:x} {state.ToString().ToLowerInvariant()}");
                    break;
                case ConnectionState.Connected:
                    Wake(); // confirm at once that the node survived the disconnection
                    break;
            }
        }

        private void Wake()
        {
            try
            {
                wake.Release();
            }
            catch (SemaphoreFullException)
            {
            }
        }

        private async Task ConfirmLoopAsync()
        {
            try
            {
                while (!IsLost)
                {
                    var now = NowMs;
                    if (!Window.IsValidAt(now))
                    {
                        Lose($"not confirmed for {now - Window.ConfirmedSentAtMs} ms, {lease.options.SafeFraction:0.##} of the {Window.SessionTimeoutMs} ms session timeout: the server may expire the session soon");
                        return;
                    }

                    // Sleep a heartbeat (or until reconnected), never past the deadline.
                    await wake.WaitAsync(TimeSpan.FromMilliseconds(Math.Min(heartbeatMs, Window.DeadlineMs - now)), stop.Token).ConfigureAwait(false);
                    now = NowMs;
                    if (!Window.IsValidAt(now)) continue;

                    using var bound = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                    bound.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, Window.DeadlineMs - now)));
                    var sentAt = NowMs;
                    Stat? stat;
                    try
                    {
                        stat = await Session.ExistsAsync(lease.NodePath, ct: bound.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is ConnectionLossException or OperationCanceledException)
                    {
                        continue; // the deadline check at the top decides
                    }
                    catch (SessionExpiredException)
                    {
                        Lose($"session 0x{Session.SessionId:x} expired");
                        return;
                    }

                    if (stat is not { } s || s.EphemeralOwner != Session.SessionId || s.Czxid != Token)
                    {
                        Lose(stat is null ? "the lease node was deleted" : "the lease node belongs to another session");
                        return;
                    }

                    Window = Window.Confirmed(sentAt);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                Lose($"unexpected failure while confirming: {e.Message}");
            }
        }

        private void Lose(string reason)
        {
            if (Interlocked.Exchange(ref ended, 1) != 0) return;
            stop.Cancel();
            lease.OnLost(this, reason);
            var notify = Callback;
            if (notify is null) return;
            _ = acquireReturned.ContinueWith(_ =>
            {
                try
                {
                    notify(new LeaseException($"lease {lease.Settings.LeaseName} lost: {reason}"));
                }
                catch (Exception e)
                {
                    lease.log.Error(e, "lease {0}: the lost-lease callback threw", lease.Settings.LeaseName);
                }
            }, TaskScheduler.Default);
        }
    }
}
