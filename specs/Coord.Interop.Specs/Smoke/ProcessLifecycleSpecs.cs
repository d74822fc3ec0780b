using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Smoke;

/// <summary>The `coord` executable as an operator meets it: start, stop on SIGTERM, refuse bad config.</summary>
public sealed class ProcessLifecycleSpecs
{
    [Fact]
    public async Task Sigterm_stops_the_server_cleanly_with_exit_code_0()
    {
        var dir = Directory.CreateTempSubdirectory("coord-lifecycle-").FullName;
        try
        {
            await using var coord = ChildProcess.Start("dotnet", [RepoPaths.CoordDll, "serve", "--client-port", "0", "--admin-port", "0", "--data-dir", Path.Combine(dir, "data")]);
            var line = await coord.WaitForLineAsync(l => l.Contains("serving clients on 127.0.0.1:"), TimeSpan.FromSeconds(30), "the serving line");
            int port = int.Parse(line[(line.LastIndexOf(':') + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal("imok", await Net.FourLetterWordAsync("127.0.0.1", port, "ruok", TimeSpan.FromSeconds(5)));
            Posix.Signal(coord.Pid, Posix.SigTerm);
            int exit = await coord.Exited.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, exit);
            Assert.True(Directory.Exists(Path.Combine(dir, "data")), "the data folder is created");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_configuration_error_exits_2_and_names_the_key()
    {
        var dir = Directory.CreateTempSubdirectory("coord-badconf-").FullName;
        try
        {
            var conf = Path.Combine(dir, "bad.conf");
            await File.WriteAllTextAsync(conf, "coord { tick-ms = 1000, session.timeout-ms-min = 500, client.prot = 1 }\n");
            var result = await Tools.RunAsync("dotnet", [RepoPaths.CoordDll, "serve", "--config", conf], TimeSpan.FromSeconds(30));
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("coord.client.prot", result.Stderr);
            Assert.Contains("port", result.Stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
