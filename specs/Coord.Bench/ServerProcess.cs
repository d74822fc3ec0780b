using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Coord.Bench;

/// <summary>
/// A server started for --compare, in its own temp directory. Output is drained into a short tail (a full
/// pipe would stall the server) and shown when start-up fails. Disposing stops it (SIGTERM, then SIGKILL
/// after a grace period) and deletes the directory.
/// </summary>
public sealed partial class ServerProcess : IServerSet
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    private const int TailLines = 200;

    private Process _process = null!;
    private Command _command;
    private long _startedTicks;
    private readonly Queue<string> _tail = new();
    private readonly TaskCompletionSource<IPEndPoint> _servingLine = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(string name, Command command, string workDir)
    {
        Name = name;
        _command = command;
        WorkDir = workDir;
    }

    public string Name { get; }
    public string WorkDir { get; }
    public int Pid => _process.Id;
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);
    public IReadOnlyList<IPEndPoint> EndPoints => [EndPoint];
    public IReadOnlyList<int> Pids => [Pid];

    /// <summary>
    /// Apache ZooKeeper standalone with the JVM flags of a stock <c>zkServer.sh</c> (-Xmx1000m), so
    /// neither side gets a tuned heap. forceSync follows the option; it is on in a stock ZooKeeper.
    /// maxClientCnxns=0 (sessions10k opens thousands of connections from one address) and
    /// jute.maxbuffer=<paramref name="frameBytesMax"/> (large1m) are the only other changes.
    /// </summary>
    public static async Task<ServerProcess> StartZooKeeperAsync(bool forceSync, int frameBytesMax, int heapMib, CancellationToken ct)
    {
        const string jar = "/usr/share/java/zookeeper.jar";
        if (!File.Exists(jar)) throw new InvalidOperationException("Apache ZooKeeper is not installed (apt-get install zookeeper)");
        var workDir = Directory.CreateTempSubdirectory("coord-bench-zk-").FullName;
        var dataDir = Path.Combine(workDir, "data");
        Directory.CreateDirectory(dataDir);
        int port = FreePort();
        var cfg = Path.Combine(workDir, "zoo.cfg");
        File.WriteAllLines(cfg,
        [
            "tickTime=2000",
            $"dataDir={dataDir}",
            string.Create(CultureInfo.InvariantCulture, $"clientPort={port}"),
            "clientPortAddress=127.0.0.1",
            "4lw.commands.whitelist=*",
            "admin.enableServer=false",
            "maxClientCnxns=0",
            $"forceSync={(forceSync ? "yes" : "no")}",
        ]);
        var command = new Command("java",
            [string.Create(CultureInfo.InvariantCulture, $"-Xmx{heapMib}m"), string.Create(CultureInfo.InvariantCulture, $"-Djute.maxbuffer={frameBytesMax}"),
             // slf4j-simple at WARN: quiet, but an OutOfMemoryError or a dying thread reaches the tail.
             "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
             "-cp", $"{jar}:/usr/share/java/slf4j-simple.jar", "org.apache.zookeeper.server.ZooKeeperServerMain", cfg],
            new Dictionary<string, string>());
        var server = new ServerProcess("zookeeper", command, workDir) { EndPoint = new IPEndPoint(IPAddress.Loopback, port) };
        try
        {
            server.Launch();
            await server.WaitForServingAsync(null, ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// coord serve on an ephemeral port (from its "serving clients on" line); per-IP connection limit and the admin HTTP server off
    /// and frame-bytes-max raised, as for ZooKeeper.
    /// </summary>
    public static async Task<ServerProcess> StartCoordAsync(string coordDll, int frameBytesMax, CancellationToken ct)
    {
        var workDir = Directory.CreateTempSubdirectory("coord-bench-coord-").FullName;
        var dataDir = Path.Combine(workDir, "data");
        Directory.CreateDirectory(dataDir);
        var command = new Command("dotnet", [coordDll, "serve", "--client-port", "0", "--data-dir", dataDir],
            new Dictionary<string, string>
            {
                ["COORD_CLIENT__CONNECTIONS_PER_IP_MAX"] = "0",
                // No admin HTTP server: the load generator does not read it, and two servers must not both take 8080.
                ["COORD_ADMIN__ENABLED"] = "false",
                ["COORD_CLIENT__FRAME_BYTES_MAX"] = frameBytesMax.ToString(CultureInfo.InvariantCulture),
            });
        var server = new ServerProcess("coord", command, workDir);
        try
        {
            server.Launch();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ReadyTimeout);
            try
            {
                server.EndPoint = await server._servingLine.Task.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"coord did not print 'serving clients on' within {ReadyTimeout.TotalSeconds:0} s\n{server.Tail()}");
            }
            await server.WaitForServingAsync(null, ct);
            // Restarts reuse the port, so a client (and this tool) finds the server where it was.
            server._command = command with
            {
                Args = command.Args.Select(a => a == "0" ? server.EndPoint.Port.ToString(CultureInfo.InvariantCulture) : a).ToArray(),
            };
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts one member of an ensemble (<see cref="Ensemble"/>) without waiting for it: a member serves only once a
    /// quorum has formed, so the ensemble decides when it is ready. <paramref name="clientEndPoint"/> is where it will serve.
    /// </summary>
    public static ServerProcess LaunchMember(string name, string file, string[] args, Dictionary<string, string> env, string workDir,
        IPEndPoint clientEndPoint)
    {
        var server = new ServerProcess(name, new Command(file, args, env), workDir) { EndPoint = clientEndPoint };
        server.Launch();
        return server;
    }

    /// <summary>Every line the process prints (stdout and stderr), on a pool thread, after it joined the tail.</summary>
    public event Action<string>? LineReceived;

    public bool HasExited => _process is null || _process.HasExited;

    /// <summary>kill -9: no shutdown, no flush; what a crash looks like to the rest of an ensemble.</summary>
    public void Kill9()
    {
        if (_process is { HasExited: false } p) Kill(p.Id, SigKill);
    }

    /// <summary>Completes once a session handshake succeeds (retried every 10 ms within the ready timeout).</summary>
    public Task WaitForSessionAsync(CancellationToken ct) => WaitForServingAsync(null, ct);

    /// <summary>When the process was started (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public long StartedTimestamp => _startedTicks;

    /// <summary>Milliseconds from process start until the first session handshake succeeded.</summary>
    public double StartToServingMs { get; private set; }

    /// <summary>
    /// Stops the server (SIGTERM, as an operator would) and starts it again on the same data folder and
    /// port. Returns milliseconds from the new process's start until a session handshake plus a getData of
    /// <paramref name="knownPath"/> succeeds, i.e. until it serves the recovered data.
    /// </summary>
    public async Task<double> RestartAsync(string knownPath, CancellationToken ct)
    {
        await StopAsync();
        _process.Dispose();
        Launch();
        await WaitForServingAsync(knownPath, ct);
        return StartToServingMs;
    }

    [GeneratedRegex(@"serving clients on (?<host>[0-9.]+):(?<port>\d+)")]
    private static partial Regex ServingLine();

    private sealed record Command(string File, string[] Args, Dictionary<string, string> Env);

    private void Launch()
    {
        var info = new ProcessStartInfo(_command.File)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = WorkDir,
        };
        foreach (var a in _command.Args) info.ArgumentList.Add(a);
        foreach (var (k, v) in _command.Env) info.Environment[k] = v;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _startedTicks = Stopwatch.GetTimestamp();
        if (!process.Start()) throw new InvalidOperationException($"could not start {_command.File}");
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > TailLines) _tail.Dequeue();
        }
        LineReceived?.Invoke(line);
        var m = ServingLine().Match(line);
        if (m.Success)
        {
            _servingLine.TrySetResult(new IPEndPoint(IPAddress.Parse(m.Groups["host"].Value),
                int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>After a failed run: waits up to <paramref name="wait"/> for the process to end (a JVM that hit
    /// OutOfMemoryError takes a moment), then <see cref="ExitNote"/>.</summary>
    public async Task<string?> ExitNoteAsync(TimeSpan wait)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(wait);
        }
        catch (TimeoutException)
        {
            // still running: the failure was not the server dying
        }
        return ExitNote();
    }

    /// <summary>Null while running; otherwise how it ended and its last error-looking output line.</summary>
    public string? ExitNote()
    {
        if (_process is null || !_process.HasExited) return null;
        string? last;
        lock (_tail)
        {
            last = _tail.LastOrDefault(l => l.Contains("OutOfMemoryError", StringComparison.Ordinal))
                ?? _tail.LastOrDefault(l => l.Contains("ERROR", StringComparison.Ordinal) || l.Contains("Error", StringComparison.Ordinal));
        }
        return $"{Name} exited with {_process.ExitCode}{(last is null ? "" : ": " + last.Trim())}";
    }

    public string Tail()
    {
        lock (_tail) return $"--- last output of {Name} (pid {Pid}) ---\n{string.Join('\n', _tail)}";
    }

    /// <summary>
    /// Ready means a session handshake succeeds (a listening port alone is not enough for ZooKeeper), and
    /// with <paramref name="knownPath"/> also a getData of it. Retries every 10 ms (so start-up times are
    /// measured to about that): there is no event to wait on from outside the process.
    /// </summary>
    private async Task WaitForServingAsync(string? knownPath, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} during start-up\n{Tail()}");
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(TimeSpan.FromSeconds(5));
                await using var conn = await BenchConnection.ConnectAsync(EndPoint, attempt.Token, bufferBytes: 4096);
                if (knownPath is not null) await conn.GetDataAsync(knownPath, attempt.Token);
                StartToServingMs = Setup.SecondsSince(_startedTicks) * 1000;
                await conn.CloseSessionAsync(attempt.Token);
                return;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                if (deadline.Elapsed > ReadyTimeout)
                    throw new TimeoutException($"{Name} on {EndPoint} accepted no session within {ReadyTimeout.TotalSeconds:0} s\n{Tail()}");
                await Task.Delay(10, ct);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private const int SigTerm = 15;
    private const int SigKill = 9;

    private async Task StopAsync()
    {
        if (_process is null || _process.HasExited) return;
        Kill(_process.Id, SigTerm);
        using var grace = new CancellationTokenSource(StopGrace);
        try
        {
            await _process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _process?.Dispose();
            try
            {
                Directory.Delete(WorkDir, recursive: true);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"coord-bench: could not delete {WorkDir}: {e.Message}");
            }
        }
    }
}
