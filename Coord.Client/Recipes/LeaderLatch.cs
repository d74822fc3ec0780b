using Coord.Protocol;

namespace Coord.Client.Recipes;

/// <summary>
/// Leader election among participants (Curator's LeaderLatch). Each participant creates a protected ephemeral
/// sequential <c>_c_&lt;guid&gt;-latch-</c> node under the latch path, holding its participant id; the lowest node
/// leads. A follower watches only its predecessor and the leader watches its own node, so a departure wakes one
/// participant (no herd effect). Closing the latch, closing the session or its expiry removes the node and the next
/// participant takes over.
/// </summary>
/// <remarks>
/// <para>Leadership is given up as soon as the connection is lost (<see cref="ConnectionState.Disconnected"/>, Curator's
/// SUSPENDED), because the session may expire meanwhile without the latch hearing of it; after a reconnection within
/// the session the latch checks again and leads again if its node is still the lowest (the node is kept, unlike
/// Curator, which re-creates it). If the node disappears while the session lives (someone deleted it), a new one is
/// created. After a session expiry the latch can take part again only if it was given a way to connect (the
/// constructor taking a connect function): it then opens a new session and creates a new node. Built on one given
/// client, an expiry ends the latch: <see cref="AwaitLeadershipAsync(CancellationToken)"/> throws
/// <see cref="SessionExpiredException"/>.</para>
/// <para>Concurrency: one loop task owns the participant node and does every call; <see cref="LeadershipChanged"/> is
/// raised from that loop or from the client's event dispatcher, never twice for the same transition and in the order
/// of the transitions; keep handlers short and do not block in them. A leader should pass <see cref="FencingToken"/>
/// to the resources it writes, so a deposed leader's late writes can be refused.</para>
/// </remarks>
/// <example><code>
/// await using var latch = new LeaderLatch(client, "/services/scheduler/leader", "node-a");
/// await latch.StartAsync();
/// await latch.AwaitLeadershipAsync(stopping);
/// await RunSchedulerAsync(latch.FencingToken, stopping);
/// </code></example>
public sealed class LeaderLatch : IAsyncDisposable
{
    internal const string LatchName = "latch-";
    private static readonly TimeSpan RetryBackoffMax = TimeSpan.FromSeconds(2);
    private readonly Func<CancellationToken, Task<CoordClient>>? connect;
    private readonly CancellationTokenSource closing = new();
    private readonly Action<WatchedEvent> onWatch;
    private readonly Lock gate = new();    // guards the state below
    private readonly Lock raising = new(); // held while a transition is applied and raised, so events keep its order
    private CoordClient? client;
    private TaskCompletionSource wake = NewSignal();
    private TaskCompletionSource leadership = NewSignal(); // completed while this participant leads
    private readonly TaskCompletionSource started = NewSignal();
    private Task? loop;
    private string? node;              // written only by the loop (and by close, after the loop ended)
    private string? leaving;           // a node given up by a withdrawal and not yet deleted (loop only)
    private bool isLeader;
    private bool closed;
    private bool withdrawn;            // the selector gave up its turn and has not asked to rejoin
    private TaskCompletionSource? withdrawal;
    private bool rejoinAfterWithdrawal;
    private long fencingToken;
    private int connectionEpoch;       // bumped on every state other than Connected, so a stale check cannot lead
    private Exception? failure;

    /// <summary>A latch at <paramref name="path"/> on the session of <paramref name="client"/>. The latch ends if that
    /// session expires.</summary>
    /// <param name="client">The participant's session; the latch does not dispose it.</param>
    /// <param name="path">The latch's node; participant nodes are created under it (with its parents).</param>
    /// <param name="participantId">Stored as the participant node's data, so others can see who leads.</param>
    public LeaderLatch(CoordClient client, string path, string participantId = "")
        : this(path, participantId)
    {
        ArgumentNullException.ThrowIfNull(client);
        this.client = client;
    }

