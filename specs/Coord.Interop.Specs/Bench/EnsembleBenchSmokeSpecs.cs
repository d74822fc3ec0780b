using System.Globalization;
using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Bench;

/// <summary>
/// The ensemble benchmarks work end to end, tiny (issue 12's targets are measured with the same commands, longer):
/// `coord-bench --compare --ensemble 3 --smoke` starts a three-member ZooKeeper and a three-member Coord ensemble from
/// zoo.cfg files and runs create, set, get and mixed with every driver; `coord-bench --failover --smoke` kills each
/// ensemble's leader under kazoo writers; `coord-bench --sync-fresh --compare --smoke` starts a member with an empty data
/// folder next to a loaded ensemble. Checks the harness, not speed: every row measured something without errors, across
/// the kill no acknowledged write went missing on either server, and the fresh member ends with every znode.
/// </summary>
public sealed class EnsembleBenchSmokeSpecs
{
    [Fact]
    public async Task Ensemble_compare_smoke_prints_a_clean_row_for_every_workload_and_driver()
    {
        var result = await Tools.RunAsync("dotnet",
            [BenchSmokeSpecs.BenchDll(), "--compare", "--ensemble", "3", "--smoke", "--markdown", "--coord-dll", RepoPaths.CoordDll],
            TimeSpan.FromSeconds(150));

        var rows = BenchSmokeSpecs.MarkdownRows(result.Stdout, "workload", "driver", "CxK", extraColumn: false);
        var expected = new[] { "create", "set", "get", "mixed" }.SelectMany(w => new[] { "raw", "client", "java" }.Select(d => (w, d))).ToList();
        foreach (var (workload, driver) in expected)
        {
            var row = rows.SingleOrDefault(r => r["workload"] == workload && r["driver"] == driver);
            Assert.True(row is not null, $"no row for {workload}/{driver}\n{result}");
            Assert.True(row["errors zk"] == "0" && row["errors coord"] == "0", $"{workload}/{driver} had errors\n{result}");
            foreach (var column in new[] { "ops/s zk", "ops/s coord", "p99_us zk", "p99_us coord", "cpu_us/op zk", "cpu_us/op coord" })
            {
                Assert.True(double.TryParse(row[column], CultureInfo.InvariantCulture, out double v) && v > 0,
                    $"{workload}/{driver}: '{column}' is '{row[column]}'\n{result}");
            }
        }
        Assert.Equal(expected.Count, rows.Count);
        Assert.Contains("# ensembles of 3 members each from zoo.cfg", result.Stdout);
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Failover_smoke_loses_no_acknowledged_write_on_either_ensemble()
    {
        var result = await Tools.RunAsync("dotnet",
            [BenchSmokeSpecs.BenchDll(), "--failover", "--smoke", "--markdown", "--coord-dll", RepoPaths.CoordDll],
            TimeSpan.FromSeconds(120));

        var table = FigureTable(result.Stdout);
        string Cell(string figure, string server) =>
            table.TryGetValue(figure, out var row) ? row[server] : throw new Xunit.Sdk.XunitException($"no '{figure}' row\n{result}");
        foreach (var server in new[] { "zk", "coord" })
        {
            Assert.True(Cell("failed_runs", server) == "0", $"{server}: a failover run failed\n{result}");
            Assert.True(Cell("lost", server) == "0", $"{server}: acknowledged writes lost\n{result}");
            Assert.True(Cell("unexpected", server) == "0", $"{server}: writes present that were never sent\n{result}");
            foreach (var figure in new[] { "pause_ms", "new_leader_ms", "acknowledged" })
            {
                Assert.True(double.TryParse(Cell(figure, server), CultureInfo.InvariantCulture, out double v) && v > 0,
                    $"{server}: '{figure}' is '{Cell(figure, server)}'\n{result}");
            }
        }
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Sync_fresh_smoke_brings_a_member_with_an_empty_data_folder_to_every_znode_on_both_servers()
    {
        var result = await Tools.RunAsync("dotnet",
            [BenchSmokeSpecs.BenchDll(), "--sync-fresh", "--compare", "--smoke", "--znodes", "2000", "--markdown", "--coord-dll", RepoPaths.CoordDll],
            TimeSpan.FromSeconds(120));

        var table = FigureTable(result.Stdout);
        string Cell(string figure, string server) =>
            table.TryGetValue(figure, out var row) ? row[server] : throw new Xunit.Sdk.XunitException($"no '{figure}' row\n{result}");
        foreach (var server in new[] { "zk", "coord" })
        {
            Assert.True(Cell("failed_runs", server) == "0", $"{server}: the run failed\n{result}");
            Assert.True(double.TryParse(Cell("synced_ms", server), CultureInfo.InvariantCulture, out double ms) && ms > 0,
                $"{server}: synced_ms is '{Cell("synced_ms", server)}'\n{result}");
            // 2,000 children, their 2 parents and the root on top of what the server holds from the start.
            long expected = long.Parse(Cell("znodes_expected", server), CultureInfo.InvariantCulture);
            Assert.InRange(expected, 2003 + 1, 2003 + 10);
            Assert.True(Cell("znodes_fresh", server) == Cell("znodes_expected", server), $"{server}: the fresh member misses znodes\n{result}");
            Assert.True(Cell("znodes_leader", server) == Cell("znodes_expected", server), $"{server}: the leader misses znodes\n{result}");
        }
        Assert.Contains("member 3 held back with an empty dataDir", result.Stdout);
        Assert.Equal(0, result.ExitCode);
    }

    /// <summary>The Markdown table "| figure | zk | coord | ratio |", as figure → (column → cell).</summary>
    private static Dictionary<string, Dictionary<string, string>> FigureTable(string stdout)
    {
        var lines = stdout.Split('\n').Select(l => l.Trim()).ToList();
        int start = lines.FindIndex(l => l == "| figure | zk | coord | ratio |");
        Assert.True(start >= 0, $"no failover table\n{stdout}");
        var table = new Dictionary<string, Dictionary<string, string>>();
        for (int i = start + 2; i < lines.Count && lines[i].StartsWith('|'); i++)
        {
            var cells = lines[i].Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            table[cells[0]] = new Dictionary<string, string> { ["zk"] = cells[1], ["coord"] = cells[2], ["ratio"] = cells[3] };
        }
        return table;
    }
}
