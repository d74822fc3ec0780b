using System.Diagnostics;
using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Cli;

/// <summary>The real `coord` executable (dotnet coord.dll) as a script would run it, against a real Coord server:
/// a shell here-document on stdin, exit codes, and `watch` ending cleanly on SIGTERM.</summary>
public sealed class CoordCliProcessSpecs(ServerPool servers) : IClassFixture<ServerPool>
{
    private static Task<ProcessResult> Coord(string? stdin, params string[] args) =>
        Tools.RunAsync("dotnet", [RepoPaths.CoordDll, .. args], TimeSpan.FromSeconds(30), stdin);

    [Fact]
    public async Task Shell_here_document_and_exit_codes()
    {
        var server = await servers.GetAsync("coord");
        var node = $"/proc-{Guid.NewGuid():N}"[..14];
        var shell = await Coord($"""
            create {node} v1
            create -s {node}/job-
            ls {node}
            set {node} v2
            get {node}
            deleteall {node}
            quit
            """, "shell", "--server", server.ConnectString);
        Assert.True(shell.ExitCode == 0, shell.ToString());
        Assert.Equal([$"Created {node}", $"Created {node}/job-0000000000", "[job-0000000000]", "v2"],
            shell.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        var missing = await Coord(null, "get", node, "--server", server.ConnectString);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal($"Node does not exist: {node}", missing.Stderr.Trim());
        Assert.Equal(2, (await Coord(null, "get", "--server", server.ConnectString)).ExitCode);
    }

    [Fact]
    public async Task Watch_ends_on_sigterm()
    {
        var server = await servers.GetAsync("coord");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { RepoPaths.CoordDll, "watch", "-R", "/", "--server", server.ConnectString }) info.ArgumentList.Add(arg);
        using var watch = Process.Start(info)!;
        var stdout = watch.StandardOutput.ReadToEndAsync();
        var stderr = watch.StandardError.ReadToEndAsync();
        var node = $"/term-{Guid.NewGuid():N}"[..14];
        // the event lines are only read at exit: create a few nodes, by then the watch is certainly registered
        for (int i = 0; i <= 15 && !watch.HasExited; i++)
        {
            await Coord(null, "create", $"{node}{i}", "--server", server.ConnectString);
        }
        Assert.False(watch.HasExited, watch.HasExited ? await stderr : "");
        Assert.True(Posix.Signal(watch.Id, 15));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await watch.WaitForExitAsync(cts.Token);
        Assert.True(watch.ExitCode == 0, await stderr);
        Assert.Contains($"WatchedEvent state:SyncConnected type:NodeCreated path:{node}15", await stdout);
    }
}
