using System.Globalization;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;

namespace Coord.Chaos.Cluster;

/// <summary>Which server an ensemble runs: Coord (`coord serve`) or Apache ZooKeeper 3.8 (the control).</summary>
public enum ServerKind { Coord, ZooKeeper }

/// <summary>One member: where it listens, its folder, its process while running.</summary>
public sealed class ChaosMember(int id, string dir, string address, string? netns, int clientPort, int peerPort, int electionPort, int adminPort)
{
    public int Id { get; } = id;
    public string Dir { get; } = dir;
    public string DataDir => Path.Combine(Dir, "data");
    public string ConfigFile => Path.Combine(Dir, "zoo.cfg");
    /// <summary>Everything the member printed, over all its restarts (a failed run's report copies its end).</summary>
    public string LogFile => Path.Combine(Dir, "out.log");
    public string Address { get; } = address;
    public string? Netns { get; } = netns;
    public int ClientPort { get; } = clientPort;
    public int PeerPort { get; } = peerPort;
    public int ElectionPort { get; } = electionPort;
    /// <summary>Coord's admin HTTP port (failpoints are armed through it); 0 for ZooKeeper.</summary>
    public int AdminPort { get; } = adminPort;
    public string HostPort => $"{Address}:{ClientPort}";
    public Proc? Process { get; internal set; }
    public bool Running => Process is { Exited.IsCompleted: false };
    public bool Frozen { get; internal set; }
}

/// <summary>
/// A three (or five) member ensemble of real server processes for the chaos runner, from one zoo.cfg layout for both
/// servers (tickTime, initLimit, syncLimit, server.N lines, dataDir/myid). As root each member lives in its own network
/// namespace (<see cref="NetLab"/>), so partitions are real; otherwise on loopback free ports, and partitions are
/// unavailable (<see cref="CanPartition"/>). Faults: <see cref="Kill"/> (SIGKILL), <see cref="StartAsync(ChaosMember)"/>
/// again on the same data, <see cref="Freeze"/>/<see cref="Thaw"/> (SIGSTOP/SIGCONT), <see cref="PartitionAsync"/>,
/// and for Coord <see cref="ArmFailpointAsync"/>. Disposing stops every process and deletes folders and namespaces.
/// </summary>
public sealed class ChaosEnsemble : IAsyncDisposable
{
    private readonly string _root;
    private readonly NetLab? _lab;
    private readonly string _coordDll;

    private ChaosEnsemble(ServerKind kind, string root, NetLab? lab, IReadOnlyList<ChaosMember> members, string coordDll, int tickMs)
    {
        Kind = kind;
        _root = root;
        _lab = lab;
        Members = members;
        _coordDll = coordDll;
        TickMs = tickMs;
    }

    public ServerKind Kind { get; }
    public IReadOnlyList<ChaosMember> Members { get; }
    public int TickMs { get; }
    public bool CanPartition => _lab is not null;
    public string ConnectString => string.Join(",", Members.Select(m => m.HostPort));
    public ChaosMember this[int id] => Members.Single(m => m.Id == id);

    public const int TickMsDefault = 200, InitLimit = 10, SyncLimit = 5;

    public static async Task<ChaosEnsemble> StartAsync(ServerKind kind, int size = 3, bool partitions = true, int tickMs = TickMsDefault,
        string? coordDll = null, TimeSpan? readyTimeout = null)
    {
        coordDll ??= Path.Combine(AppContext.BaseDirectory, "coord.dll");
        if (kind == ServerKind.ZooKeeper && !File.Exists(ZooKeeperJar))
            throw new InvalidOperationException($"{ZooKeeperJar} is missing: apt-get install zookeeper");
        NetLab? lab = partitions && NetLab.Unavailable() is null ? await NetLab.CreateAsync(size) : null;
        var root = Directory.CreateTempSubdirectory($"coord-chaos-{kind.ToString().ToLowerInvariant()}-").FullName;
        var members = Enumerable.Range(1, size).Select(id => lab is not null
                ? new ChaosMember(id, Path.Combine(root, $"m{id}"), lab.AddressOf(id), lab.NamespaceOf(id), 2181, 2888, 3888, kind == ServerKind.Coord ? 8080 : 0)
                : new ChaosMember(id, Path.Combine(root, $"m{id}"), "127.0.0.1", null, FreePort(), FreePort(), FreePort(), kind == ServerKind.Coord ? FreePort() : 0))
            .ToList();
        var ensemble = new ChaosEnsemble(kind, root, lab, members, coordDll, tickMs);
        try
        {
            foreach (var m in members)
            {
                Directory.CreateDirectory(m.DataDir);
                File.WriteAllText(Path.Combine(m.DataDir, "myid"), string.Create(CultureInfo.InvariantCulture, $"{m.Id}\n"));
                File.WriteAllText(m.ConfigFile, ensemble.ZooCfg(m));
            }
            foreach (var m in members) await ensemble.StartAsync(m);
            await ensemble.WaitHealthyAsync(readyTimeout ?? TimeSpan.FromSeconds(90));
            return ensemble;
        }
        catch
        {
            await ensemble.DisposeAsync();
            throw;
        }
    }

