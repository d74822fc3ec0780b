using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Bench;

/// <summary>
/// The benchmark harness works end to end: `coord-bench --compare --smoke` starts ZooKeeper and Coord, runs
/// every workload with every driver for a second, and prints the table. Checks the harness, not speed:
/// every row is present, every run measured something, and no run had an error or missed a notification.
/// </summary>
public sealed class BenchSmokeSpecs
{
    private static readonly string[] BasicWorkloads = ["create", "set", "get", "exists", "mixed"];
    private static readonly string[] RawOnlyWorkloads = ["watch", "churn", "large64k", "large1m", "znodes1m", "sessions10k", "watches1m"];

    [Fact]
    public async Task Compare_smoke_prints_a_clean_row_for_every_workload_and_driver()
    {
        var bench = BenchDll();

        var result = await Tools.RunAsync("dotnet", [bench, "--compare", "--smoke", "--markdown", "--coord-dll", RepoPaths.CoordDll],
            TimeSpan.FromSeconds(170));

        var rows = MarkdownRows(result.Stdout, firstHeaderCell: "workload", secondHeaderCell: "driver", thirdHeaderCell: "CxK", extraColumn: false);
        var expected = BasicWorkloads.SelectMany(w => new[] { "raw", "client", "java" }.Select(d => (w, d)))
            .Concat(RawOnlyWorkloads.Select(w => (w, "raw")))
            .ToList();
        foreach (var (workload, driver) in expected)
        {
            var row = rows.SingleOrDefault(r => r["workload"] == workload && r["driver"] == driver);
            Assert.True(row is not null, $"no row for {workload}/{driver}\n{result}");
            Assert.True(row["errors zk"] == "0" && row["errors coord"] == "0", $"{workload}/{driver} had errors\n{result}");
            foreach (var column in new[] { "ops/s zk", "ops/s coord", "p99_us zk", "p99_us coord" })
            {
                Assert.True(double.TryParse(row[column], System.Globalization.CultureInfo.InvariantCulture, out double v) && v > 0,
                    $"{workload}/{driver}: '{column}' is '{row[column]}'\n{result}");
            }
        }
        Assert.Equal(expected.Count, rows.Count);

        var extras = MarkdownRows(result.Stdout, "workload", "driver", "CxK", extraColumn: true);
        string Extra(string workload, string name, string server) =>
            extras.Single(r => r["workload"] == workload && r["extra"] == name)[server];
        foreach (var server in new[] { "zk", "coord" })
        {
            Assert.Equal("0", Extra("watch", "missed", server));
            Assert.Equal("0", Extra("watch", "duplicated", server));
            Assert.Equal(Extra("watches1m", "fired_notifications_expected", server), Extra("watches1m", "fired_notifications_delivered", server));
            Assert.Equal(Extra("sessions10k", "sessions", server), Extra("sessions10k", "alive", server));
            Assert.True(double.Parse(Extra("znodes1m", "restart_to_serving_ms", server), System.Globalization.CultureInfo.InvariantCulture) > 0);
        }
        Assert.Equal(0, result.ExitCode);
    }

    /// <summary>
    /// specs/Coord.Bench/bin/CONFIG/net10.0/coord-bench.dll, CONFIG being this assembly's own (…/bin/CONFIG/net10.0/),
    /// so `dotnet build Coord.sln -c Release` then `dotnet test -c Release` use the bench built with them.
    /// </summary>
    internal static string BenchDll()
    {
        var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string config = tfmDir.Parent!.Name;
        var dll = Path.Combine(RepoPaths.Root, "specs", "Coord.Bench", "bin", config, tfmDir.Name, "coord-bench.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing; build the solution (dotnet build Coord.sln -c {config}) first");
        return dll;
    }

    /// <summary>The rows of the Markdown table whose header starts with the given cells, as column → cell.</summary>
    internal static List<Dictionary<string, string>> MarkdownRows(string stdout, string firstHeaderCell, string secondHeaderCell,
        string thirdHeaderCell, bool extraColumn)
    {
        var lines = stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int start = lines.FindIndex(l =>
        {
            var cells = Cells(l);
            return cells.Length > 3 && cells[0] == firstHeaderCell && cells[1] == secondHeaderCell && cells[2] == thirdHeaderCell
                   && (cells[3] == "extra") == extraColumn;
        });
        Assert.True(start >= 0, $"no Markdown table with header {firstHeaderCell} | {secondHeaderCell} | {thirdHeaderCell}\n{stdout}");
        var header = Cells(lines[start]);
        var rows = new List<Dictionary<string, string>>();
        for (int i = start + 2; i < lines.Count && lines[i].StartsWith('|'); i++)
        {
            var cells = Cells(lines[i]);
            Assert.Equal(header.Length, cells.Length);
            rows.Add(header.Zip(cells).ToDictionary(p => p.First, p => p.Second));
        }
        return rows;
    }

    private static string[] Cells(string line) =>
        line.StartsWith('|') ? line.Trim('|').Split('|').Select(c => c.Trim()).ToArray() : [];
}
