using System.Text;
using Coord.Chaos.History;
using Coord.Client;
using Coord.Protocol;

namespace Coord.Chaos.Recording;

/// <param name="Clients">Sessions running at once, each one op at a time.</param>
/// <param name="Keys">Registers (znodes) the clients share.</param>
/// <param name="OpsPerClient">Ops each client issues.</param>
/// <param name="Seed">Chooses each client's ops.</param>
public sealed record WorkloadOptions(int Clients = 8, int Keys = 4, int OpsPerClient = 300, int Seed = 1)
{
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How many of the clients run the lock recipe instead of the mixed ops (0 = none).</summary>
    public int Lockers { get; init; } = 3;

    /// <summary>
    /// After the clients stop: for each of these hosts (a member's host:port), a session on it alone syncs and reads
    /// every node the workload wrote (keys, queue, counter, lock, resource, every ephemeral), recorded in the same
    /// history as a final reader — so a write acknowledged during the run and missing on any member after the faults
    /// healed, or an ephemeral that outlived its session, is a violation.
    /// </summary>
    public IReadOnlyList<string> FinalReadHosts { get; init; } = [];

    /// <summary>A client whose session expired or closed connects again with a new session and goes on (chaos runs).</summary>
    public bool Reconnect { get; init; }

    /// <summary>A pause between a client's ops (chaos runs: keeps a run's history to a size the checker decides quickly).</summary>
    public TimeSpan ThinkTime { get; init; }

