using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Coord.Interop.Specs.Harness;

/// <summary>What a member last said of itself on stdout ("coord: member N is leading (leader N, epoch E, serving yes)").</summary>
internal sealed record MemberRole(string State, long Leader, long Epoch, bool Serving);

/// <summary>One `coord serve --config zoo.cfg` member of an ensemble on loopback, restartable on the same ports and data.</summary>
internal sealed partial class EnsembleMember(int id, string dir, int clientPort, int peerPort, int electionPort)
{
    private readonly Lock _gate = new();
    private readonly List<(Func<MemberRole, bool> Match, TaskCompletionSource<MemberRole> Done)> _waiters = new();
    private readonly List<string> _lines = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Done)> _lineWaiters = new();
    private Task? _pump;

    public int Id { get; } = id;
    public string Dir { get; } = dir;
    public string DataDir => Path.Combine(Dir, "data");
    /// <summary>The member's configuration file: a zoo.cfg or a HOCON file (see <see cref="EnsembleProcesses.StartAsync"/>).</summary>
    public string ConfigFile { get; set; } = Path.Combine(dir, "zoo.cfg");
    public int ClientPort { get; } = clientPort;
    public int PeerPort { get; } = peerPort;
    public int ElectionPort { get; } = electionPort;
    /// <summary>The address the member binds its client and peer ports to (loopback unless placed in a network namespace).</summary>
    public string Address { get; init; } = "127.0.0.1";
    /// <summary>The network namespace the member runs in (`ip netns exec NS dotnet coord.dll ...`), or null for the caller's.</summary>
    public string? NetNamespace { get; init; }
    public string HostPort => $"{Address}:{ClientPort}";
    public ChildProcess? Process { get; private set; }
    public MemberRole? Role { get; private set; }
    public bool Running => Process is { Exited.IsCompleted: false };
    /// <summary>Environment variables the member's process starts with (e.g. COORD_FAILPOINTS), or null.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }
    /// <summary>The member's admin HTTP port, or 0 when its admin server is off (the default).</summary>
    public int AdminPort { get; init; }

    [GeneratedRegex(@"^coord: member (?<id>\d+) is (?<state>\w+) \(leader (?<leader>\d+), epoch (?<epoch>\d+), serving (?<serving>yes|no)\)")]
    private static partial Regex RoleLine();

    [GeneratedRegex(@"serving clients on [0-9.]+:\d+")]
    private static partial Regex ListeningLine();

    public async Task StartAsync()
    {
        Role = null;
        lock (_gate) _lines.Clear();
        // `ip netns exec` execs the command in place, so the pid is dotnet's and signals reach the server itself.
        var env = Environment?.ToDictionary();
        var process = NetNamespace is { } ns
            ? ChildProcess.Start("ip", ["netns", "exec", ns, "dotnet", RepoPaths.CoordDll, "serve", "--config", ConfigFile], Dir, env)
            : ChildProcess.Start("dotnet", [RepoPaths.CoordDll, "serve", "--config", ConfigFile], Dir, env);
        Process = process;
        await process.WaitForLineAsync(l => { Record(l); return ListeningLine().IsMatch(l); }, TimeSpan.FromSeconds(30), $"member {Id} to listen");
        _pump = PumpRolesAsync(process);
    }

    /// <summary>Keeps every stdout line of the current process and completes the line waiters it matches.</summary>
    private void Record(string line)
    {
        lock (_gate)
        {
            _lines.Add(line);
            foreach (var w in _lineWaiters.Where(w => w.Match(line)).ToList())
            {
                _lineWaiters.Remove(w);
                w.Done.TrySetResult(line);
            }
            // Role lines may come before the listening line StartAsync waits for (a member elected at once): every
            // line goes through here, whichever wait reads it.
            var m = RoleLine().Match(line);
            if (!m.Success) return;
            var role = new MemberRole(m.Groups["state"].Value, long.Parse(m.Groups["leader"].Value, CultureInfo.InvariantCulture),
                long.Parse(m.Groups["epoch"].Value, CultureInfo.InvariantCulture), m.Groups["serving"].Value == "yes");
            Role = role;
            foreach (var w in _waiters.Where(w => w.Match(role)).ToList())
            {
                _waiters.Remove(w);
                w.Done.TrySetResult(role);
            }
        }
    }

    /// <summary>How many stdout lines the current process has written so far (a mark for <see cref="WhenLineAsync"/>).</summary>
    public int LineCount { get { lock (_gate) return _lines.Count; } }

    /// <summary>Completes with the first stdout line of the current process, from line <paramref name="from"/> on, that matches.</summary>
    public Task<string> WhenLineAsync(Func<string, bool> match, int from = 0)
    {
        lock (_gate)
        {
            for (int i = from; i < _lines.Count; i++)
                if (match(_lines[i])) return Task.FromResult(_lines[i]);
            var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _lineWaiters.Add((match, tcs));
            return tcs.Task;
        }
    }

    private async Task PumpRolesAsync(ChildProcess process)
    {
        try
        {
            // Reads every line (Record handles role lines) until the process ends.
            await process.WaitForLineAsync(l => { Record(l); return false; }, TimeSpan.FromDays(1), "the end of the output");
        }
        catch (Exception) when (process.Exited.IsCompleted)
        {
            lock (_gate)
            {
                Role = null;
                foreach (var w in _waiters) w.Done.TrySetException(new InvalidOperationException($"member {Id} exited\n{process.Describe()}"));
                _waiters.Clear();
                foreach (var w in _lineWaiters) w.Done.TrySetException(new InvalidOperationException($"member {Id} exited\n{process.Describe()}"));
                _lineWaiters.Clear();
            }
        }
    }

    /// <summary>Completes when the member's role line matches (at once if its last one does).</summary>
    public Task<MemberRole> WhenAsync(Func<MemberRole, bool> match)
    {
        lock (_gate)
        {
            if (Role is { } now && match(now)) return Task.FromResult(now);
            var tcs = new TaskCompletionSource<MemberRole>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, tcs));
            return tcs.Task;
        }
    }

    public void Kill9()
    {
        if (Process is { } p) Posix.Signal(p.Pid, 9);
    }

    /// <summary>SIGSTOP: the process freezes with its sockets open, as a long GC pause or a stalled VM would.</summary>
    public void Freeze()
    {
        if (Process is { } p) Posix.Signal(p.Pid, SigStop);
    }

    /// <summary>SIGCONT after <see cref="Freeze"/>.</summary>
    public void Thaw()
    {
        if (Process is { } p) Posix.Signal(p.Pid, SigCont);
    }

    private const int SigStop = 19;
    private const int SigCont = 18;

    public async Task WaitExitedAsync()
    {
        if (Process is { } p) await p.Exited.WaitAsync(TimeSpan.FromSeconds(30));
        if (_pump is { } pump) await pump.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async Task StopAsync()
    {
        if (Process is { } p) await p.StopAsync(TimeSpan.FromSeconds(10));
        if (_pump is { } pump) await pump.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public string Describe() => Process?.Describe() ?? $"member {Id} not started";
}

/// <summary>
/// A three (or N) member ensemble of real `coord serve` processes on loopback, each from a ZooKeeper-style
/// zoo.cfg (server.N lines and dataDir/myid) on free ports. Disposing stops every member and deletes the folders.
/// </summary>
internal sealed class EnsembleProcesses : IAsyncDisposable
{
    private readonly string _root;

    private EnsembleProcesses(string root, IReadOnlyList<EnsembleMember> members)
    {
        _root = root;
        Members = members;
    }

    public IReadOnlyList<EnsembleMember> Members { get; }

    /// <summary>Every member's client address, as a multi-host connect string.</summary>
    public string ConnectString => string.Join(",", Members.Select(m => m.HostPort));

    public EnsembleMember this[int id] => Members.Single(m => m.Id == id);

    /// <summary>
    /// Writes each member's configuration and starts them all. <paramref name="zooCfg"/>: ZooKeeper's form (zoo.cfg with
    /// server.N lines and dataDir/myid, tickTime/initLimit/syncLimit); otherwise HOCON (coord.ensemble) carrying
    /// <paramref name="options"/> as the single-server harness writes them.
    /// </summary>
    public static Task<EnsembleProcesses> StartAsync(int count = 3, bool zooCfg = true, ServerOptions? options = null,
        int tickMs = 200, int initLimit = 10, int syncLimit = 5) =>
        WithFreshPortsAsync(() => StartOnceAsync(count, place: null, (m, members) =>
        {
            if (zooCfg) WriteZooCfg(m, members, tickMs, initLimit, syncLimit);
            else WriteHocon(m, members, options ?? new ServerOptions(TickMs: tickMs), initLimit, syncLimit);
        }));

    /// <summary>
    /// Free ports are found by binding port 0 and letting go, so another spec running in parallel can take one before a
    /// member binds it; the member then exits before it listens. That start is retried on fresh ports (twice at most).
    /// </summary>
    private static async Task<EnsembleProcesses> WithFreshPortsAsync(Func<Task<EnsembleProcesses>> start)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await start();
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("process exited", StringComparison.Ordinal))
            {
                // a member could not bind its port: try again with other ports
            }
        }
    }

    /// <summary>
    /// Starts members from zoo.cfg files as <paramref name="layout"/> says: where each member lives (address and network
    /// namespace) and extra zoo.cfg lines (e.g. maxSessionTimeout).
    /// </summary>
    public static Task<EnsembleProcesses> StartAsync(EnsembleLayout layout) => WithFreshPortsAsync(() => StartOnceAsync(layout.Count, layout.Place,
        (m, members) => WriteZooCfg(m, members, layout.TickMs, layout.InitLimit, layout.SyncLimit, layout.ZooCfgExtra), layout));

    /// <summary>Members on free ports, each placed (address, network namespace) and configured by the caller, all started.</summary>
    private static async Task<EnsembleProcesses> StartOnceAsync(int count, Func<int, (string Address, string? Namespace)>? place,
        Action<EnsembleMember, List<EnsembleMember>> writeConfig, EnsembleLayout? layout = null)
    {
        var root = TempDir.Create("ensemble");
        var members = new List<EnsembleMember>();
        for (int id = 1; id <= count; id++)
        {
            var (address, ns) = place?.Invoke(id) ?? ("127.0.0.1", null);
            members.Add(new EnsembleMember(id, Path.Combine(root, $"m{id}"), Net.FreePort(), Net.FreePort(), Net.FreePort())
                { Address = address, NetNamespace = ns, Environment = layout?.Environment, AdminPort = layout?.Admin == true ? Net.FreePort() : 0 });
        }
        foreach (var m in members)
        {
            Directory.CreateDirectory(m.DataDir);
            writeConfig(m, members);
        }
        var ensemble = new EnsembleProcesses(root, members);
        try
        {
            await Task.WhenAll(members.Select(m => m.StartAsync()));
        }
        catch
        {
            await ensemble.DisposeAsync();
            throw;
        }
        return ensemble;
    }

    private static void WriteZooCfg(EnsembleMember m, List<EnsembleMember> members, int tickMs, int initLimit, int syncLimit,
        IReadOnlyList<string>? extra = null)
    {
        File.WriteAllText(Path.Combine(m.DataDir, "myid"), $"{m.Id}\n");
        var cfg = new StringBuilder();
        cfg.AppendLine(CultureInfo.InvariantCulture, $"tickTime={tickMs}");
        cfg.AppendLine(CultureInfo.InvariantCulture, $"initLimit={initLimit}");
        cfg.AppendLine(CultureInfo.InvariantCulture, $"syncLimit={syncLimit}");
        cfg.AppendLine(CultureInfo.InvariantCulture, $"dataDir={m.DataDir}");
        cfg.AppendLine(CultureInfo.InvariantCulture, $"clientPort={m.ClientPort}");
        cfg.AppendLine(CultureInfo.InvariantCulture, $"clientPortAddress={m.Address}");
        cfg.AppendLine("4lw.commands.whitelist=*");
        if (m.AdminPort == 0) cfg.AppendLine("admin.enableServer=false");
        else
        {
            cfg.AppendLine("admin.enableServer=true");
            cfg.AppendLine(CultureInfo.InvariantCulture, $"admin.serverAddress={m.Address}");
            cfg.AppendLine(CultureInfo.InvariantCulture, $"admin.serverPort={m.AdminPort}");
        }
        foreach (var line in extra ?? []) cfg.AppendLine(line);
        foreach (var o in members)
            cfg.AppendLine(CultureInfo.InvariantCulture, $"server.{o.Id}={o.Address}:{o.PeerPort}:{o.ElectionPort};{o.ClientPort}");
        m.ConfigFile = Path.Combine(m.Dir, "zoo.cfg");
        File.WriteAllText(m.ConfigFile, cfg.ToString());
    }

    private static void WriteHocon(EnsembleMember m, List<EnsembleMember> members, ServerOptions options, int initLimit, int syncLimit)
    {
        var cfg = new StringBuilder(CoordServer.Hocon(options));
        cfg.AppendLine("coord {");
        cfg.AppendLine(CultureInfo.InvariantCulture, $"  server-id = {m.Id}");
        cfg.AppendLine(CultureInfo.InvariantCulture, $"  data-dir = \"{m.DataDir}\"");
        cfg.AppendLine(CultureInfo.InvariantCulture, $"  client {{ host = \"127.0.0.1\", port = {m.ClientPort} }}");
        cfg.AppendLine(CultureInfo.InvariantCulture, $"  four-letter-words.whitelist = [\"*\"]");
        cfg.AppendLine("  admin.enabled = false");
        cfg.AppendLine("  ensemble {");
        cfg.AppendLine(CultureInfo.InvariantCulture, $"    init-limit-ticks = {initLimit}");
        cfg.AppendLine(CultureInfo.InvariantCulture, $"    sync-limit-ticks = {syncLimit}");
        cfg.AppendLine("    members {");
        foreach (var o in members)
            cfg.AppendLine(CultureInfo.InvariantCulture,
                $"      {o.Id} {{ host = \"127.0.0.1\", peer-port = {o.PeerPort}, client-port = {o.ClientPort} }}");
        cfg.AppendLine("    }");
        cfg.AppendLine("  }");
        cfg.AppendLine("}");
        m.ConfigFile = Path.Combine(m.Dir, "coord.conf");
        File.WriteAllText(m.ConfigFile, cfg.ToString());
    }

    /// <summary>
    /// Waits until one member leads and serves and every other running member follows it and serves; returns the leader.
    /// </summary>
    public async Task<EnsembleMember> WaitForLeaderAsync(TimeSpan timeout, int? notId = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var running = Members.Where(m => m.Running).ToList();
            var leading = running.Select(m => m.WhenAsync(r => r.State == "leading" && r.Serving && m.Id != notId)).ToList();
            Task<MemberRole> first;
            try
            {
                first = await Task.WhenAny(leading).WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no leader within {timeout.TotalSeconds:0} s\n{Describe()}");
            }
            var role = await first;
            var leader = this[(int)role.Leader];
            try
            {
                await Task.WhenAll(running.Where(m => m != leader)
                        .Select(m => m.WhenAsync(r => r.Serving && r.Leader == leader.Id && r.Epoch == role.Epoch)))
                    .WaitAsync(cts.Token);
                return leader;
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"followers did not sync with leader {leader.Id} within {timeout.TotalSeconds:0} s\n{Describe()}");
            }
        }
    }

    public Task<string> SrvrAsync(EnsembleMember m) => Net.FourLetterWordAsync(m.Address, m.ClientPort, "srvr");

    public string Describe() => string.Join("\n", Members.Select(m => $"=== member {m.Id} (role {m.Role})\n{m.Describe()}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var m in Members)
        {
            try { await m.StopAsync(); } catch (Exception) { m.Kill9(); }
        }
        TempDir.Delete(_root);
    }
}

/// <summary>
/// How <see cref="EnsembleProcesses.StartAsync(EnsembleLayout)"/> lays out an ensemble: member count, ZooKeeper's timing,
/// extra zoo.cfg lines, and where member N lives (address, network namespace; loopback and none by default).
/// </summary>
internal sealed record EnsembleLayout(int Count = 3, int TickMs = 200, int InitLimit = 10, int SyncLimit = 5)
{
    public IReadOnlyList<string> ZooCfgExtra { get; init; } = [];
    public Func<int, (string Address, string? Namespace)>? Place { get; init; }
    /// <summary>Environment variables every member starts with (e.g. COORD_FAILPOINTS), or null.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }
    /// <summary>Each member runs its admin HTTP server on a free port (<see cref="EnsembleMember.AdminPort"/>).</summary>
    public bool Admin { get; init; }
}
