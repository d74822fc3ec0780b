using System.Diagnostics;
using System.Text;

namespace Coord.Interop.Specs.Harness;

public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>Runs the external clients (python3 + kazoo, java, zkCli.sh) to completion.</summary>
public static class Tools
{
    /// <summary>Debian's python3 with python3-kazoo (the python3 first on PATH does NOT see kazoo).</summary>
    public const string Python = "/usr/bin/python3";

    public const string Java = "/usr/bin/java";
    public const string Javac = "/usr/bin/javac";
    public const string ZkCli = "/usr/share/zookeeper/bin/zkCli.sh";

    /// <summary>Runs to exit and returns everything it printed. On timeout the process tree is killed
    /// and a TimeoutException carries the output so far.</summary>
    public static async Task<ProcessResult> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout,
        string? stdin = null, IDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var outPump = Pump(process.StandardOutput, stdout);
        var errPump = Pump(process.StandardError, stderr);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            await Task.WhenAll(outPump, errPump);
            throw new TimeoutException(
                $"{file} {string.Join(' ', info.ArgumentList)} did not exit within {timeout.TotalSeconds:0.#} s\n" +
                new ProcessResult(-1, Text(stdout), Text(stderr)));
        }

        await Task.WhenAll(outPump, errPump);
        return new ProcessResult(process.ExitCode, Text(stdout), Text(stderr));
    }

    private static string Text(StringBuilder sb)
    {
        lock (sb)
        {
            return sb.ToString();
        }
    }

    private static async Task Pump(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
        {
            lock (into)
            {
                into.Append(buffer, 0, n);
            }
        }
    }
}