    /// <summary>How long one op may take before the client gives up on it (outcome unknown).</summary>
    public TimeSpan OpTimeout { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// The chaos workload, recorded as a history (issue 13 item 2), under a fresh root:
/// <list type="bullet">
/// <item>mixed clients: versioned registers (getData, exists, setData with the version last seen, multis of check and
/// set), a sequential queue, sync then read, a counter incremented by compare-and-set, ephemerals of their own
/// (`eph/e-{session}-{n}`) and synced exists of everyone's; every read leaves a one-time watch, and every watch event is
/// recorded at its place among the session's replies (<see cref="SessionTap"/>);</item>
/// <item><see cref="WorkloadOptions.Lockers"/> clients run the lock recipe and write the guarded resource with their
/// fencing token (<see cref="Locker"/>).</item>
/// </list>
/// The client's own retries are off: a retried versioned write that had applied would come back as BADVERSION and the
/// history would lie. Connection loss, timeouts and expiry are recorded as unknown outcomes; a session that expires is
/// recorded as an expired closeSession and replaced. When the workload stops, each live mixed session syncs and re-reads
/// every path it still has a watch on (a lost event shows as a read of newer data with the watch unfired), then closes.
/// </summary>
public static partial class Workload
{
    /// <summary>The nodes of one run.</summary>
    internal sealed record Layout(string Root, string[] Keys, string Queue, string Counter, string Ephemerals, string Lock, string Resource);

    /// <summary>What the clients share: ephemeral paths created so far (for others to look for).</summary>
    internal sealed class Shared
    {
        private readonly List<string> ephemerals = [];

        public void AddEphemeral(string path)
        {
            lock (ephemerals) ephemerals.Add(path);
        }

        public string? PickEphemeral(Random random)
        {
            lock (ephemerals) return ephemerals.Count == 0 ? null : ephemerals[random.Next(ephemerals.Count)];
        }

        public List<string> Ephemerals()
        {
            lock (ephemerals) return [.. ephemerals];
        }
    }

    // Reads (the exists after a create that may have applied) retry by the client's policy; creates by CreateOrFindAsync.
    private static readonly RetryPolicy SetupRetries = new(20, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));

    /// <summary>
    /// Creates a node of a fresh root, trying again after a lost connection (up to ~20 s); when a later try finds the
    /// node there (an earlier one applied), its stat.
    /// </summary>
    private static async Task<Stat?> CreateOrFindAsync(CoordClient client, string path, byte[]? data, bool mayExist, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return (await client.CreateWithStatAsync(path, data, ct: ct).ConfigureAwait(false)).Stat;
            }
            catch (NodeExistsException) when (attempt > 1 || mayExist)
            {
                return await client.ExistsAsync(path, ct: ct).ConfigureAwait(false);
            }
            catch (ConnectionLossException) when (attempt < 40)
            {
                await Task.Delay(500, ct).ConfigureAwait(false);
            }
        }
    }

    private static async Task SetupAsync(string connectString, CoordClientOptions options, string root, Layout layout, HistoryRecorder recorder,
        bool mayExist, CancellationToken ct)
    {
        await using var setup = await CoordClient.ConnectAsync(connectString, options, ct).ConfigureAwait(false);
        var rootStat = await CreateOrFindAsync(setup, root, null, mayExist, ct).ConfigureAwait(false);
        var nodes = new List<(string Path, string Data)>();
        nodes.AddRange(layout.Keys.Select(k => (k, "")));
        nodes.AddRange([(layout.Queue, ""), (layout.Counter, "0"), (layout.Ephemerals, ""), (layout.Lock, ""), (layout.Resource, "-1:init")]);
        var inits = new List<InitNode>();
        foreach (var (path, data) in nodes)
        {
            var created = await CreateOrFindAsync(setup, path, Encoding.UTF8.GetBytes(data), mayExist, ct).ConfigureAwait(false);
            inits.Add(new InitNode { Path = path, Data = data, Czxid = created?.Czxid, Mzxid = created?.Mzxid });
        }

        // Recorded only once the whole setup stood, so a setup tried again records its nodes once.
        foreach (var init in inits) recorder.AddInit(init);
        recorder.AddInit(new InitNode
        {
            Path = root, Czxid = rootStat?.Czxid, ChildCreates = nodes.Count, Children = [.. nodes.Select(n => n.Path[(root.Length + 1)..])],
        });
    }

    public static async Task<OpHistory> RunAsync(string connectString, WorkloadOptions options, CancellationToken ct = default)
    {
        var clientOptions = new CoordClientOptions { SessionTimeout = options.SessionTimeout, RetryPolicy = RetryPolicy.None };
        var recorder = new HistoryRecorder();
        var root = $"/chaos-{Guid.NewGuid():N}";
        var layout = new Layout(root, [.. Enumerable.Range(0, options.Keys).Select(i => $"{root}/k{i}")], $"{root}/q", $"{root}/counter",
            $"{root}/eph", $"{root}/lock", $"{root}/resource");
        // The setup is not part of the history (it is the init records), so unlike the recorded ops it may retry: the
        // ensemble can still be settling from the last schedule's heal, and a lost connection here is not a finding.
        // A setup session can expire too when the ensemble needs longer than a session timeout to serve again (a
        // loaded machine); a new one goes on where it stopped, finding what the old one created.
        for (int setupTry = 1; ; setupTry++)
        {
            try
            {
                await SetupAsync(connectString, clientOptions with { RetryPolicy = SetupRetries }, root, layout, recorder, mayExist: setupTry > 1, ct)
                    .ConfigureAwait(false);
                break;
            }
            catch (SessionExpiredException) when (setupTry < 3)
            {
            }
        }

        recorder.AddRole(new RoleRecord { Role = Role.Counter, Path = layout.Counter });
        if (options.Lockers > 0) recorder.AddRole(new RoleRecord { Role = Role.Lock, Path = layout.Lock, Resource = layout.Resource });
        var shared = new Shared();
        await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(i => Task.Run(
            () => RunSessionsAsync(connectString, clientOptions, i, i >= options.Clients - options.Lockers, recorder, layout, shared, options, ct),
            CancellationToken.None))).ConfigureAwait(false);

        foreach (var host in options.FinalReadHosts)
            await FinalReadsAsync(host, recorder, layout, shared, clientOptions, host == options.FinalReadHosts[0]).ConfigureAwait(false);
        return recorder.Snapshot();
    }

    /// <summary>One client slot: a session, and after it expires (with <see cref="WorkloadOptions.Reconnect"/>) the next.</summary>
    private static async Task RunSessionsAsync(string connectString, CoordClientOptions clientOptions, int index, bool locker, HistoryRecorder recorder,
        Layout layout, Shared shared, WorkloadOptions options, CancellationToken ct)
    {
        for (var generation = 0; !ct.IsCancellationRequested; generation++)
        {
            var tap = new SessionTap(recorder);
            CoordClient client;
            try
            {
                client = await CoordClient.ConnectAsync(connectString, tap.Options(clientOptions), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException || (e is ConnectionLossException && options.Reconnect))
            {
                if (ct.IsCancellationRequested) return;
                continue;
            }

            tap.Session = client.SessionId;
            tap.AliveSince = recorder.Clock.Next();
            var random = new Random(HashCode.Combine(options.Seed, index, generation));
            try
            {
                if (locker) await new Locker(client, tap, recorder, layout, options, random).RunAsync(ct).ConfigureAwait(false);
                else await new Mixed(client, tap, recorder, layout, shared, options, random, index).RunAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                await EndSessionAsync(client, tap, recorder).ConfigureAwait(false);
            }

            if (!options.Reconnect) return;
        }
    }

    /// <summary>
    /// Records how the session ended. A close the server acknowledged is a plain closeSession, from when DisposeAsync sent
    /// it. Anything else is recorded as an expiry (closeSession, expired, outcome unknown) from when the session was last
    /// known alive: the client may have seen its session expire, or the close may have been lost; and a client that is
    /// reconnecting (or attached to a member that has not applied the expiry yet) does not know that the leader already
    /// expired its session, perhaps long before this call. Stamping such a close now would claim the session's ephemerals
    /// lived until now, and a read by another session that saw them gone meanwhile would look like a violation.
    /// </summary>
    private static async Task EndSessionAsync(CoordClient client, SessionTap tap, HistoryRecorder recorder)
    {
        var op = new HistoryOp { Id = 0, Session = tap.Session, Invoke = 0, Kind = OpKind.CloseSession, Outcome = Outcome.Unknown };
        if (client.State != ConnectionState.Expired)
        {
            var closeInvoke = recorder.Clock.Next();
            await client.DisposeAsync().ConfigureAwait(false);
            if (tap.CloseAcknowledged)
            {
                recorder.Record(op with { Invoke = closeInvoke, Complete = recorder.Clock.Next(), Outcome = Outcome.Ok });
                return;
            }

            recorder.Record(op with { Invoke = tap.AliveSince, Complete = recorder.Clock.Next(), Expired = true });
            return;
        }

        recorder.Record(op with { Invoke = tap.AliveSince, Complete = recorder.Clock.Next(), Expired = true });
        await client.DisposeAsync().ConfigureAwait(false);
    }

    internal static HistoryOp Op(long session, OpKind kind, string? path) =>
        new() { Id = 0, Session = session, Invoke = 0, Kind = kind, Path = path, Outcome = Outcome.Unknown };

    internal static OpReturn Return(OpResult r) => r switch
    {
        OpResult.Create c => new OpReturn { Path = c.Path, Stat = c.Stat is { } s ? StatView.From(s) : null },
        OpResult.SetData s => new OpReturn { Stat = StatView.From(s.Stat) },
        _ => new OpReturn(),
    };

    internal static OpReturn Data(DataResult r) => new() { Data = Encoding.UTF8.GetString(r.Data), Stat = StatView.From(r.Stat) };

    /// <summary>A watcher that does nothing: the tap records events from the wire; the callback only makes the read leave a watch.</summary>
    internal static readonly Action<WatchedEvent> Ignore = static _ => { };

    /// <summary>Whether a client should give up this session: it expired or was closed under an op.</summary>
    internal static bool Ended(CoordClient client) => client.State is ConnectionState.Expired or ConnectionState.Closed;
}