    private const string ZooKeeperJar = "/usr/share/java/zookeeper.jar";

    private string ZooCfg(ChaosMember m)
    {
        var cfg = new StringBuilder();
        void Line(string text) => cfg.Append(text).Append('\n');
        Line(string.Create(CultureInfo.InvariantCulture, $"tickTime={TickMs}"));
        Line(string.Create(CultureInfo.InvariantCulture, $"initLimit={InitLimit}"));
        Line(string.Create(CultureInfo.InvariantCulture, $"syncLimit={SyncLimit}"));
        Line($"dataDir={m.DataDir}");
        Line(string.Create(CultureInfo.InvariantCulture, $"clientPort={m.ClientPort}"));
        Line($"clientPortAddress={m.Address}");
        Line("4lw.commands.whitelist=*");
        Line("maxSessionTimeout=60000");
        if (Kind == ServerKind.Coord)
        {
            Line("admin.enableServer=true");
            Line($"admin.serverAddress={m.Address}");
            Line(string.Create(CultureInfo.InvariantCulture, $"admin.serverPort={m.AdminPort}"));
        }
        else
        {
            Line("admin.enableServer=false");
            Line("maxClientCnxns=0");
        }
        foreach (var o in Members)
            Line(string.Create(CultureInfo.InvariantCulture, $"server.{o.Id}={o.Address}:{o.PeerPort}:{o.ElectionPort};{o.Address}:{o.ClientPort}"));
        return cfg.ToString();
    }

    /// <summary>Starts (or restarts, on its data) member <paramref name="m"/>; returns once its process runs.</summary>
    public Task StartAsync(ChaosMember m)
    {
        if (m.Running) throw new InvalidOperationException($"member {m.Id} is already running");
        m.Process?.Dispose();
        m.Frozen = false;
        var (file, args, env) = Kind == ServerKind.Coord
            ? ("dotnet", new List<string> { _coordDll, "serve", "--config", m.ConfigFile },
               new Dictionary<string, string> { ["COORD_FAILPOINTS"] = "", ["DOTNET_gcServer"] = "0" })
            : ("java", new List<string> { "-Xmx512m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dzookeeper.jmx.log4j.disable=true",
                   "-cp", $"{ZooKeeperJar}:/usr/share/java/slf4j-simple.jar", "org.apache.zookeeper.server.quorum.QuorumPeerMain", m.ConfigFile },
               new Dictionary<string, string>());
        if (m.Netns is { } ns)
        {
            args.InsertRange(0, ["netns", "exec", ns, file]);
            file = "/usr/sbin/ip";
        }
        m.Process = Proc.Start($"{Kind} member {m.Id}", file, args, m.Dir, env, m.LogFile);
        return Task.CompletedTask;
    }

    public void Kill(ChaosMember m)
    {
        m.Process?.Signal(Proc.SigKill);
        m.Frozen = false;
    }

    public async Task WaitExitedAsync(ChaosMember m) { if (m.Process is { } p) await p.Exited.WaitAsync(TimeSpan.FromSeconds(30)); }

    public void Freeze(ChaosMember m)
    {
        m.Process?.Signal(Proc.SigStop);
        m.Frozen = true;
    }

    public void Thaw(ChaosMember m)
    {
        m.Process?.Signal(Proc.SigCont);
        m.Frozen = false;
    }

    /// <summary>The network drops exactly these (from → to) member pairs; empty heals everything.</summary>
    public Task PartitionAsync(IReadOnlySet<(int From, int To)> drops) =>
        _lab?.ApplyAsync(drops) ?? throw new InvalidOperationException("partitions need the network lab (root)");

    /// <summary>Coord only: arms failpoint <paramref name="point"/> with <paramref name="spec"/> on <paramref name="m"/>.</summary>
    public async Task ArmFailpointAsync(ChaosMember m, string point, string spec)
    {
        if (Kind != ServerKind.Coord) throw new InvalidOperationException("failpoints are Coord's");
        HttpResponseMessage r;
        try
        {
            r = await PutAdminAsync(m, $"failpoints/{point}", spec);
        }
        catch (HttpRequestException) when (m.Process is { } p)
        {
            if (await Exited(p)) return; // armed, and it crashed the member before the answer went out
            throw;
        }
        if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"arming {point}={spec} on member {m.Id}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");

