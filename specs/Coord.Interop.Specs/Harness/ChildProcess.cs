using System.Diagnostics;
using System.Threading.Channels;

namespace Coord.Interop.Specs.Harness;

/// <summary>
/// A started child process whose stdout and stderr are read line by line into tails and into a channel
/// of stdout lines (for handshakes such as "serving clients on ..."). Disposing stops it: SIGTERM,
/// then SIGKILL after the grace period.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly Channel<string> stdoutLines = Channel.CreateUnbounded<string>();
    private readonly Task pumps;

    private ChildProcess(Process process)
    {
        this.process = process;
        Pid = process.Id;
        pumps = Task.WhenAll(
            Pump(process.StandardOutput, Stdout, stdoutLines.Writer),
            Pump(process.StandardError, Stderr, null));
        Exited = ExitAsync();
    }

    public int Pid { get; }
    public OutputTail Stdout { get; } = new();
    public OutputTail Stderr { get; } = new();

    /// <summary>Completes with the exit code once the process has exited and its output is drained.</summary>
    public Task<int> Exited { get; }

    public StreamWriter Stdin => process.StandardInput;

    public static ChildProcess Start(string file, IEnumerable<string> args, string? workDir = null,
        IDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        return new ChildProcess(process);
    }

    /// <summary>Waits for the next stdout line matching <paramref name="match"/>; throws with the output
    /// tails if the process exits or the timeout passes first.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var line in stdoutLines.Reader.ReadAllAsync(cts.Token))
            {
                if (match(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"timed out after {timeout.TotalSeconds:0.#} s waiting for {what}\n{Describe()}");
        }

        var exit = await Exited;
        throw new InvalidOperationException($"process exited with {exit} before {what}\n{Describe()}");
    }

    public string Describe() =>
        $"--- stdout tail (pid {Pid}) ---\n{Stdout.Text()}\n--- stderr tail ---\n{Stderr.Text()}";

    public void Kill()
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
    }

    /// <summary>SIGTERM, wait up to <paramref name="grace"/>, then SIGKILL.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!Exited.IsCompleted)
        {
            Posix.Signal(Pid, Posix.SigTerm);
            if (await Task.WhenAny(Exited, Task.Delay(grace)) != Exited)
            {
                Kill();
            }
        }

        await Exited.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public ValueTask DisposeAsync() => new(StopAsync(TimeSpan.FromSeconds(5)));

    private async Task<int> ExitAsync()
    {
        await process.WaitForExitAsync();
        await pumps;
        var code = process.ExitCode;
        process.Dispose();
        return code;
    }

    private static async Task Pump(StreamReader reader, OutputTail tail, ChannelWriter<string>? lines)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            tail.Add(line);
            lines?.TryWrite(line);
        }

        lines?.TryComplete();
    }
}
