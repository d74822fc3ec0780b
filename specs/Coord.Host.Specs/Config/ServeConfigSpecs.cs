using System.CommandLine;
using System.Text;
using Coord.Host.Cli;

namespace Coord.Host.Specs.Config;

/// <summary>What `coord serve --config` does with a zoo.cfg, through the command in-process.</summary>
public class ServeConfigSpecs
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Serve_refuses_a_multi_member_zoo_cfg_with_exit_code_2_and_says_why()
    {
        using var dir = new TempDir();
        var zoo = dir.Write("zoo.cfg", $"dataDir={Path.Combine(dir.Path, "data")}\nclientPort=0\nserver.1=a:2888:3888\nserver.2=b:2888:3888\n");
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(2, await CoordCli.RunAsync(["serve", "--config", zoo], output, error));
        Assert.StartsWith($"coord: configuration error: invalid Coord configuration:{Environment.NewLine}  - {zoo}: names 2 ensemble members", error.ToString());
        Assert.Contains("Coord cannot run an ensemble yet", error.ToString());
        Assert.DoesNotContain("serving clients", output.ToString());
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "data")));
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
        Assert.Contains(warnings, w => w.Contains(":3: 'initLimit' is an ensemble setting"));
        Assert.Contains(warnings, w => w.Contains(":4: 'server.1' is an ensemble setting"));
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
    private static async Task<(string Output, string Error)> ServeUntilServingThenStopAsync(string configFile)
    {
        var output = new LineWaiter("coord: serving clients on ");
        var error = new LineWaiter("never");
        using var stop = new CancellationTokenSource();
        var serve = new RootCommand { ServeCommand.Create() }.Parse(["serve", "--config", configFile])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, stop.Token);
        var started = await Task.WhenAny(output.Seen, serve).WaitAsync(StartDeadline);
        Assert.True(started == output.Seen, $"serve ended before serving: {error.Text}");
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
