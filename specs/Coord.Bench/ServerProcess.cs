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
public sealed partial class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    private const int TailLines = 40;

    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly TaskCompletionSource<IPEndPoint> _servingLine = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(string name, Process process, string workDir)
    {
        Name = name;
        _process = process;
        WorkDir = workDir;
    }

    public string Name { get; }
    public string WorkDir { get; }
    public int Pid => _process.Id;
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>
    /// Apache ZooKeeper standalone with the JVM flags of a stock <c>zkServer.sh</c> (-Xmx1000m), so
    /// neither side gets a tuned heap. forceSync follows the option; it is on in a stock ZooKeeper.
    /// </summary>
    public static async Task<ServerProcess> StartZooKeeperAsync(bool forceSync, CancellationToken ct)
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
            $"forceSync={(forceSync ? "yes" : "no")}",
        ]);
        var server = Start("zookeeper", "java",
            ["-Xmx1000m", "-cp", $"{jar}:/usr/share/java/slf4j-nop.jar", "org.apache.zookeeper.server.ZooKeeperServerMain", cfg],
            workDir);
        server.EndPoint = new IPEndPoint(IPAddress.Loopback, port);
        try
        {
            await server.WaitForSessionAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>coord serve on an ephemeral port; the port comes from its "serving clients on" line.</summary>
    public static async Task<ServerProcess> StartCoordAsync(string coordDll, CancellationToken ct)
    {
        var workDir = Directory.CreateTempSubdirectory("coord-bench-coord-").FullName;
        var dataDir = Path.Combine(workDir, "data");
        Directory.CreateDirectory(dataDir);
        var server = Start("coord", "dotnet", [coordDll, "serve", "--client-port", "0", "--data-dir", dataDir], workDir);
        try
        {
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
            await server.WaitForSessionAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    [GeneratedRegex(@"serving clients on (?<host>[0-9.]+):(?<port>\d+)")]
    private static partial Regex ServingLine();

    private static ServerProcess Start(string name, string file, IEnumerable<string> args, string workDir)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var server = new ServerProcess(name, process, workDir);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        if (!process.Start()) throw new InvalidOperationException($"could not start {file}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > TailLines) _tail.Dequeue();
        }
        var m = ServingLine().Match(line);
        if (m.Success)
        {
            _servingLine.TrySetResult(new IPEndPoint(IPAddress.Parse(m.Groups["host"].Value),
                int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture)));
        }
    }

    public string Tail()
    {
        lock (_tail) return $"--- last output of {Name} (pid {Pid}) ---\n{string.Join('\n', _tail)}";
    }

    /// <summary>
    /// Ready means a session handshake succeeds (a listening port alone is not enough for ZooKeeper).
    /// Retries every 200 ms: there is no event to wait on from outside the process.
    /// </summary>
    private async Task WaitForSessionAsync(CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} during start-up\n{Tail()}");
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(TimeSpan.FromSeconds(5));
                await using var conn = await BenchConnection.ConnectAsync(EndPoint, attempt.Token);
                await conn.CloseSessionAsync(attempt.Token);
                return;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                if (deadline.Elapsed > ReadyTimeout)
                    throw new TimeoutException($"{Name} on {EndPoint} accepted no session within {ReadyTimeout.TotalSeconds:0} s\n{Tail()}");
                await Task.Delay(200, ct);
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

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
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
        }
        finally
        {
            _process.Dispose();
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
