using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace Coord.Bench;

/// <summary>
/// The java driver: java/BenchLoad.java on Apache ZooKeeper's own client (Debian's zookeeper.jar), compiled
/// at run time into /tmp/coord-bench-java/HASH (once per source version). The Java program runs the closed
/// loop and prints window-start / window-end / result lines; the server's CPU is sampled when the window
/// lines arrive (a pipe hop late, which is milliseconds against a 10 s window).
/// </summary>
public static class JavaDriver
{
    /// <summary>The client jar's manifest pulls in its dependencies; slf4j-nop silences its logging.</summary>
    public const string ClientClasspath = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar";

    private static readonly SemaphoreSlim CompileGate = new(1, 1);
    private static string? s_classDir;

    public static async Task<RunResult> RunAsync(Target target, Workload workload, Shape shape, BenchOptions o, CancellationToken ct)
    {
        if (!workload.IsBasic()) throw new InvalidOperationException($"the java driver does not run {workload.Name()}");
        var (layout, value) = await Setup.PrepareAsync(target, workload, shape.Clients, o, ct);
        string classDir = await ClassDirAsync(ct);
        int runTag = ++target.RunSequence;

        var info = new ProcessStartInfo("java")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // --smoke: start-up matters more than peak speed, so C1 only and the serial collector.
        if (o.Smoke) foreach (var a in new[] { "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC" }) info.ArgumentList.Add(a);
        foreach (var a in new[]
                 {
                     "-Xmx512m", "-cp", $"{classDir}:{ClientClasspath}", "BenchLoad",
                     target.ConnectString, workload.Name(),
                     shape.Clients.ToString(CultureInfo.InvariantCulture), shape.Outstanding.ToString(CultureInfo.InvariantCulture),
                     value.Length.ToString(CultureInfo.InvariantCulture), layout.Root, layout.Keys.ToString(CultureInfo.InvariantCulture),
                     runTag.ToString(CultureInfo.InvariantCulture),
                     o.WarmupSeconds.ToString(CultureInfo.InvariantCulture), o.Seconds.ToString(CultureInfo.InvariantCulture),
                 })
        {
            info.ArgumentList.Add(a);
        }

        var stderr = new System.Text.StringBuilder();
        string? resultLine = null;
        using var java = Process.Start(info) ?? throw new InvalidOperationException("could not start java");
        // The JVM is the load generator here: its CPU in the window says whether the client bounds the row.
        var proc = new ProcWindow(target.Pids, generatorPid: java.Id);
        var errPump = Task.Run(async () =>
        {
            while (await java.StandardError.ReadLineAsync(CancellationToken.None) is { } line)
                lock (stderr) if (stderr.Length < 8000) stderr.AppendLine(line);
        }, CancellationToken.None);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(o.WarmupSeconds + o.Seconds + 90));
        try
        {
            while (await java.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line == "window-start") proc.Begin();
                else if (line == "window-end") proc.End();
                else if (line.StartsWith("result ", StringComparison.Ordinal)) resultLine = line;
            }
            await java.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            java.Kill(entireProcessTree: true);
            await java.WaitForExitAsync(CancellationToken.None);
            if (ct.IsCancellationRequested) throw;
            return RunResult.Failed(target, workload, "java", shape, "the java driver did not finish in time");
        }
        await errPump;

        if (java.ExitCode != 0 || resultLine is null)
        {
            string tail;
            lock (stderr) tail = stderr.ToString().Trim();
            return RunResult.Failed(target, workload, "java", shape,
                $"the java driver exited with {java.ExitCode}: {tail.Split('\n').LastOrDefault()}");
        }

        var fields = resultLine["result ".Length..].Split(' ')
            .Select(f => f.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");
        double D(string name) => double.TryParse(fields.GetValueOrDefault(name), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : double.NaN;
        long ops = long.Parse(fields["ops"], CultureInfo.InvariantCulture);
        var latency = new LatencySummary(long.Parse(fields["count"], CultureInfo.InvariantCulture),
            D("p50_us"), D("p90_us"), D("p99_us"), D("p999_us"), D("mean_us"), D("max_us"));
        var errors = new Dictionary<string, long>();
        foreach (var e in fields.GetValueOrDefault("errors", "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = e.Split(':');
            errors[kv[0]] = long.Parse(kv[1], CultureInfo.InvariantCulture);
        }
        return new RunResult(target.Label, target.Server, workload, "java", shape, o.Seconds, ops, latency,
            proc.ServerCpuMicrosPerOp(ops), proc.ServerCpuCores(o.Seconds), proc.RssMibAfter, proc.LoadGeneratorCores(o.Seconds), errors,
            new Dictionary<string, double>(), null);
    }

    /// <summary>Compiles BenchLoad.java once per source hash; a private staging folder is renamed into
    /// place so concurrent runs never see half a build.</summary>
    private static async Task<string> ClassDirAsync(CancellationToken ct)
    {
        await CompileGate.WaitAsync(ct);
        try
        {
            if (s_classDir is not null) return s_classDir;
            string repo = RepoPaths.Root();
            string source = Path.Combine(repo, "specs", "Coord.Bench", "java", "BenchLoad.java");
            string hash = Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(source, ct)))[..16];
            string dir = Path.Combine(Path.GetTempPath(), "coord-bench-java", hash);
            if (!File.Exists(Path.Combine(dir, "BenchLoad.class")))
            {
                string staging = dir + "." + Guid.NewGuid().ToString("N");
                Directory.CreateDirectory(staging);
                var info = new ProcessStartInfo("javac") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
                foreach (var a in new[] { "-d", staging, "-cp", ClientClasspath, source }) info.ArgumentList.Add(a);
                using var javac = Process.Start(info) ?? throw new InvalidOperationException("could not start javac");
                var err = javac.StandardError.ReadToEndAsync(ct);
                await javac.StandardOutput.ReadToEndAsync(ct);
                await javac.WaitForExitAsync(ct);
                if (javac.ExitCode != 0) throw new InvalidOperationException($"javac {source} failed:\n{await err}");
                try
                {
                    Directory.Move(staging, dir);
                }
                catch (IOException) when (File.Exists(Path.Combine(dir, "BenchLoad.class")))
                {
                    Directory.Delete(staging, recursive: true);
                }
            }
            s_classDir = dir;
            return dir;
        }
        finally
        {
            CompileGate.Release();
        }
    }
}

/// <summary>The checkout this tool runs from (the folder holding Coord.sln).</summary>
public static class RepoPaths
{
    public static string Root() =>
        Find(AppContext.BaseDirectory) ?? Find(Environment.CurrentDirectory)
        ?? throw new InvalidOperationException("Coord.sln not found above this tool or the working directory");

    private static string? Find(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Coord.sln"))) return dir.FullName;
        }
        return null;
    }
}
