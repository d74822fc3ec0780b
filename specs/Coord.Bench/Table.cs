using System.Globalization;
using System.Text;

namespace Coord.Bench;

/// <summary>
/// The --compare summary: one row per (workload, driver, C×K), and for each metric the ZooKeeper median,
/// the Coord median and coord/zk. RSS is the median of the value at the end of each run; errors are summed
/// over rounds (a failed run counts 1). A second, narrower table lists the workload-specific extras
/// (missed notifications, bytes per znode, restart-to-serving ms ...), same medians and ratio.
/// </summary>
public static class Table
{
    private sealed record Metric(string Name, Func<RunResult, double?> Pick, string Format);

    private static readonly Metric[] Metrics =
    [
        new("ops/s", r => r.OpsPerSecond, "0"),
        new("p50_us", r => r.Latency.P50, "0"),
        new("p99_us", r => r.Latency.P99, "0"),
        new("p999_us", r => r.Latency.P999, "0"),
        new("cpu_us/op", r => r.ServerCpuMicrosPerOp, "0.0"),
        new("rss_mib", r => r.ServerRssMib, "0"),
        // Where the 2 cores went: server + load generator near 2.0 means the machine, not the server, bounds
        // ops/s; a generator taking most of it (the java driver's JVM) means the client does.
        new("srv_cores", r => r.ServerCpuCores, "0.00"),
        new("gen_cores", r => r.LoadGeneratorCpuCores, "0.00"),
    ];

    public static void Print(TextWriter output, IReadOnlyList<PlannedRun> plan, IReadOnlyList<RunResult> results, bool markdown)
    {
        var header = new List<string> { "workload", "driver", "CxK" };
        foreach (var m in Metrics) header.AddRange([$"{m.Name} zk", $"{m.Name} coord", $"{m.Name} ratio"]);
        header.AddRange(["errors zk", "errors coord"]);

        var rows = new List<List<string>>();
        var extraRows = new List<List<string>>();
        foreach (var run in plan)
        {
            var zk = results.Where(r => r.RowKey == run.RowKey && r.Server == "zookeeper").ToList();
            var co = results.Where(r => r.RowKey == run.RowKey && r.Server == "coord").ToList();
            var row = new List<string> { run.Workload.Name(), run.Driver, run.Shape.ToString() };
            foreach (var m in Metrics) row.AddRange(Cells(zk, co, m.Pick, m.Format));
            row.Add(Errors(zk));
            row.Add(Errors(co));
            rows.Add(row);

            foreach (var name in zk.Concat(co).SelectMany(r => r.Extras.Keys).Distinct())
            {
                var extra = new List<string> { run.Workload.Name(), run.Driver, run.Shape.ToString(), name };
                extra.AddRange(Cells(zk, co, r => r.Extras.TryGetValue(name, out double v) ? v : null, "0.##"));
                extraRows.Add(extra);
            }
        }

        Write(output, header, rows, markdown);
        if (extraRows.Count > 0)
        {
            output.WriteLine();
            Write(output, ["workload", "driver", "CxK", "extra", "zk", "coord", "ratio"], extraRows, markdown);
        }
    }

    private static string Errors(List<RunResult> rs) =>
        rs.Count == 0 ? "-" : rs.Sum(r => r.ErrorCount + (r.Failure is null ? 0 : 1)).ToString(CultureInfo.InvariantCulture);

    private static string[] Cells(List<RunResult> zk, List<RunResult> co, Func<RunResult, double?> pick, string format)
    {
        double? z = Median(zk, pick), c = Median(co, pick);
        string ratio = z is > 0 && c is { } cv ? (cv / z.Value).ToString("0.00", CultureInfo.InvariantCulture) : "-";
        return [F(z, format), F(c, format), ratio];
    }

    private static string F(double? v, string format) => v is { } d ? d.ToString(format, CultureInfo.InvariantCulture) : "-";

    /// <summary>Median over the runs that produced a finite value (failed runs do not count).</summary>
    private static double? Median(List<RunResult> rs, Func<RunResult, double?> pick)
    {
        var values = rs.Where(r => r.Failure is null).Select(pick)
            .Where(v => v is { } d && double.IsFinite(d)).Select(v => v!.Value).Order().ToList();
        int n = values.Count;
        if (n == 0) return null;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    private static void Write(TextWriter output, List<string> header, List<List<string>> rows, bool markdown)
    {
        if (markdown)
        {
            output.WriteLine("| " + string.Join(" | ", header) + " |");
            output.WriteLine("|" + string.Join("|", header.Select((_, i) => i < 3 ? "---" : "---:")) + "|");
            foreach (var row in rows) output.WriteLine("| " + string.Join(" | ", row) + " |");
            return;
        }

        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        string Line(IReadOnlyList<string> cells)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < cells.Count; i++)
            {
                if (i > 0) sb.Append("  ");
                sb.Append(i < 3 ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i]));
            }
            return sb.ToString().TrimEnd();
        }
        output.WriteLine(Line(header));
        foreach (var row in rows) output.WriteLine(Line(row));
    }
}
