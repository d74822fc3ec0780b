using System.Globalization;

namespace Coord.Interop.Specs.Harness;

/// <summary>Apache ZooKeeper 3.8 standalone (Debian's package), one JVM per instance.</summary>
internal sealed class ZooKeeperServer(ChildProcess process, string workDir, int port)
    : ServerProcessBase(process, workDir, "127.0.0.1", port)
{
    /// <summary>The server jar's manifest pulls in its dependencies; slf4j-simple gives it a log on stderr.</summary>
    public const string ServerClasspath = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    public override string Kind => "zookeeper";
    public override string DataDir => Path.Combine(WorkDir, "data");

    public static async Task<IServerProcess> StartAsync(ServerOptions options, CancellationToken ct)
    {
        if (!File.Exists("/usr/share/java/zookeeper.jar"))
        {
            throw new InvalidOperationException("Apache ZooKeeper is not installed: apt-get install zookeeper");
        }

        // The port is free when picked but may be taken before the JVM binds it: retry a few times.
        for (var attempt = 1; ; attempt++)
        {
            var workDir = TempDir.Create("zookeeper");
            var port = Net.FreePort();
            var server = Launch(options, workDir, port);
            try
            {
                await server.WaitReadyAsync(ct);
                return server;
            }
            catch (Exception) when (attempt < 3 && server.Process.Stderr.Text().Contains("Address already in use"))
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

    private static ZooKeeperServer Launch(ServerOptions options, string workDir, int port)
    {
        var dataDir = Path.Combine(workDir, "data");
        Directory.CreateDirectory(dataDir);
        var cfg = new List<string>
        {
            $"tickTime={options.TickMs}",
            $"dataDir={dataDir}",
            $"clientPort={port}",
            "clientPortAddress=127.0.0.1",
            "4lw.commands.whitelist=*",
            "admin.enableServer=false",
        };
        if (options.ConnectionsPerIpMax is { } perIp)
        {
            cfg.Add($"maxClientCnxns={perIp}");
        }

        if (options.MaxSessionTimeoutMs is { } max)
        {
            cfg.Add($"maxSessionTimeout={max}");
        }

        var cfgPath = Path.Combine(workDir, "zoo.cfg");
        File.WriteAllLines(cfgPath, cfg);

        var args = new List<string>
        {
            "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-cp", ServerClasspath,
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
            $"-Dzookeeper.extendedTypesEnabled={(options.ExtendedTypes ? "true" : "false")}",
        };
        if (options.SuperDigest is { } digest)
        {
            args.Add($"-Dzookeeper.DigestAuthenticationProvider.superDigest={digest}");
        }

        if (options.ContainerCheckIntervalMs is { } interval)
        {
            args.Add($"-Dznode.container.checkIntervalMs={interval}");
        }

        args.Add("org.apache.zookeeper.server.ZooKeeperServerMain");
        args.Add(cfgPath);
        return new ZooKeeperServer(ChildProcess.Start(Tools.Java, args, workDir), workDir, port);
    }

    private async Task WaitReadyAsync(CancellationToken ct)
    {
        await Poll.UntilAsync<string>(
            async () =>
            {
                ct.ThrowIfCancellationRequested();
                var answer = await Net.FourLetterWordAsync(Host, Port, "ruok", TimeSpan.FromSeconds(2));
                if (answer != "imok")
                {
                    return null;
                }

                await Net.ProbeSessionAsync(Host, Port, TimeSpan.FromSeconds(5));
                return answer;
            },
            ReadyTimeout,
            () => $"ZooKeeper on {ConnectString} did not become ready\n{Process.Describe()}",
            Process.Exited);
    }
}
