using System.Text.RegularExpressions;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;

namespace Coord.Interop.Specs.Differential;

/// <summary>
/// Runs differential.py (one seeded sequence of kazoo operations over several sessions) against Apache
/// ZooKeeper and Coord and requires identical results, watch events and final trees. A ZooKeeper-vs-
/// ZooKeeper run shows the comparison is sound (0 differences) and that it can fail (self-test mutation).
/// </summary>
public sealed partial class DifferentialSpecs(ITestOutputHelper output)
{
    private const int Seed = 20261122;
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(4);

    public static string Script => Path.Combine(RepoPaths.SpecsDir, "Differential", "differential.py");

    [GeneratedRegex(@"^ops=(?<ops>\d+) sessions=(?<sessions>\d+) differences=(?<d>-?\d+)$", RegexOptions.Multiline)]
    private static partial Regex Summary();

    [Fact]
    public async Task Coord_matches_ZooKeeper_on_10000_seeded_operations_over_8_sessions()
    {
        var zk = Servers.StartAsync("zookeeper");
        // Debian's ZooKeeper is 3.8.0, from before exists checked READ (3.8.4/3.9.2); Coord follows 3.9.4 by
        // default and is told to match here, so every other difference still counts.
        var coord = Servers.StartAsync("coord", new ServerOptions(ExistsRequiresRead: false));
        try
        {
            await Task.WhenAll(zk, coord);
        }
        catch
        {
            await DisposeStarted(zk, coord);
            throw;
        }

        await using var a = await zk;
        await using var b = await coord;
        var result = await Run(a, b, Seed, 10_000, 8);
        Assert.True(result.Differences == 0 && result.Run.ExitCode == 0,
            $"ZooKeeper (A) and Coord (B) differ:\n{result.Run}");
        Assert.Equal(10_000, result.Ops);
    }

    [Fact]
    public async Task ZooKeeper_vs_ZooKeeper_has_no_differences_and_the_self_tests_are_detected()
    {
        var first = Servers.StartAsync("zookeeper");
        var second = Servers.StartAsync("zookeeper");
        try
        {
            await Task.WhenAll(first, second);
        }
        catch
        {
            await DisposeStarted(first, second);
            throw;
        }

        await using var a = await first;
        await using var b = await second;

        var clean = await Run(a, b, Seed + 1, 3_000, 8);
        Assert.True(clean.Differences == 0 && clean.Run.ExitCode == 0,
            $"two Apache ZooKeeper servers must agree (else the comparison is unsound):\n{clean.Run}");

        var mutated = await Run(a, b, Seed + 2, 3_000, 8, "--self-test-mutate");
        Assert.Equal(1, mutated.Run.ExitCode);
        Assert.Equal(1, mutated.Differences);
        Assert.Contains("self-test-mutation", mutated.Run.Stdout);

        // Every difference is listed so the tree dump's lines are not cut off by the report cap.
        var diverged = await Run(a, b, Seed + 3, 3_000, 8, "--self-test-extra-write", "--max-report", "100000");
        Assert.Equal(1, diverged.Run.ExitCode);
        Assert.True(diverged.Differences > 0, diverged.Run.ToString());
        Assert.Contains("DIFF tree ", diverged.Run.Stdout);
    }

    private sealed record Outcome(ProcessResult Run, int Ops, int Differences);

    private async Task<Outcome> Run(IServerProcess a, IServerProcess b, int seed, int ops, int sessions, params string[] extra)
    {
        string[] args =
        [
            Script, "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--ops", ops.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--sessions", sessions.ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. extra, a.ConnectString, b.ConnectString,
        ];
        var started = DateTime.UtcNow;
        var run = await Tools.RunAsync(Tools.Python, args, ScriptTimeout);
        output.WriteLine($"$ differential.py {string.Join(' ', args.Skip(1))}  ({(DateTime.UtcNow - started).TotalSeconds:0.0} s)");
        output.WriteLine(run.Stdout.Length > 20_000 ? run.Stdout[..20_000] + "\n...(truncated)" : run.Stdout);
        if (run.Stderr.Length > 0)
        {
            output.WriteLine("--- stderr ---\n" + (run.Stderr.Length > 5_000 ? run.Stderr[^5_000..] : run.Stderr));
        }

        var m = Summary().Match(run.Stdout);
        Assert.True(m.Success, $"differential.py printed no summary line:\n{run}");
        return new Outcome(run, int.Parse(m.Groups["ops"].Value, System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(m.Groups["d"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task DisposeStarted(params Task<IServerProcess>[] starts)
    {
        foreach (var s in starts)
        {
            try
            {
                await (await s).DisposeAsync();
            }
            catch (Exception)
            {
                // did not start: nothing to stop
            }
        }
    }
}
