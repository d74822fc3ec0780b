using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Coord.Bench;

/// <summary>Where a Coord member says it stands: its last "coord: member N is leading|following (...)" line.</summary>
public sealed record MemberRole(string State, int Leader, long Epoch, bool Serving)
{
    public override string ToString() => $"{State} (leader {Leader}, epoch {Epoch}, serving {(Serving ? "yes" : "no")})";
}

/// <summary>One member: its ports, its folder with zoo.cfg and dataDir/myid, and its process.</summary>
public sealed class EnsembleMember(int id, string dir, int clientPort, int peerPort, int electionPort)
{
    public int Id { get; } = id;
    public string Dir { get; } = dir;
    public string DataDir => Path.Combine(Dir, "data");
    public string ConfigFile => Path.Combine(Dir, "zoo.cfg");
    public int ClientPort { get; } = clientPort;
    public int PeerPort { get; } = peerPort;
    public int ElectionPort { get; } = electionPort;
    public IPEndPoint EndPoint => new(IPAddress.Loopback, ClientPort);
    public string HostPort => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{ClientPort}");
    /// <summary>Null while the member is held back (<see cref="Ensemble.StartAsync"/>'s heldBack).</summary>
    public ServerProcess Process { get; set; } = null!;

    /// <summary>Started and not exited.</summary>
    public bool Running => Process is { HasExited: false };

    /// <summary>Coord only: the last role line (null before the first, and for ZooKeeper).</summary>
    public MemberRole? Role { get; set; }

    /// <summary>When <see cref="Role"/>'s line arrived (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public long RoleSeenTimestamp { get; set; }
}

/// <summary>
/// A ZooKeeper or Coord ensemble of <c>size</c> members on loopback, each started from its own zoo.cfg
/// (server.N=127.0.0.1:peer:election;127.0.0.1:client lines, dataDir/myid, tickTime 2000, initLimit 10, syncLimit 5,
/// ZooKeeper's usual values) in a fresh temp folder: ZooKeeper as <c>QuorumPeerMain zoo.cfg</c>, Coord as
/// <c>coord serve --config zoo.cfg</c>. Ready once one member leads, every other follows it, and every member
/// accepts a session. A leader is found from Coord's role lines (an event) and by asking ZooKeeper's members
/// <c>srvr</c> (polled: there is nothing else to wait on from outside a JVM). Disposing stops every member
/// (SIGTERM, SIGKILL after 5 s) and deletes the folders.
/// </summary>
public sealed partial class Ensemble : IServerSet
{
    public const int TickMs = 2000;
    public const int InitLimitTicks = 10;
    public const int SyncLimitTicks = 5;

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan SrvrPollInterval = TimeSpan.FromMilliseconds(100);
    private const int StartAttempts = 3;

    private readonly Lock _gate = new();
    private TaskCompletionSource _rolesChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _readyLeader;
    private long _readyEpoch;

    private readonly Settings _settings;

    private Ensemble(string name, string root, IReadOnlyList<EnsembleMember> members, Settings settings)
    {
        Name = name;
        Root = root;
        Members = members;
        _settings = settings;
    }

    public string Name { get; }
    public string Root { get; }
    public IReadOnlyList<EnsembleMember> Members { get; }
    public IReadOnlyList<IPEndPoint> EndPoints => Members.Select(m => m.EndPoint).ToList();
    public IReadOnlyList<int> Pids => Members.Where(m => m.Process is not null).Select(m => m.Process.Pid).ToList();
    public double StartToServingMs { get; private set; }

    /// <summary>Every member's client address: what users give their clients.</summary>
    public string ConnectString => string.Join(",", Members.Select(m => m.HostPort));

    /// <summary>The member that led when the ensemble became ready (or when <see cref="WaitForLeaderAsync"/> last returned).</summary>
    public EnsembleMember Leader => Members.Single(m => m.Id == _readyLeader);

    public sealed record Settings(int Size, string CoordDll, bool ZooKeeperForceSync, int ZooKeeperHeapMib);

    [GeneratedRegex(@"^coord: member (?<id>\d+) is (?<state>\w+) \(leader (?<leader>\d+), epoch (?<epoch>\d+), serving (?<serving>yes|no)\)")]
    private static partial Regex RoleLine();

    [GeneratedRegex(@"^Mode: (?<mode>\w+)", RegexOptions.Multiline)]
    private static partial Regex SrvrMode();

