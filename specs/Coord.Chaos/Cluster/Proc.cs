using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Coord.Chaos.Cluster;

/// <summary>
/// A server process the chaos runner owns: started with its output captured (the last lines kept for a report),
/// signalled (SIGKILL, SIGSTOP, SIGCONT), awaited. Lines are offered to <see cref="LineReceived"/> as they arrive.
/// </summary>
public sealed class Proc : IDisposable
{
    private const int TailLines = 200;
    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _streamsOpen = 2;
    private StreamWriter? _log;

    private Proc(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }
    public int Pid => _process.Id;
    /// <summary>The exit code, once the process has exited and its output is drained.</summary>
    public Task<int> Exited => _exited.Task;
    public event Action<string>? LineReceived;

    /// <param name="logFile">When given, every output line is also appended there (across restarts of a member), so a
    /// failed run's report can hold more than the tail.</param>
    public static Proc Start(string name, string file, IEnumerable<string> args, string workDir, IReadOnlyDictionary<string, string>? env = null,
        string? logFile = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workDir,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var proc = new Proc(process, name);
        if (logFile is not null) proc._log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => proc.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => proc.OnLine(e.Data);
        if (!process.Start()) throw new InvalidOperationException($"could not start {file}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return proc;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            // Not WaitForExit here: it waits for the output callbacks to finish, and this is one of them.
            if (Interlocked.Decrement(ref _streamsOpen) == 0)
                _ = Task.Run(async () =>
                {
                    lock (_tail)
                    {
                        _log?.Dispose();
                        _log = null;
                    }
                    await _process.WaitForExitAsync();
                    _exited.TrySetResult(_process.ExitCode);
                });
            return;
        }
        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > TailLines) _tail.Dequeue();
            _log?.WriteLine(line);
        }
        LineReceived?.Invoke(line);
    }

    public string Tail()
    {
        lock (_tail)
        {
            var sb = new StringBuilder();
            foreach (var l in _tail) sb.Append(l).Append('\n');
            return sb.ToString();
        }
    }

    public void Signal(int signal)
    {
        if (!_exited.Task.IsCompleted) _ = Kill(_process.Id, signal);
    }

    public const int SigKill = 9, SigStop = 19, SigCont = 18, SigTerm = 15;

    /// <summary>SIGTERM, then SIGKILL if it has not gone within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Signal(SigCont);
        Signal(SigTerm);
        try { await Exited.WaitAsync(grace); }
        catch (TimeoutException)
        {
            Signal(SigKill);
            await Exited.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    public void Dispose()
    {
        Signal(SigCont);
        Signal(SigKill);
        _process.Dispose();
        lock (_tail)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
