namespace Coord.Client.Recipes;

/// <summary>
/// Runs a callback while this participant leads (Curator's LeaderSelector). The election is a
/// <see cref="LeaderLatch"/>: the lowest participant node leads and each participant watches only its predecessor.
/// When the callback returns, leadership is given up (the node is deleted and the next participant leads); with
/// <see cref="AutoRequeue"/> the participant queues again at the end of the line, so leadership rotates.
/// </summary>
/// <remarks>
/// The callback's <see cref="CancellationToken"/> is cancelled as soon as leadership may be lost: on a connection
/// loss (the session may expire meanwhile and another participant lead), on expiry, if the node is deleted, and when
/// the selector is closed. The callback should then stop touching what the leader guards and return; the selector
/// waits for it to return before it queues again. Guarded resources should check
/// <see cref="LeadershipContext.FencingToken"/>. An exception thrown by the callback ends that turn like a return and is
/// reported through <see cref="LeadershipFailed"/>.
/// </remarks>
/// <example><code>
/// await using var selector = new LeaderSelector(client, "/services/compactor/leader", async (turn, ct) =>
/// {
///     while (!ct.IsCancellationRequested) await CompactNextAsync(turn.FencingToken, ct);
/// }, participantId: Environment.MachineName) { AutoRequeue = true };
/// await selector.StartAsync();
/// </code></example>
public sealed class LeaderSelector : IAsyncDisposable
{
    private readonly LeaderLatch latch;
    private readonly Func<LeadershipContext, CancellationToken, Task> lead;
    private readonly CancellationTokenSource closing = new();
    private readonly Lock gate = new();
    private LeadershipContext? current;
    private Task? loop;
    private int turns;

    /// <summary>A selector at <paramref name="path"/> on the session of <paramref name="client"/>; it stops taking
    /// part if that session expires.</summary>
    /// <param name="client">The participant's session; the selector does not dispose it.</param>
    /// <param name="path">The election's node; participant nodes are created under it.</param>
    /// <param name="lead">Runs while this participant leads; leadership is given up when it returns.</param>
    /// <param name="participantId">Stored in the participant node, so others can see who leads.</param>
    public LeaderSelector(CoordClient client, string path, Func<LeadershipContext, CancellationToken, Task> lead,
        string participantId = "")
    {
        ArgumentNullException.ThrowIfNull(lead);
        latch = new LeaderLatch(client, path, participantId);
        this.lead = lead;
    }

    /// <summary>A selector at <paramref name="path"/> that opens its own sessions with <paramref name="connect"/> (a new
    /// one after each expiry, so it keeps taking part); it disposes the clients it opened.</summary>
    /// <param name="connect">Opens a new session.</param>
    /// <param name="path">The election's node; participant nodes are created under it.</param>
    /// <param name="lead">Runs while this participant leads; leadership is given up when it returns.</param>
    /// <param name="participantId">Stored in the participant node, so others can see who leads.</param>
    public LeaderSelector(Func<CancellationToken, Task<CoordClient>> connect, string path,
        Func<LeadershipContext, CancellationToken, Task> lead, string participantId = "")
    {
        ArgumentNullException.ThrowIfNull(lead);
        latch = new LeaderLatch(connect, path, participantId);
        this.lead = lead;
    }

    /// <summary>Whether to queue again when the callback returns (true), or to wait for <see cref="Requeue"/> (false,
    /// the default, as in Curator).</summary>
    public bool AutoRequeue { get; set; }

    /// <summary>The election's node.</summary>
    public string Path => latch.Path;

    /// <summary>This participant's id.</summary>
    public string ParticipantId => latch.ParticipantId;

    /// <summary>Whether the callback is running and this participant still leads.</summary>
    public bool HasLeadership
    {
        get
        {
            lock (gate) return current is not null && latch.HasLeadership;
        }
    }

    /// <summary>The fencing token of this participant's latest leadership (0 before it first led).</summary>
    public long FencingToken => latch.FencingToken;

    /// <summary>Raised when the callback throws (other than being cancelled); that turn ends as if it had returned.</summary>
    public event EventHandler<Exception>? LeadershipFailed;

    /// <summary>Joins the election; the callback runs whenever this participant leads. Returns once its node exists.</summary>
    /// <param name="ct">Stops waiting for the node (the selector keeps running; dispose it to leave).</param>
    public async Task StartAsync(CancellationToken ct = default)
    {
        await latch.StartAsync(ct).ConfigureAwait(false);
        lock (gate) loop ??= Task.Run(RunAsync, CancellationToken.None);
    }

    /// <summary>Queues again after a turn ended without <see cref="AutoRequeue"/>.</summary>
    /// <returns>False if this participant is already queued or leading.</returns>
    public bool Requeue() => latch.Rejoin();

    /// <summary>The participants in order, the leader first.</summary>
    /// <param name="ct">Cancels the reads.</param>
    public Task<IReadOnlyList<LeaderParticipant>> GetParticipantsAsync(CancellationToken ct = default) => latch.GetParticipantsAsync(ct);

    /// <summary>Leaves the election: cancels a running callback, waits for it to return and deletes the node.</summary>
    public async ValueTask DisposeAsync()
    {
        if (closing.IsCancellationRequested) return;
        await closing.CancelAsync().ConfigureAwait(false);
        Task? running;
        lock (gate) running = loop;
        if (running is not null) await running.ConfigureAwait(false);
        await latch.DisposeAsync().ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        while (!closing.IsCancellationRequested)
        {
            try
            {
                await latch.AwaitLeadershipAsync(closing.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                return; // closed, or the latch ended (session expired without a way to reconnect)
            }
            await LeadOnceAsync().ConfigureAwait(false);
            try
            {
                await latch.WithdrawAsync(rejoin: AutoRequeue).WaitAsync(closing.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                return;
            }
        }
    }

    /// <summary>Runs the callback once, with a token that is cancelled when leadership may be lost.</summary>
    private async Task LeadOnceAsync()
    {
        using var turn = CancellationTokenSource.CreateLinkedTokenSource(closing.Token);
        void OnChange(object? sender, bool leads)
        {
            if (leads) return;
            try
            {
                // Asynchronously: callbacks registered on the token must not run on the client's event dispatcher.
                _ = turn.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // The turn already ended.
            }
        }
        latch.LeadershipChanged += OnChange;
        try
        {
            if (!latch.HasLeadership) return; // lost between the wake-up and the subscription
            var context = new LeadershipContext(latch.ParticipantId, latch.NodePath ?? "", latch.FencingToken,
                Interlocked.Increment(ref turns));
            lock (gate) current = context;
            await lead(context, turn.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (turn.IsCancellationRequested)
        {
            // Leadership was lost or the selector closed; the callback stopped as asked.
        }
        catch (Exception e)
        {
            LeadershipFailed?.Invoke(this, e);
        }
        finally
        {
            latch.LeadershipChanged -= OnChange;
            lock (gate) current = null;
        }
    }
}

/// <summary>What a <see cref="LeaderSelector"/> callback knows about its turn as leader.</summary>
/// <param name="ParticipantId">This participant's id.</param>
/// <param name="NodePath">The participant node that leads.</param>
/// <param name="FencingToken">The node's czxid: strictly greater for every later leader; pass it to guarded resources.</param>
/// <param name="Turn">1 for this selector's first turn as leader, then 2, 3, ...</param>
public sealed record LeadershipContext(string ParticipantId, string NodePath, long FencingToken, int Turn);
