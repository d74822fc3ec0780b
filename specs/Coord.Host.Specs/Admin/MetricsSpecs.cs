using System.Globalization;
using System.Net;
using Coord.Client;
using Coord.Interop.Specs.Harness;

namespace Coord.Host.Specs.Admin;

/// <summary>
/// /metrics of a real `coord serve`: Prometheus's own parser (promtool, Debian's prometheus package) reads the
/// exposition, and the counters and histograms move with the load a client puts on the server.
/// </summary>
public sealed class MetricsSpecs
{
    private const string Promtool = "/usr/bin/promtool";
    private const int Writes = 200;

    /// <summary>ZooKeeper's metric names that promtool's linter flags (a gauge named ..._count): kept, as dashboards
    /// built for ZooKeeper query them by these names. Every other name must lint clean.</summary>
    private static readonly string[] ZooKeeperCountGauges =
        ["znode_count", "watch_count", "ephemerals_count", "open_file_descriptor_count", "max_file_descriptor_count"];

    [Fact]
    public async Task Promtool_parses_the_exposition_and_only_ZooKeepers_own_count_gauges_draw_lint_remarks()
    {
        Assert.True(File.Exists(Promtool), "promtool is missing: apt-get install prometheus");
        await using var coord = await CoordProcess.StartAsync();
        var page = await AdminHttp.GetAsync(coord.Admin!, "metrics");
        Assert.Equal((HttpStatusCode.OK, "text/plain"), (page.Status, page.ContentType));

        var check = await Tools.RunAsync(Promtool, ["check", "metrics"], TimeSpan.FromSeconds(30), stdin: page.Body);
        // promtool exits 1 when it cannot parse, 3 when it parsed but has lint remarks.
        Assert.True(check.ExitCode is 0 or 3, check.ToString());
        var remarks = (check.Stdout + check.Stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ZooKeeperCountGauges.Order(), remarks.Select(r => r.Split(' ')[0]).Order());
        Assert.All(remarks, r => Assert.EndsWith("non-histogram and non-summary metrics should not have \"_count\" suffix", r));

        var metrics = Parse(page.Body);
        foreach (var name in new[] { "readlatency", "updatelatency", "fsynctime", "snapshottime", "coord_journal_batch_txns", "coord_group_commit_seconds" })
            Assert.Contains($"# TYPE {name} histogram", page.Body);
        Assert.Equal(1, metrics["coord_ready"]);
        Assert.Equal(4, metrics["znode_count"]); // /, /zookeeper, /zookeeper/config, /zookeeper/quota
        Assert.True(metrics["coord_journal_bytes"] > 0);
    }

    [Fact]
    public async Task Counters_and_histograms_rise_with_the_writes_and_reads_a_client_makes()
    {
        await using var coord = await CoordProcess.StartAsync();
        var before = Parse((await AdminHttp.GetAsync(coord.Admin!, "metrics")).Body);

        await using (var zk = await CoordClient.ConnectAsync(coord.ConnectString))
        {
            for (int i = 0; i < Writes; i++) await zk.CreateAsync($"/m{i}", [1]);
            for (int i = 0; i < Writes; i++) await zk.GetDataAsync($"/m{i}");
            var during = Parse((await AdminHttp.GetAsync(coord.Admin!, "metrics")).Body);
            Assert.Equal(1, during["num_alive_connections"]);
            Assert.Equal(1, during["global_sessions"]);
        }
        var after = Parse((await AdminHttp.GetAsync(coord.Admin!, "metrics")).Body);

        double Rise(string name) => after[name] - before.GetValueOrDefault(name);
        Assert.Equal(Writes, Rise("znode_count"));
        Assert.InRange(Rise("updatelatency_count"), Writes, double.MaxValue); // the creates (and the session's create and close)
        Assert.InRange(Rise("readlatency_count"), Writes, double.MaxValue);
        Assert.InRange(Rise("coord_journal_txns_total"), Writes, double.MaxValue);
        Assert.InRange(Rise("coord_journal_batch_txns_sum"), Writes, double.MaxValue);
        Assert.Equal(Rise("coord_journal_batches_total"), Rise("fsynctime_count"));
        Assert.Equal(Rise("coord_journal_batches_total"), Rise("coord_group_commit_seconds_count"));
        Assert.InRange(Rise("fsynctime_count"), 1, Rise("coord_journal_txns_total"));
        Assert.InRange(Rise("packets_received"), 2 * Writes, double.MaxValue);
        Assert.True(after["fsynctime_sum"] > before["fsynctime_sum"]);
        // Every write waits at least its own fsync: the group-commit wait is never shorter than the append.
        Assert.True(Rise("coord_group_commit_seconds_sum") * 1000 >= Rise("fsynctime_sum") * 0.999);
        Assert.Equal(Rise("updatelatency_bucket{le=\"+Inf\"}"), Rise("updatelatency_count"));
    }

    /// <summary>Samples by series ("name" or "name{labels}"), from the text exposition format.</summary>
    private static Dictionary<string, double> Parse(string exposition)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in exposition.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#')) continue;
            int split = line.LastIndexOf(' ');
            samples[line[..split]] = double.Parse(line[(split + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return samples;
    }
}