        static async Task<bool> Exited(Proc p)
        {
            try { await p.Exited.WaitAsync(TimeSpan.FromSeconds(5)); return true; }
            catch (TimeoutException) { return false; }
        }
    }

    /// <summary>Coord only: moves <paramref name="m"/>'s wall clock by <paramref name="offsetMs"/> (0 puts it back).</summary>
    public async Task SetWallClockOffsetAsync(ChaosMember m, long offsetMs)
    {
        if (Kind != ServerKind.Coord) throw new InvalidOperationException("clock jumps are Coord's (through its failpoints)");
        var r = await PutAdminAsync(m, "failpoints/clock", offsetMs.ToString(CultureInfo.InvariantCulture));
        if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"clock jump on member {m.Id}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// PUT to a member's admin HTTP server; a member started moments ago (restarted by the fault before) may not listen
    /// yet, so a refused connection is tried again while its process runs, for up to the 60 s a member is given to come
    /// back healthy (a start took more than 15 s on a machine loaded with three soaks at once).
    /// </summary>
    private static async Task<HttpResponseMessage> PutAdminAsync(ChaosMember m, string path, string body)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return await http.PutAsync($"http://{m.Address}:{m.AdminPort}/{path}", new StringContent(body, Encoding.UTF8));
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused }
                                                  && m.Running && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>`srvr`'s Mode line of a member (leader, follower, observer, standalone), or null when it does not answer.</summary>
    public async Task<string?> ModeAsync(ChaosMember m)
    {
        if (!m.Running || m.Frozen) return null;
        try
        {
            var srvr = await Run.FourLetterWordAsync(m.Address, m.ClientPort, "srvr", TimeSpan.FromSeconds(2));
            var line = srvr.Split('\n').FirstOrDefault(l => l.StartsWith("Mode:", StringComparison.Ordinal));
            return line?["Mode:".Length..].Trim();
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// Waits until every running member answers and exactly one leads, the others follow (a quorum is running); polls
    /// `srvr` (ZooKeeper says nothing else), every 100 ms. Returns the leader.
    /// </summary>
    public async Task<ChaosMember> WaitHealthyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (true)
        {
            var running = Members.Where(m => m.Running && !m.Frozen).ToList();
            var modes = await Task.WhenAll(running.Select(async m => (m, Mode: await ModeAsync(m))));
            var leaders = modes.Where(x => x.Mode == "leader").ToList();
            if (running.Count > Members.Count / 2 && leaders.Count == 1 && modes.All(x => x.Mode is "leader" or "follower")) return leaders[0].m;
            last = string.Join(", ", modes.Select(x => $"{x.m.Id}={x.Mode ?? "-"}"));
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{Kind} ensemble not healthy within {timeout.TotalSeconds:0} s (modes {last})\n{Describe()}");
            await Task.Delay(100);
        }
    }

    /// <summary>The current leader by `srvr`, or null when none answers as leader.</summary>
    public async Task<ChaosMember?> LeaderAsync()
    {
        foreach (var m in Members)
            if (await ModeAsync(m) == "leader") return m;
        return null;
    }

    /// <summary>
    /// For a failed run's report: each member's state and `srvr` answer, and the last <paramref name="lines"/> lines of
    /// its output over all its restarts, one file per member in <paramref name="dir"/>.
    /// </summary>
    public async Task WriteDiagnosticsAsync(string dir, int lines = 5000)
    {
        Directory.CreateDirectory(dir);
        var states = new StringBuilder();
        foreach (var m in Members)
        {
            string srvr;
            try
            {
                srvr = m.Running && !m.Frozen ? await Run.FourLetterWordAsync(m.Address, m.ClientPort, "srvr", TimeSpan.FromSeconds(2)) : "";
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or TimeoutException)
            {
                srvr = $"(srvr failed: {e.Message})";
            }
            states.Append(CultureInfo.InvariantCulture, $"=== member {m.Id} ({(m.Running ? m.Frozen ? "frozen" : "running" : "down")}) {m.HostPort}\n{srvr}\n");
            if (File.Exists(m.LogFile))
            {
                var all = File.ReadLines(m.LogFile).ToList();
                File.WriteAllLines(Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"member-{m.Id}.log")), all.Skip(Math.Max(0, all.Count - lines)));
            }
        }
        File.WriteAllText(Path.Combine(dir, "members.txt"), states.ToString());
    }

    public string Describe() => string.Join("\n", Members.Select(m =>
        $"=== member {m.Id} ({(m.Running ? m.Frozen ? "frozen" : "running" : "down")})\n{m.Process?.Tail() ?? ""}"));

    private static int FreePort()
    {
        var l = new TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var m in Members)
        {
            if (m.Process is not { } p) continue;
            try { await p.StopAsync(TimeSpan.FromSeconds(10)); } catch (Exception) { /* killed below */ }
            p.Dispose();
        }
        if (_lab is not null) await _lab.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
