using System.CommandLine;
using System.Text;
using Coord.Host.Cli;

namespace Coord.Host.Specs.Config;

/// <summary>What `coord serve --config` does with a zoo.cfg, through the command in-process.</summary>
public class ServeConfigSpecs
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Serve_starts_a_member_of_a_multi_member_zoo_cfg_ensemble_on_its_peer_port()
    {
        // The other members are not running: this one listens for clients, binds its peer port and looks for a leader.
        using var dir = new TempDir();
        var data = Path.Combine(dir.Path, "data");
        dir.Write("data/myid", "2\n");
        var peers = Enumerable.Range(0, 6).Select(_ => FreePort()).ToArray();
        var zoo = dir.Write("zoo.cfg", $"dataDir={data}\nclientPort=0\ninitLimit=10\nsyncLimit=5\nadmin.enableServer=false\n"
            + $"server.1=127.0.0.1:{peers[0]}:{peers[1]}\nserver.2=127.0.0.1:{peers[2]}:{peers[3]}\nserver.3=127.0.0.1:{peers[4]}:{peers[5]}\n");
        var (output, error) = await ServeUntilServingThenStopAsync(zoo, () => AssertListening(peers[2]));
        Assert.Contains("coord: serving clients on 127.0.0.1:", output);
        Assert.Contains("Replication: member 2 of 3 starting", output);
        Assert.Equal("", error);
        Assert.Contains("coord.db", Directory.GetFileSystemEntries(data).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Serve_starts_an_observer_of_a_multi_member_hocon_ensemble()
    {
        using var dir = new TempDir();
        var data = Path.Combine(dir.Path, "data").Replace("\\", "/");
        var peers = Enumerable.Range(0, 4).Select(_ => FreePort()).ToArray();
        var conf = dir.Write("coord.conf", $$"""
            coord {
              server-id = 3
              data-dir = "{{data}}"
              client.port = 0
              admin.enabled = false
              ensemble.members {
                1 { host = "127.0.0.1", peer-port = {{peers[0]}} }
                2 { host = "127.0.0.1", peer-port = {{peers[1]}} }
                3 { host = "127.0.0.1", peer-port = {{peers[2]}}, role = observer }
                4 { host = "127.0.0.1", peer-port = {{peers[3]}} }
              }
            }
            """);
        var (output, error) = await ServeUntilServingThenStopAsync(conf, () => AssertListening(peers[2]));
        Assert.Contains("Replication: member 3 of 4 starting", output);
        Assert.Equal("", error);
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Akka.Remote of the member accepts connections on its peer port.</summary>
    private static void AssertListening(int port)
    {
        using var c = new System.Net.Sockets.TcpClient();
        c.Connect(System.Net.IPAddress.Loopback, port);
        Assert.True(c.Connected);
    }

    [Fact]
    public async Task A_single_member_hocon_ensemble_starts_standalone()
    {
        using var dir = new TempDir();
        var data = Path.Combine(dir.Path, "data").Replace("\\", "/");
        var conf = dir.Write("coord.conf", $$"""
            coord {
              server-id = 5
              data-dir = "{{data}}"
              client.port = 0
              ensemble.members { 5 { host = "127.0.0.1", peer-port = 2888, election-port = 3888 } }
            }
            """);
        var (output, error) = await ServeUntilServingThenStopAsync(conf);
        Assert.Contains("coord: serving clients on 127.0.0.1:", output);
        Assert.Equal("", error);
    }

    [Fact]
    public async Task Serve_prints_every_zoo_cfg_warning_and_starts_a_single_member_standalone()
    {
        using var dir = new TempDir();
        var zoo = dir.Write("zoo.cfg", $"dataDir={Path.Combine(dir.Path, "data")}\nclientPort=0\ninitLimit=10\nserver.1=a:2888:3888\nautopurge.purgeInterval=1\nadmin.enableServer=false\n");
        var (_, error) = await ServeUntilServingThenStopAsync(zoo);

        var warnings = error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, warnings.Length);
        Assert.All(warnings, w => Assert.StartsWith($"coord: configuration warning: {zoo}:", w));
        Assert.Contains(warnings, w => w.Contains(":3: 'initLimit' ignored: it is an ensemble setting and this server runs standalone"));
        Assert.Contains(warnings, w => w.Contains(":4: 'server.1' ignored: a single member runs standalone, as in ZooKeeper"));
        Assert.Contains(warnings, w => w.Contains(":5: unknown or unsupported zoo.cfg key 'autopurge.purgeInterval' ignored"));
    }

    [Fact]
    public async Task With_logging_format_json_every_log_entry_is_one_json_object_per_line()
    {
        using var dir = new TempDir();
        string data = Path.Combine(dir.Path, "data").Replace("\\", "/");
        var conf = dir.Write("coord.conf", $$"""coord { client.port = 0, admin.port = 0, data-dir = "{{data}}", logging.format = json }""");
        var (output, _) = await ServeUntilServingThenStopAsync(conf);

        // The serving line stays plain text for scripts; every log entry is a JSON object a shipper can parse.
        var entries = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith("coord: ", StringComparison.Ordinal))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        Assert.True(entries.Count >= 4, output);
        Assert.All(entries, e =>
        {
            Assert.True(DateTime.TryParse(e.GetProperty("timestamp").GetString(), out _));
            Assert.Contains(e.GetProperty("level").GetString(), new[] { "Information", "Warning" });
            Assert.StartsWith("Coord.", e.GetProperty("category").GetString(), StringComparison.Ordinal);
            Assert.NotEmpty(e.GetProperty("message").GetString()!);
        });
        var serving = Assert.Single(entries, e => e.GetProperty("event_id").GetInt32() == 3000);
        Assert.Equal(data, serving.GetProperty("state").GetProperty("DataDir").GetString());
        Assert.StartsWith("127.0.0.1:", serving.GetProperty("state").GetProperty("EndPoint").GetString(), StringComparison.Ordinal);
        Assert.Contains(entries, e => e.GetProperty("event_id").GetInt32() == 3005); // "Stopped", written while stopping
    }

    /// <summary>Runs `coord serve --config FILE` in-process until it serves, stops it as SIGTERM would (exit 0 expected), and returns what it wrote.</summary>
    private static async Task<(string Output, string Error)> ServeUntilServingThenStopAsync(string configFile, Action? whileServing = null)
    {
        var output = new LineWaiter("coord: serving clients on ");
        var error = new LineWaiter("never");
        using var stop = new CancellationTokenSource();
        var serve = new RootCommand { ServeCommand.Create() }.Parse(["serve", "--config", configFile])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, stop.Token);
        var started = await Task.WhenAny(output.Seen, serve).WaitAsync(StartDeadline);
        Assert.True(started == output.Seen, $"serve ended before serving: {error.Text}");
        whileServing?.Invoke();
        stop.Cancel();
        Assert.Equal(0, await serve.WaitAsync(StartDeadline));
        return (output.Text, error.Text);
    }

    /// <summary>A thread-safe writer that completes <see cref="Seen"/> once its text contains a marker.</summary>
    private sealed class LineWaiter(string marker) : TextWriter
    {
        private readonly StringBuilder _text = new();
        private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Seen => _seen.Task;
        public override Encoding Encoding => Encoding.UTF8;

        public string Text
        {
            get { lock (_text) return _text.ToString(); }
        }

        public override void Write(char value) => Write(value.ToString());

        public override void Write(string? value)
        {
            lock (_text)
            {
                _text.Append(value);
                if (_text.ToString().Contains(marker, StringComparison.Ordinal)) _seen.TrySetResult();
            }
        }
    }
}