    /// <summary>A latch at <paramref name="path"/> that opens its own sessions with <paramref name="connect"/>: one at
    /// start, and a new one after each expiry, so the participant takes part again (as Curator does). The latch
    /// disposes the clients it opened.</summary>
    /// <param name="connect">Opens a new session, e.g. <c>ct =&gt; CoordClient.ConnectAsync(hosts, options, ct)</c>.</param>
    /// <param name="path">The latch's node; participant nodes are created under it (with its parents).</param>
    /// <param name="participantId">Stored as the participant node's data, so others can see who leads.</param>
    public LeaderLatch(Func<CancellationToken, Task<CoordClient>> connect, string path, string participantId = "")
        : this(path, participantId)
    {
        ArgumentNullException.ThrowIfNull(connect);
        this.connect = connect;
    }

    private LeaderLatch(string path, string participantId)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(participantId);
        Path = path;
        ParticipantId = participantId;
        onWatch = _ => Signal();
    }

    /// <summary>The latch's node.</summary>
    public string Path { get; }

    /// <summary>This participant's id, stored in its node.</summary>
    public string ParticipantId { get; }

    /// <summary>The participant node's full path, or null while it has none (before start, after close, or between
    /// an expiry and the new session).</summary>
    public string? NodePath => Volatile.Read(ref node);

    /// <summary>The session the latch uses now (null before start when built with a connect function).</summary>
    public CoordClient? Client => Volatile.Read(ref client);

    /// <summary>Whether this participant leads now, as far as it knows: false from the moment the connection is lost
    /// until the latch has checked again on a live session.</summary>
    public bool HasLeadership
    {
        get
        {
            lock (gate) return isLeader;
        }
    }

    /// <summary>The czxid of this participant's node when it last became leader (0 before): strictly greater for
    /// every later leader of the latch, so a resource that remembers the highest token it has seen can refuse a
    /// deposed leader.</summary>
    public long FencingToken => Interlocked.Read(ref fencingToken);

    /// <summary>Raised with true when this participant becomes leader and with false when it stops leading (another
    /// participant may lead from then on).</summary>
    public event EventHandler<bool>? LeadershipChanged;

    /// <summary>Creates the participant node and starts following the election. Returns once the node exists and the
    /// first check has run, so <see cref="HasLeadership"/> is already meaningful.</summary>
    /// <param name="ct">Stops waiting for the first check (the latch keeps running; dispose it to leave).</param>
    /// <exception cref="InvalidOperationException">The latch was already started or closed.</exception>
    public async Task StartAsync(CancellationToken ct = default)
    {
        lock (gate)
        {
            if (loop is not null || closed) throw new InvalidOperationException($"the latch {Path} was already started or closed");
            loop = Task.CompletedTask;
        }
        if (client is not null) client.StateChanged += OnStateChanged;
        loop = Task.Run(RunAsync, CancellationToken.None);
        await started.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Completes when this participant leads (at once if it does).</summary>
    /// <param name="ct">Gives up waiting.</param>
    /// <exception cref="SessionExpiredException">The session expired and the latch has no way to open a new one.</exception>
    /// <exception cref="ObjectDisposedException">The latch was closed.</exception>
    public Task AwaitLeadershipAsync(CancellationToken ct = default)
    {
        Task leads;
        lock (gate) leads = leadership.Task;
        return leads.WaitAsync(ct);
    }

    /// <summary>Waits up to <paramref name="timeout"/> for leadership.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Gives up waiting.</param>
    /// <returns>True if this participant leads, false if it did not within <paramref name="timeout"/>.</returns>
    public async Task<bool> AwaitLeadershipAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        try
        {
            await AwaitLeadershipAsync(ct).WaitAsync(timeout, ct).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>The participants in order (the leader first), with their ids and tokens, read from the server.</summary>
    /// <param name="ct">Cancels the reads.</param>
    public Task<IReadOnlyList<LeaderParticipant>> GetParticipantsAsync(CancellationToken ct = default) =>
        GetParticipantsAsync(Client ?? throw new InvalidOperationException($"the latch {Path} is not started"), Path, ct);

    /// <summary>The current leader, or null if nobody takes part.</summary>
    /// <param name="ct">Cancels the reads.</param>
    public async Task<LeaderParticipant?> GetLeaderAsync(CancellationToken ct = default) =>
        (await GetParticipantsAsync(ct).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>The participants of the latch (or <see cref="LeaderSelector"/>) at <paramref name="path"/> in order, the
    /// leader first; for observers that do not take part. Empty if the path does not exist.</summary>
    /// <param name="client">Any session.</param>
    /// <param name="path">The latch's node.</param>
    /// <param name="ct">Cancels the reads.</param>
    public static async Task<IReadOnlyList<LeaderParticipant>> GetParticipantsAsync(CoordClient client, string path,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        IReadOnlyList<string> names;
        try
        {
            names = await client.GetChildrenAsync(path, ct: ct).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return [];
        }
        var result = new List<LeaderParticipant>();
        foreach (var name in RecipeNodes.Sorted(names, LatchName))
        {
            try
            {
                var data = await client.GetDataAsync($"{path}/{name}", ct: ct).ConfigureAwait(false);
                result.Add(new LeaderParticipant(System.Text.Encoding.UTF8.GetString(data.Data), $"{path}/{name}",
                    result.Count == 0, data.Stat.Czxid));
            }
            catch (NoNodeException)
            {
                // It left between the listing and the read; the next one in line takes its place.
            }
        }
        return result;
    }

    /// <summary>Leaves the election: stops following it and deletes the participant node, so the next participant
    /// leads. If the connection is down, the delete waits at most one session timeout (after which the server has
    /// expired the session and its node anyway). Clients the latch opened itself are disposed.</summary>
    public ValueTask CloseAsync() => DisposeAsync();

    /// <summary>Same as <see cref="CloseAsync"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        Task? running;
        lock (gate)
        {
            if (closed) return;
            closed = true;
            running = loop;
        }
        await closing.CancelAsync().ConfigureAwait(false);
        if (running is not null) await running.ConfigureAwait(false);
        Lose();
        Fail(new ObjectDisposedException(nameof(LeaderLatch), $"the latch {Path} is closed"));
        var session = Client;
        if (session is null) return;
        session.StateChanged -= OnStateChanged;
        string[] mine = [.. new[] { leaving, NodePath }.OfType<string>()];
        if (mine.Length > 0 && session.State is ConnectionState.Connected or ConnectionState.Disconnected or ConnectionState.ConnectedReadOnly)
        {
            var bound = session.SessionTimeout > TimeSpan.Zero ? session.SessionTimeout : TimeSpan.FromSeconds(10);
            using var deadline = new CancellationTokenSource(bound);
            try
            {
                foreach (var path in mine) await RecipeNodes.DeleteQuietlyAsync(session, path, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CoordException or OperationCanceledException or ObjectDisposedException)
            {
                // Not reachable within the session timeout: the session, and its ephemeral with it, is gone or going.
            }
        }
        Volatile.Write(ref node, null);
        leaving = null;
        if (connect is not null) await session.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Gives up this participant's place: the node is deleted (the next participant leads). With
    /// <paramref name="rejoin"/> a new node is created at the end of the line at once; otherwise only after
    /// <see cref="Rejoin"/>. Used by <see cref="LeaderSelector"/> when its callback returns.</summary>
    internal Task WithdrawAsync(bool rejoin)
    {
        TaskCompletionSource done;
        lock (gate)
        {
            if (closed) return Task.CompletedTask;
            if (failure is not null) return Task.FromException(failure);
            done = withdrawal ??= NewSignal();
            rejoinAfterWithdrawal = rejoin;
        }
        Signal();
        return done.Task;
    }

    /// <summary>Takes part again after <see cref="WithdrawAsync"/> without rejoin; false if the latch was not withdrawn.</summary>
    internal bool Rejoin()
    {
        lock (gate)
        {
            if (withdrawal is not null)
            {
                // Still deleting the old node: queue again right after.
                if (rejoinAfterWithdrawal) return false;
                rejoinAfterWithdrawal = true;
                return true;
            }
            if (!withdrawn) return false;
            withdrawn = false;
        }
        Signal();
        return true;
    }

    private async Task RunAsync()
    {
        int failures = 0;
        while (!closing.IsCancellationRequested)
        {
            Task signal;
            lock (gate)
            {
                if (wake.Task.IsCompleted) wake = NewSignal();
                signal = wake.Task;
            }
            try
            {
                var session = await SessionAsync(closing.Token).ConfigureAwait(false);
                await WithdrawIfAskedAsync(session, closing.Token).ConfigureAwait(false);
                bool idle;
                lock (gate) idle = withdrawn;
                if (!idle) await CheckAsync(session, closing.Token).ConfigureAwait(false);
                failures = 0;
                started.TrySetResult();
                await signal.WaitAsync(closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (closing.IsCancellationRequested)
            {
                return;
            }
            catch (SessionExpiredException) when (connect is not null)
            {
                // The next pass opens a new session and creates a new node.
                Lose();
                Volatile.Write(ref node, null);
            }
            catch (Exception e) when (e is SessionExpiredException or ObjectDisposedException || e is not (CoordException or TimeoutException))
            {
                Fail(e);
                return;
            }
            catch (Exception)
            {
                // A connection loss that outlasted the client's retries, or a server error: look again soon, or at
                // once when the connection is back (the state handler signals).
                Lose();
                var backoff = TimeSpan.FromMilliseconds(Math.Min(RetryBackoffMax.TotalMilliseconds, 50 << Math.Min(failures++, 6)));
                try
                {
                    await signal.WaitAsync(backoff, closing.Token).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The client to use: the given one, or after an expiry a fresh one from <see cref="connect"/>.</summary>
    private async Task<CoordClient> SessionAsync(CancellationToken ct)
    {
        var current = Client;
        if (current is not null && current.State is not (ConnectionState.Expired or ConnectionState.Closed)) return current;
        if (connect is null)
        {
            if (current?.State == ConnectionState.Expired) throw new SessionExpiredException();
            throw new ObjectDisposedException(nameof(CoordClient), "the latch's client is closed");
        }
        if (current is not null)
        {
            current.StateChanged -= OnStateChanged;
            Volatile.Write(ref node, null);
            await current.DisposeAsync().ConfigureAwait(false);
        }
        var fresh = await connect(ct).ConfigureAwait(false);
        fresh.StateChanged += OnStateChanged;
        Volatile.Write(ref client, fresh);
        if (fresh.State != ConnectionState.Connected) Lose(); // a state change before the subscription
        return fresh;
    }

    private async Task WithdrawIfAskedAsync(CoordClient session, CancellationToken ct)
    {
        TaskCompletionSource? request;
        lock (gate) request = withdrawal;
        if (request is null) return;
        Lose();
        if (leaving is null)
        {
            leaving = NodePath;
            Volatile.Write(ref node, null);
        }
        bool rejoin;
        lock (gate) rejoin = rejoinAfterWithdrawal;
        // Queue again before leaving, so the new node is behind everyone in line now and leadership rotates; the old
        // node, still the lowest, keeps the others waiting until it is deleted.
        if (rejoin && NodePath is null) await CreateNodeAsync(session, ct).ConfigureAwait(false);
        if (leaving is not null) await RecipeNodes.DeleteQuietlyAsync(session, leaving, ct).ConfigureAwait(false);
        leaving = null;
        lock (gate)
        {
            withdrawn = !rejoinAfterWithdrawal;
            withdrawal = null;
        }
        request.TrySetResult();
    }

    /// <summary>One look at the election: lead if lowest, else watch the predecessor. Any change signals the loop.</summary>
    private async Task CheckAsync(CoordClient session, CancellationToken ct)
    {
        int epoch;
        lock (gate) epoch = connectionEpoch;
        string mine = NodePath ?? await CreateNodeAsync(session, ct).ConfigureAwait(false);
        List<string> children;
        try
        {
            children = RecipeNodes.Sorted(await session.GetChildrenAsync(Path, ct: ct).ConfigureAwait(false), LatchName);
        }
        catch (NoNodeException)
        {
            children = []; // the latch path itself was deleted: our node went with it
        }
        int index = children.IndexOf(RecipeNodes.Name(mine));
        if (index < 0)
        {
            // Deleted behind our back while the session lives: take part again with a new node.
            Lose();
            Volatile.Write(ref node, null);
            Signal();
            return;
        }
        try
        {
            if (index == 0)
            {
                // The leader watches its own node, to notice if it is deleted.
                var own = await session.GetDataAsync(mine, onWatch, ct).ConfigureAwait(false);
                Gain(session, epoch, own.Stat.Czxid);
            }
            else
            {
                Lose();
                await session.GetDataAsync($"{Path}/{children[index - 1]}", onWatch, ct).ConfigureAwait(false);
            }
        }
        catch (NoNodeException)
        {
            Signal(); // gone between the listing and the watch: look again
        }
    }

    private async Task<string> CreateNodeAsync(CoordClient session, CancellationToken ct)
    {
        string created = await RecipeNodes.CreateProtectedAsync(session, Path, LatchName, CreateMode.EphemeralSequential,
            System.Text.Encoding.UTF8.GetBytes(ParticipantId), ct).ConfigureAwait(false);
        Volatile.Write(ref node, created);
        return created;
    }

    private void OnStateChanged(object? sender, ConnectionStateChange change)
    {
        if (!ReferenceEquals(sender, Client)) return;
        if (change.Current == ConnectionState.Connected)
        {
            Signal(); // reconnected: check whether we (still) lead
            return;
        }
        lock (gate) connectionEpoch++;
        Lose();
        if (change.Current is ConnectionState.Expired or ConnectionState.Closed) Signal();
    }

    private void Gain(CoordClient session, int epoch, long czxid)
    {
        lock (raising)
        {
            TaskCompletionSource signal;
            lock (gate)
            {
                if (isLeader || closed || epoch != connectionEpoch || session.State != ConnectionState.Connected) return;
                isLeader = true;
                Interlocked.Exchange(ref fencingToken, czxid);
                signal = leadership;
            }
            // Handlers first, then the waiters: code that resumes after AwaitLeadershipAsync sees what they did.
            LeadershipChanged?.Invoke(this, true);
            lock (gate)
            {
                if (isLeader && ReferenceEquals(leadership, signal)) signal.TrySetResult();
            }
        }
    }

    private void Lose()
    {
        lock (raising)
        {
            lock (gate)
            {
                if (!isLeader) return;
                isLeader = false;
                if (leadership.Task.IsCompleted) leadership = NewSignal();
            }
            LeadershipChanged?.Invoke(this, false);
        }
    }

    /// <summary>Ends the latch: waiters for leadership, start and withdrawal fail with <paramref name="error"/>.</summary>
    private void Fail(Exception error)
    {
        Lose();
        TaskCompletionSource? request;
        lock (gate)
        {
            failure ??= error;
            if (leadership.Task.IsCompleted) leadership = NewSignal();
            leadership.TrySetException(failure);
            request = withdrawal;
            withdrawal = null;
        }
        started.TrySetException(error);
        request?.TrySetException(error);
    }

    private void Signal()
    {
        lock (gate) wake.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>One participant of a <see cref="LeaderLatch"/> or <see cref="LeaderSelector"/>, as read from the server.</summary>
/// <param name="Id">The participant id stored in its node.</param>
/// <param name="NodePath">Its node's full path.</param>
/// <param name="IsLeader">Whether its node is the lowest (it leads, or is about to once it has seen so).</param>
/// <param name="FencingToken">Its node's czxid: the fencing token it leads with.</param>
public sealed record LeaderParticipant(string Id, string NodePath, bool IsLeader, long FencingToken);
