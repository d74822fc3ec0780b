using System.Text.RegularExpressions;
using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Container;

/// <summary>
/// `coord health`, the container image's HEALTHCHECK (the runtime-deps image has no curl), against a real
/// `coord serve`: 0 for a 2xx answer, 1 for anything else or nothing listening, 2 for a bad command line.
/// </summary>
public sealed partial class HealthCommandSpecs
{
    [GeneratedRegex(@"^coord: admin on http://(?<address>127\.0\.0\.1:\d+)$")]
    private static partial Regex AdminLine();

    [Fact]
    public async Task Health_exits_0_on_2xx_1_on_other_answers_or_no_server_and_2_on_usage_errors()
    {
        var work = TempDir.Create("health");
        string admin;
        try
        {
            await using (var server = ChildProcess.Start("dotnet",
                             [RepoPaths.CoordDll, "serve", "--client-port", "0", "--admin-port", "0", "--data-dir", Path.Combine(work, "data")], work))
            {
                var line = await server.WaitForLineAsync(l => AdminLine().IsMatch(l), TimeSpan.FromSeconds(30), "the admin line");
                admin = AdminLine().Match(line).Groups["address"].Value;
                await server.WaitForLineAsync(l => l.StartsWith("coord: serving clients on ", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(30), "the serving line");

                var healthy = await HealthAsync("--url", $"http://{admin}/health");
                Assert.True(healthy.ExitCode == 0, healthy.ToString());
                Assert.Equal($"http://{admin}/health: 200 {{\"status\":\"ok\"}}", healthy.Stdout.Trim());

                var ready = await HealthAsync("--url", $"http://{admin}/ready", "--timeout", "10");
                Assert.True(ready.ExitCode == 0, ready.ToString());
                Assert.Contains("\"ready\":true", ready.Stdout);

                var missing = await HealthAsync("--url", $"http://{admin}/no-such-page");
                Assert.True(missing.ExitCode == 1, missing.ToString());
                Assert.StartsWith($"coord: not healthy: http://{admin}/no-such-page: 404 ", missing.Stderr);
            }

            // The server has stopped: nothing listens on its admin port any more.
            var gone = await HealthAsync("--url", $"http://{admin}/health");
            Assert.True(gone.ExitCode == 1, gone.ToString());
            Assert.StartsWith($"coord: not healthy: http://{admin}/health: ", gone.Stderr);
            Assert.Equal("", gone.Stdout);
        }
        finally
        {
            TempDir.Delete(work);
        }

        foreach (var usage in new[] { ["--url", "ftp://127.0.0.1/health"], ["--url", "not a url"], ["--timeout", "0"], new[] { "--bogus" } })
        {
            var result = await HealthAsync(usage);
            Assert.True(result.ExitCode == 2, $"coord health {string.Join(' ', usage)}\n{result}");
            Assert.NotEqual("", result.Stderr.Trim());
        }
    }

    private static Task<ProcessResult> HealthAsync(params string[] args) =>
        Tools.RunAsync("dotnet", [RepoPaths.CoordDll, "health", .. args], TimeSpan.FromSeconds(30));
}
