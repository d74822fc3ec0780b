using System.Globalization;

namespace Coord.Bench;

/// <summary>A row of a zk-vs-coord figure table: summed over rounds (counts) or their median, with or without coord/zk.</summary>
public sealed record FigureRow(string Name, bool Sum = false, bool Ratio = true);

/// <summary>One round's figures for one server, or why it failed.</summary>
public interface IFigureRun
{
    string Server { get; }
    IReadOnlyDictionary<string, double> Figures { get; }
    string? Failure { get; }
    bool Clean { get; }
}

/// <summary>
/// The end of a `--failover` or `--sync-fresh` run: the table of figures over rounds (plain, and markdown when asked),
/// then the runs that failed, one line each. Returns the exit code (1 when any run was not clean).
/// </summary>
public static class FigureTable
{
    public static int Finish<T>(string title, IReadOnlyList<T> results, IReadOnlyList<FigureRow> rows, bool markdown, string badWhat,
        Func<T, string> line) where T : IFigureRun
    {
        Console.WriteLine();
        Console.WriteLine(title);
        Print(Console.Out, results, rows, markdown: false);
        if (markdown)
        {
            Console.WriteLine();
            Console.WriteLine("markdown:");
            Print(Console.Out, results, rows, markdown: true);
        }
        var bad = results.Where(r => !r.Clean).ToList();
        if (bad.Count > 0)
        {
            Console.WriteLine($"{bad.Count} run(s) {badWhat}:");
            foreach (var r in bad) Console.WriteLine("  " + line(r));
        }
        return bad.Count == 0 ? 0 : 1;
    }

    private static void Print<T>(TextWriter output, IReadOnlyList<T> results, IReadOnlyList<FigureRow> figureRows, bool markdown) where T : IFigureRun
    {
        string[] header = ["figure", "zk", "coord", "ratio"];
        var rows = new List<string[]>();
        foreach (var row in figureRows)
        {
            double? Combine(string server)
            {
                var values = results.Where(r => r.Server == server && r.Failure is null && r.Figures.ContainsKey(row.Name))
                    .Select(r => r.Figures[row.Name]).Order().ToList();
                if (values.Count == 0) return null;
                if (row.Sum) return values.Sum();
                int n = values.Count;
                return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
            }
            double? z = Combine("zookeeper"), c = Combine("coord");
            string F(double? v) => v is { } d ? d.ToString("0.#", CultureInfo.InvariantCulture) : "-";
            string ratio = row.Ratio && !row.Sum && z is > 0 && c is { } cv ? (cv / z.Value).ToString("0.00", CultureInfo.InvariantCulture) : "-";
            rows.Add([row.Name, F(z), F(c), ratio]);
        }
        rows.Add(["failed_runs",
            results.Count(r => r.Server == "zookeeper" && r.Failure is not null).ToString(CultureInfo.InvariantCulture),
            results.Count(r => r.Server == "coord" && r.Failure is not null).ToString(CultureInfo.InvariantCulture), "-"]);

        if (markdown)
        {
            output.WriteLine("| " + string.Join(" | ", header) + " |");
            output.WriteLine("|---|---:|---:|---:|");
            foreach (var r in rows) output.WriteLine("| " + string.Join(" | ", r) + " |");
            return;
        }
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        string Format(string[] cells) => string.Join("  ", cells.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i])));
        output.WriteLine(Format(header));
        foreach (var r in rows) output.WriteLine(Format(r));
    }
}
