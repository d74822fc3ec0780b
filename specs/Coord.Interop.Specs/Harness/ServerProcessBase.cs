namespace Coord.Interop.Specs.Harness;

/// <summary>What both server kinds share: a child process in a temp work folder, its port, and stopping it.</summary>
internal abstract class ServerProcessBase(ChildProcess process, string workDir, string host, int port) : IServerProcess
{
    protected ChildProcess Process { get; } = process;

    /// <summary>The server process's output (for specs that watch its log).</summary>
    internal ChildProcess Child => Process;
    protected string WorkDir { get; } = workDir;

    public abstract string Kind { get; }
    public abstract string DataDir { get; }
    public string Host { get; } = host;
    public int Port { get; } = port;
    public string ConnectString => $"{Host}:{Port}";
    public int Pid => Process.Pid;

    public Task<string> FourLetterWordAsync(string word, TimeSpan? timeout = null) =>
        Net.FourLetterWordAsync(Host, Port, word, timeout);

    public async Task KillAsync()
    {
        Process.Kill();
        await Process.Exited.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        TempDir.Delete(WorkDir);
    }

    public override string ToString() => $"{Kind}@{ConnectString} pid {Pid}";
}