    /// <param name="heldBack">A member id to leave unstarted (its folder, zoo.cfg and an empty dataDir are written):
    /// the others form the ensemble, and <see cref="StartMember"/> starts it later, e.g. as a fresh follower. 0 = none.</param>
    public static async Task<Ensemble> StartAsync(string server, Settings settings, CancellationToken ct, int heldBack = 0)
    {
        if (server == "zookeeper" && !File.Exists(ZooKeeperJar))
            throw new InvalidOperationException("Apache ZooKeeper is not installed (apt-get install zookeeper)");
        if (heldBack != 0 && (heldBack < 1 || heldBack > settings.Size || settings.Size - 1 <= settings.Size / 2))
            throw new ArgumentOutOfRangeException(nameof(heldBack), $"member {heldBack} of {settings.Size}: the others must be a majority");
        for (int attempt = 1; ; attempt++)
        {
            var ensemble = Launch(server, settings, heldBack);
            try
            {
                await ensemble.WaitReadyAsync(ct);
                return ensemble;
            }
            catch (Exception e) when (attempt < StartAttempts && !ct.IsCancellationRequested
                                      && ensemble.Tail().Contains("Address already in use", StringComparison.Ordinal))
            {
                // A port picked as free was taken before the member bound it (other tests bind port 0 too): new ports.
                Console.Error.WriteLine($"coord-bench: {server} ensemble lost a port race ({e.Message.Split('\n')[0]}), starting again");
                await ensemble.DisposeAsync();
            }
            catch
            {
                await ensemble.DisposeAsync();
                throw;
            }
        }
    }

    private const string ZooKeeperJar = "/usr/share/java/zookeeper.jar";

    private static Ensemble Launch(string server, Settings s, int heldBack)
    {
        var root = Directory.CreateTempSubdirectory($"coord-bench-{server}-ensemble-").FullName;
        var ports = FreePorts(3 * s.Size);
        var members = Enumerable.Range(1, s.Size)
            .Select(id => new EnsembleMember(id, Path.Combine(root, $"m{id}"), ports[3 * id - 3], ports[3 * id - 2], ports[3 * id - 1]))
            .ToList();
        var ensemble = new Ensemble(server, root, members, s);
        foreach (var m in members)
        {
            Directory.CreateDirectory(m.DataDir);
            File.WriteAllText(Path.Combine(m.DataDir, "myid"), string.Create(CultureInfo.InvariantCulture, $"{m.Id}\n"));
            File.WriteAllText(m.ConfigFile, ZooCfg(m, members, server == "zookeeper" ? s.ZooKeeperForceSync : null));
        }
        foreach (var m in members)
            if (m.Id != heldBack) ensemble.StartMember(m);
        return ensemble;
    }

