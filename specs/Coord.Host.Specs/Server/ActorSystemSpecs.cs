using Coord.Actors.Settings;
using Coord.Host.Config;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Host.Specs.Server;

/// <summary>One ActorSystem per server, configured by the file's akka { } section.</summary>
public sealed class ActorSystemSpecs
{
    [Fact]
    public async Task The_files_akka_section_configures_the_servers_actor_system_and_the_core_keeps_its_own_dispatcher()
    {
        string dir = Directory.CreateTempSubdirectory("coord-akka-spec-").FullName;
        try
        {
            string file = Path.Combine(dir, "coord.conf");
            await File.WriteAllTextAsync(file, """
                coord { client.port = 0, data-dir = "data", admin.enabled = false }
                akka.actor.default-dispatcher.throughput = 7
                """);
            var loaded = ConfigLoader.LoadDetailed(file, new Dictionary<string, string?>(), new System.Collections.Hashtable());
            var settings = loaded.Settings with { DataDir = Path.Combine(dir, "data") };
            await using var server = new CoordServer(settings, NullLoggerFactory.Instance, akka: loaded.Akka);
            await server.StartAsync();
            var config = server.ActorSystem.Settings.Config;
            Assert.Equal(7, config.GetInt("akka.actor.default-dispatcher.throughput"));
            Assert.Equal("Coord.Actors.Core.SerialExecutorFactory, Coord.Actors", config.GetString("coord.core-dispatcher.executor"));
            Assert.Equal("coord", server.ActorSystem.Name);
            Assert.Equal("imok", await WordAsync(server.ClientEndPoint.Port, "ruok"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<string> WordAsync(int port, string word)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(word));
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }
}
