using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Coord.Bench;

/// <summary>Human-readable lines and machine-readable JSON lines for run results.</summary>
public static class Report
{
    public const string Header =
        "label          workload  clients×outstanding     ops/s   p50_us   p99_us  p999_us  server_cpu_us_per_op  server_rss_mib  errors";

    public static string Line(RunResult r)
    {
        string errors = r.Failure is not null ? $"FAILED: {r.Failure}"
            : r.ErrorCount == 0 ? "0"
            : $"{r.ErrorCount} ({string.Join(", ", r.Errors.Select(e => $"{e.Key}×{e.Value}"))})";
        return string.Create(CultureInfo.InvariantCulture,
            $"{r.Label,-14} {r.Workload.Name(),-9} {$"{r.Clients}×{r.Outstanding}",-19} {r.OpsPerSecond,9:0} {r.Latency.QuantileMicros(0.50),8:0} {r.Latency.QuantileMicros(0.99),8:0} {r.Latency.QuantileMicros(0.999),8:0} {Opt(r.ServerCpuMicrosPerOp, "0.0"),21} {Opt(r.ServerRssMib, "0"),15}  {errors}");
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
            j.WriteString("workload", r.Workload.Name());
            j.WriteNumber("round", round);
            j.WriteNumber("clients", r.Clients);
            j.WriteNumber("outstanding", r.Outstanding);
            j.WriteNumber("seconds", r.Seconds);
            j.WriteNumber("ops", r.Ops);
            j.WriteNumber("ops_per_s", Math.Round(r.OpsPerSecond, 1));
            Number(j, "mean_us", r.Latency.MeanMicros);
            Number(j, "p50_us", r.Latency.QuantileMicros(0.50));
            Number(j, "p90_us", r.Latency.QuantileMicros(0.90));
            Number(j, "p99_us", r.Latency.QuantileMicros(0.99));
            Number(j, "p999_us", r.Latency.QuantileMicros(0.999));
            Number(j, "max_us", r.Latency.MaxMicros);
            Number(j, "server_cpu_us_per_op", r.ServerCpuMicrosPerOp);
            Number(j, "server_cpu_cores", r.ServerCpuCores);
            Number(j, "server_rss_mib", r.ServerRssMib);
            Number(j, "load_generator_cpu_cores", r.LoadGeneratorCpuCores);
            j.WriteNumber("errors", r.ErrorCount);
            j.WriteStartObject("error_codes");
            foreach (var (code, count) in r.Errors) j.WriteNumber(code.ToString(), count);
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
