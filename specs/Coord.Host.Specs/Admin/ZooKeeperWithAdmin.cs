using Coord.Interop.Specs.Harness;

namespace Coord.Host.Specs.Admin;

/// <summary>
/// Apache ZooKeeper 3.8 standalone (Debian's package) with its Jetty AdminServer on, for comparing answers field by
/// field. Debian's zookeeper.jar names Jetty in its manifest but not the servlet API it needs, so the classpath adds
/// Debian's servlet-api.jar (libservlet-api-java, which the package pulls in through libjetty9-java).
/// </summary>
internal sealed class ZooKeeperWithAdmin : IAsyncDisposable
{
    private const string Classpath = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar:/usr/share/java/servlet-api.jar";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private ZooKeeperWithAdmin(ChildProcess process, string workDir, int clientPort, int adminPort)
    {
        Process = process;
        WorkDir = workDir;
        ClientPort = clientPort;
        Admin = new Uri($"http://127.0.0.1:{adminPort}/");
    }

    public ChildProcess Process { get; }
    public string WorkDir { get; }
    public int ClientPort { get; }
    public Uri Admin { get; }
    public string ConnectString => $"127.0.0.1:{ClientPort}";

    public static async Task<ZooKeeperWithAdmin> StartAsync()
    {
        foreach (var jar in Classpath.Split(':'))
        {
            if (!File.Exists(jar)) throw new InvalidOperationException($"{jar} is missing: apt-get install zookeeper (it brings libservlet-api-java)");
        }
        // Free ports may be taken before the JVM binds them: retry a few times, as the interop harness does.
        for (var attempt = 1; ; attempt++)
        {
            var workDir = TempDir.Create("zookeeper-admin");
            int clientPort = Net.FreePort(), adminPort = Net.FreePort();
            var cfg = Path.Combine(workDir, "zoo.cfg");
            await File.WriteAllLinesAsync(cfg,
            [
                "tickTime=2000", $"dataDir={Path.Combine(workDir, "data")}", $"clientPort={clientPort}", "clientPortAddress=127.0.0.1",
                "admin.enableServer=true", "admin.serverAddress=127.0.0.1", $"admin.serverPort={adminPort}",
            ]);
            var process = ChildProcess.Start(Tools.Java,
                ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", Classpath, "org.apache.zookeeper.server.ZooKeeperServerMain", cfg],
                workDir);
            var server = new ZooKeeperWithAdmin(process, workDir, clientPort, adminPort);
            try
            {
                // The AdminServer answers before the server runs ("not currently serving"); ruok without an error means it runs.
                await Poll.UntilAsync<string>(async () =>
                {
                    var answer = await AdminHttp.GetOrRefusedAsync(server.Admin, "commands/ruok");
                    return answer is not null && answer.Json.GetProperty("error").ValueKind == System.Text.Json.JsonValueKind.Null ? "ok" : null;
                }, ReadyTimeout, () => $"ZooKeeper's AdminServer did not answer ruok\n{process.Describe()}", process.Exited);
                return server;
            }
            catch (Exception) when (attempt < 3 && process.Stderr.Text().Contains("Address already in use"))
            {
                await server.DisposeAsync();
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        TempDir.Delete(WorkDir);
    }
}