    /// <summary>Starts a member's process (one held back at start, or never started); its role lines are followed from then on.</summary>
    public void StartMember(EnsembleMember m)
    {
        if (m.Process is not null) throw new InvalidOperationException($"{Name} member {m.Id} was started already");
        var s = _settings;
        m.Process = Name == "zookeeper"
            ? ServerProcess.LaunchMember($"zookeeper member {m.Id}", "java",
                [string.Create(CultureInfo.InvariantCulture, $"-Xmx{s.ZooKeeperHeapMib}m"),
                 "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                 "-cp", $"{ZooKeeperJar}:/usr/share/java/slf4j-simple.jar", "org.apache.zookeeper.server.quorum.QuorumPeerMain", m.ConfigFile],
                new Dictionary<string, string>(), m.Dir, m.EndPoint)
            : ServerProcess.LaunchMember($"coord member {m.Id}", "dotnet", [s.CoordDll, "serve", "--config", m.ConfigFile],
                new Dictionary<string, string>(), m.Dir, m.EndPoint);
        if (Name == "coord") m.Process.LineReceived += line => OnCoordLine(m, line);
    }

    /// <summary>
    /// The same file for both servers but for forceSync (ZooKeeper only; Coord always fsyncs before acknowledging, and
    /// would warn of a key it does not take). maxClientCnxns=0 as in the standalone compare; admin servers off so no
    /// two members fight over port 8080.
    /// </summary>
    private static string ZooCfg(EnsembleMember m, IReadOnlyList<EnsembleMember> members, bool? forceSync)
    {
        var cfg = new StringBuilder();
        void Line(string text) => cfg.Append(text).Append('\n');
        Line(string.Create(CultureInfo.InvariantCulture, $"tickTime={TickMs}"));
        Line(string.Create(CultureInfo.InvariantCulture, $"initLimit={InitLimitTicks}"));
        Line(string.Create(CultureInfo.InvariantCulture, $"syncLimit={SyncLimitTicks}"));
        Line($"dataDir={m.DataDir}");
        Line(string.Create(CultureInfo.InvariantCulture, $"clientPort={m.ClientPort}"));
        Line("clientPortAddress=127.0.0.1");
        Line("4lw.commands.whitelist=*");
        Line("admin.enableServer=false");
        Line("maxClientCnxns=0");
        if (forceSync is { } fs) Line($"forceSync={(fs ? "yes" : "no")}");
        // ";127.0.0.1:PORT", not ";PORT": ZooKeeper reads a bare port as 0.0.0.0 and then refuses the clientPortAddress above.
        foreach (var o in members)
            Line(string.Create(CultureInfo.InvariantCulture, $"server.{o.Id}=127.0.0.1:{o.PeerPort}:{o.ElectionPort};127.0.0.1:{o.ClientPort}"));
        return cfg.ToString();
    }

    private void OnCoordLine(EnsembleMember member, string line)
    {
        var match = RoleLine().Match(line);
        if (!match.Success) return;
        var role = new MemberRole(match.Groups["state"].Value, int.Parse(match.Groups["leader"].Value, CultureInfo.InvariantCulture),
            long.Parse(match.Groups["epoch"].Value, CultureInfo.InvariantCulture), match.Groups["serving"].Value == "yes");
        TaskCompletionSource changed;
        lock (_gate)
        {
            member.Role = role;
            member.RoleSeenTimestamp = Stopwatch.GetTimestamp();
            changed = _rolesChanged;
            _rolesChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    private async Task WaitReadyAsync(CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp();
        await WaitForLeaderAsync(ReadyTimeout, ct);
        // Mode follower is not yet serving for ZooKeeper (it may still be syncing): a session on every member is.
        await Task.WhenAll(Members.Where(m => m.Process is not null).Select(m => m.Process.WaitForSessionAsync(ct)));
        StartToServingMs = Setup.SecondsSince(started) * 1000;
    }

    /// <summary>
    /// Waits until one running member leads and every other running member follows it (Coord: in the same epoch and
    /// serving), at least a majority of all members running; returns the leader.
    /// </summary>
    public async Task<EnsembleMember> WaitForLeaderAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                if (Members.Count(m => m.Running) <= Members.Count / 2)
                    throw new InvalidOperationException($"{Name}: a majority of the members has exited\n{Tail()}");
                Task changed;
                lock (_gate) changed = _rolesChanged.Task;
                var (leader, epoch) = Name == "coord" ? CoordLeader() : await ZooKeeperLeaderAsync(deadline.Token);
                if (leader is not null)
                {
                    _readyLeader = leader.Id;
                    _readyEpoch = epoch;
                    return leader;
                }
                if (Name == "coord") await changed.WaitAsync(deadline.Token);
                else await Task.Delay(SrvrPollInterval, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{Name}: no leader followed by every running member within {timeout.TotalSeconds:0} s ({RolesNow()})\n{Tail()}");
        }
    }

    /// <summary>
    /// Coord: waits until <paramref name="m"/>'s role line matches; returns when that line arrived
    /// (<see cref="Stopwatch.GetTimestamp"/>). Fails when the member exits or <paramref name="timeout"/> passes.
    /// </summary>
    public async Task<long> WaitForRoleLineAsync(EnsembleMember m, Func<MemberRole, bool> match, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                Task changed;
                lock (_gate)
                {
                    if (m.Role is { } r && match(r)) return m.RoleSeenTimestamp;
                    changed = _rolesChanged.Task;
                }
                if (!m.Running) throw new InvalidOperationException($"{Name} member {m.Id} exited\n{m.Process?.Tail()}");
                // A role line is the event; the second a while is only for noticing an exit.
                await Task.WhenAny(changed, Task.Delay(1000, deadline.Token));
                deadline.Token.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{Name} member {m.Id} printed no matching role line within {timeout.TotalSeconds:0} s ({RolesNow()})\n{Tail()}");
        }
    }

    private (EnsembleMember? Leader, long Epoch) CoordLeader()
    {
        lock (_gate)
        {
            var running = Members.Where(m => m.Running).ToList();
            var leader = running.SingleOrDefault(m => m.Role is { State: "leading", Serving: true } r && r.Leader == m.Id);
            if (leader is null) return (null, 0);
            long epoch = leader.Role!.Epoch;
            bool followed = running.Where(m => m != leader)
                .All(m => m.Role is { State: "following", Serving: true } r && r.Leader == leader.Id && r.Epoch == epoch);
            return followed ? (leader, epoch) : (null, 0);
        }
    }

    private async Task<(EnsembleMember? Leader, long Epoch)> ZooKeeperLeaderAsync(CancellationToken ct)
    {
        var running = Members.Where(m => m.Running).ToList();
        var modes = await Task.WhenAll(running.Select(m => ModeAsync(m, ct)));
        var leaders = running.Where((_, i) => modes[i] == "leader").ToList();
        bool followed = modes.Count(mode => mode == "follower") == running.Count - 1;
        return leaders.Count == 1 && followed ? (leaders[0], 0) : (null, 0);
    }

    /// <summary>The member's <c>srvr</c> Mode line (leader, follower, standalone), or null when it does not answer one.</summary>
    public static async Task<string?> ModeAsync(EnsembleMember m, CancellationToken ct)
    {
        var match = await SrvrAsync(m, ct) is { } text ? SrvrMode().Match(text) : null;
        return match is { Success: true } ? match.Groups["mode"].Value : null;
    }

    [GeneratedRegex(@"^Node count: (?<count>\d+)", RegexOptions.Multiline)]
    private static partial Regex SrvrNodeCount();

    /// <summary>The member's <c>srvr</c> "Node count:" (ZooKeeper's and Coord's alike count every znode, / included), or null.</summary>
    public static async Task<long?> NodeCountAsync(EnsembleMember m, CancellationToken ct)
    {
        var match = await SrvrAsync(m, ct) is { } text ? SrvrNodeCount().Match(text) : null;
        return match is { Success: true } ? long.Parse(match.Groups["count"].Value, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>The member's whole <c>srvr</c> answer, or null when it does not answer (not listening, closed, 2 s passed).</summary>
    public static async Task<string?> SrvrAsync(EnsembleMember m, CancellationToken ct)
    {
        try
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
            attempt.CancelAfter(TimeSpan.FromSeconds(2));
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(m.EndPoint, attempt.Token);
            await socket.SendAsync("srvr"u8.ToArray(), SocketFlags.None, attempt.Token);
            var text = new StringBuilder();
            var buffer = new byte[4096];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, attempt.Token)) > 0) text.Append(Encoding.ASCII.GetString(buffer, 0, n));
            return text.ToString();
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>
    /// Null when the leader of <see cref="WaitForLeaderAsync"/> still leads with every member following (Coord: same
    /// epoch, no member has said anything else since); otherwise what changed. Checked after each run: a bench row
    /// measured across an election would measure the election.
    /// </summary>
    public async Task<string?> StabilityNoteAsync(CancellationToken ct)
    {
        if (ExitNote() is { } exited) return exited;
        if (Name == "coord")
        {
            lock (_gate)
            {
                var off = Members.Where(m => m.Role is not { Serving: true } r || r.Leader != _readyLeader || r.Epoch != _readyEpoch).ToList();
                return off.Count == 0 ? null
                    : $"leadership changed during the run: {string.Join("; ", off.Select(m => $"member {m.Id} now {m.Role?.ToString() ?? "unknown"}"))} (was leader {_readyLeader}, epoch {_readyEpoch})";
            }
        }
        var modes = await Task.WhenAll(Members.Select(m => ModeAsync(m, ct)));
        var wrong = Members.Where((m, i) => modes[i] != (m.Id == _readyLeader ? "leader" : "follower")).ToList();
        return wrong.Count == 0 ? null
            : $"leadership changed during the run: {string.Join("; ", Members.Select((m, i) => $"member {m.Id} Mode {modes[i] ?? "(no answer)"}"))} (was leader {_readyLeader})";
    }

    private string RolesNow()
    {
        lock (_gate)
        {
            return string.Join("; ", Members.Select(m =>
                $"member {m.Id}{(m.Process is null ? " not started" : m.Process.HasExited ? " exited" : "")}{(m.Role is { } r ? " " + r : "")}"));
        }
    }

    public string? ExitNote() =>
        Members.Select(m => m.Process?.ExitNote()).FirstOrDefault(n => n is not null);

    public async Task<string?> ExitNoteAsync(TimeSpan wait)
    {
        foreach (var m in Members.Where(m => m.Process is not null))
        {
            if (await m.Process.ExitNoteAsync(wait) is { } note) return note;
            wait = TimeSpan.Zero;
        }
        return null;
    }

    public string Tail() => string.Join("\n", Members.Select(m => m.Process?.Tail() ?? $"member {m.Id} not started"));

    /// <summary>
    /// <paramref name="count"/> distinct free loopback ports: every listener is held until all are picked, since a port
    /// released at once can be handed out again (a run once gave one member's client port and another's peer port the
    /// same number, and the members refused the configuration).
    /// </summary>
    private static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listeners.Add(listener);
                listener.Start();
            }
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var l in listeners) l.Stop();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Members.Where(m => m.Process is not null).Select(m => m.Process.DisposeAsync().AsTask()));
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"coord-bench: could not delete {Root}: {e.Message}");
        }
    }
}
