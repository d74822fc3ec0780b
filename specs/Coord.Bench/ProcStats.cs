using System.Globalization;

namespace Coord.Bench;

/// <summary>CPU time and resident memory of a process at one instant, from /proc (Linux only).</summary>
public readonly record struct ProcSample(long CpuTicks, long RssKib)
{
    /// <summary>USER_HZ: the unit of utime/stime in /proc/PID/stat. 100 on every Linux build that matters.</summary>
    public const double ClockTicksPerSecond = 100;

    public static double TicksToMicros(long ticks) => ticks * 1_000_000.0 / ClockTicksPerSecond;
}

/// <summary>One thread's name and CPU ticks, for "which server thread is busy" questions.</summary>
public readonly record struct ThreadSample(int Tid, string Name, long CpuTicks);

public static class ProcStats
{
    /// <summary>utime+stime of the whole process and VmRSS; null when the process is gone.</summary>
    public static ProcSample? Sample(int pid)
    {
        try
        {
            long cpu = CpuTicks(File.ReadAllText($"/proc/{pid}/stat"), out _);
            long rss = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                rss = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                break;
            }
            return new ProcSample(cpu, rss);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every thread of the process with its CPU ticks so far.</summary>
    public static IReadOnlyList<ThreadSample> Threads(int pid)
    {
        var result = new List<ThreadSample>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    long cpu = CpuTicks(File.ReadAllText(Path.Combine(dir, "stat")), out string name);
                    result.Add(new ThreadSample(int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture), name, cpu));
                }
                catch (IOException)
                {
                    // the thread ended between listing and reading
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // process gone
        }
        return result;
    }

    /// <summary>
    /// Busiest threads between two samples, as (name, tid, share of one core over <paramref name="seconds"/>).
    /// </summary>
    public static IEnumerable<(string Name, int Tid, double CoreShare)> Busiest(
        IReadOnlyList<ThreadSample> before, IReadOnlyList<ThreadSample> after, double seconds, int top)
    {
        var start = before.ToDictionary(t => t.Tid, t => t.CpuTicks);
        return after
            .Select(t => (t.Name, t.Tid, Ticks: t.CpuTicks - start.GetValueOrDefault(t.Tid)))
            .Where(t => t.Ticks > 0)
            .OrderByDescending(t => t.Ticks)
            .Take(top)
            .Select(t => (t.Name, t.Tid, t.Ticks / ProcSample.ClockTicksPerSecond / seconds));
    }

    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so split after
    // the last ')'. Fields from there: [0]=state (field 3) ... [11]=utime (14), [12]=stime (15).
    private static long CpuTicks(string stat, out string name)
    {
        int open = stat.IndexOf('(');
        int close = stat.LastIndexOf(')');
        name = stat[(open + 1)..close];
        var fields = stat[(close + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
