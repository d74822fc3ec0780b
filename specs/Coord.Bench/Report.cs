using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Coord.Bench;

/// <summary>Human-readable lines and machine-readable JSON lines for run results.</summary>
public static class Report
{
    public const string Header =
        "label            workload     driver  C×K        ops/s   p50_us   p99_us  p999_us  server_cpu_us_per_op  server_rss_mib  errors";

    public static string Line(RunResult r)
    {
        string errors = r.Failure is not null ? $"FAILED: {r.Failure}"
            : r.ErrorCount == 0 ? "0"
            : $"{r.ErrorCount} ({string.Join(", ", r.Errors.Select(e => $"{e.Key}×{e.Value}"))})";
        string extras = r.Extras.Count == 0 ? "" : "  " + string.Join(" ", r.Extras.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Key}={e.Value:0.##}")));
        return string.Create(CultureInfo.InvariantCulture,
            $"{r.Label,-16} {r.Workload.Name(),-12} {r.Driver,-7} {r.Shape,-7} {r.OpsPerSecond,9:0} {r.Latency.P50,8:0} {r.Latency.P99,8:0} {r.Latency.P999,8:0} {Opt(r.ServerCpuMicrosPerOp, "0.0"),21} {Opt(r.ServerRssMib, "0"),15}  {errors}{extras}");
    }

    private static string Opt(double? v, string format) =>
        v is { } d ? d.ToString(format, CultureInfo.InvariantCulture) : "-";

    /// <summary>One JSON object per run, prefixed so it can be grepped out of the log.</summary>
    public static string Json(RunResult r, int round)
    {
        using var stream = new MemoryStream();
        using (var j = new Utf8JsonWriter(stream))
        {
            j.WriteStartObject();
            j.WriteString("label", r.Label);
            j.WriteString("server", r.Server);
            j.WriteString("workload", r.Workload.Name());
            j.WriteString("driver", r.Driver);
            j.WriteNumber("round", round);
            j.WriteNumber("clients", r.Shape.Clients);
            j.WriteNumber("outstanding", r.Shape.Outstanding);
            j.WriteNumber("seconds", Math.Round(r.Seconds, 3));
            j.WriteNumber("ops", r.Ops);
            j.WriteNumber("ops_per_s", Math.Round(r.OpsPerSecond, 1));
            Number(j, "mean_us", r.Latency.Mean);
            Number(j, "p50_us", r.Latency.P50);
            Number(j, "p90_us", r.Latency.P90);
            Number(j, "p99_us", r.Latency.P99);
            Number(j, "p999_us", r.Latency.P999);
            Number(j, "max_us", r.Latency.Max);
            Number(j, "server_cpu_us_per_op", r.ServerCpuMicrosPerOp);
            Number(j, "server_cpu_cores", r.ServerCpuCores);
            Number(j, "server_rss_mib", r.ServerRssMib);
            Number(j, "load_generator_cpu_cores", r.LoadGeneratorCpuCores);
            j.WriteNumber("errors", r.ErrorCount);
            j.WriteStartObject("error_codes");
            foreach (var (code, count) in r.Errors) j.WriteNumber(code, count);
            j.WriteEndObject();
            j.WriteStartObject("extras");
            foreach (var (name, value) in r.Extras) Number(j, name, value);
            j.WriteEndObject();
            if (r.Failure is null) j.WriteNull("failure"); else j.WriteString("failure", r.Failure);
            j.WriteEndObject();
        }
        return "json " + Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Number(Utf8JsonWriter j, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) j.WriteNumber(name, Math.Round(v, 2));
        else j.WriteNull(name);
    }
}
