namespace Coord.Interop.Specs.Harness;

/// <summary>Starts a server of either kind; every interop theory runs once per entry of <see cref="Kinds"/>.</summary>
public static class Servers
{
    public static readonly string[] Kinds = ["zookeeper", "coord"];

    /// <summary>xunit MemberData over <see cref="Kinds"/>.</summary>
    public static TheoryData<string> KindData => new(Kinds);

    /// <summary>
    /// The kinds the client suites (kazoo, Java, zkCli) run against: also "coord-follower", a follower of a
    /// three-member Coord ensemble, so every client behaviour is checked where writes are forwarded to a leader.
    /// </summary>
    public static TheoryData<string> ClientKindData => new([.. Kinds, "coord-follower"]);

    /// <summary>Starts a fresh server in a fresh temp folder and returns once it serves clients.
    /// Throws (with the server's output tail) if it does not within its start timeout.</summary>
    public static Task<IServerProcess> StartAsync(string kind, ServerOptions? options = null, CancellationToken ct = default)
    {
        options ??= new ServerOptions();
        return kind switch
        {
            "zookeeper" => ZooKeeperServer.StartAsync(options, ct),
            "coord" => CoordServer.StartAsync(options, ct),
            "coord-follower" => EnsembleFollower.StartAsync(options),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "expected \"zookeeper\", \"coord\" or \"coord-follower\""),
        };
    }
}

/// <summary>
/// One server per kind, started on first use and shared by the tests of a class (use as a class
/// fixture). A failed start is remembered, so every coord test fails at once with the same cause.
/// </summary>
public class ServerPool : IAsyncLifetime
{
    private readonly Dictionary<string, Lazy<Task<IServerProcess>>> servers = [];
    private readonly Lock gate = new();

    protected virtual ServerOptions Options => new();

    public Task<IServerProcess> GetAsync(string kind)
    {
        lock (gate)
        {
            if (!servers.TryGetValue(kind, out var lazy))
            {
                lazy = new Lazy<Task<IServerProcess>>(() => Servers.StartAsync(kind, Options));
                servers[kind] = lazy;
            }

            return lazy.Value;
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        List<Lazy<Task<IServerProcess>>> started;
        lock (gate)
        {
            started = [.. servers.Values];
            servers.Clear();
        }

        foreach (var lazy in started)
        {
            try
            {
                await (await lazy.Value).DisposeAsync();
            }
            catch (Exception)
            {
                // a server that never started has nothing to stop
            }
        }

    }
}
