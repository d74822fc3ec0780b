using System.CommandLine;

namespace Coord.Host.Cli;

/// <summary>The `coord` command line: `coord serve` and operator tools (`coord journal dump`, `coord snapshot dump`, `coord verify`).</summary>
public static class CoordCli
{
    /// <summary>Runs a command; <paramref name="output"/> and <paramref name="error"/> default to the console (specs pass writers).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var root = new RootCommand("Coord: a ZooKeeper-compatible coordination service");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(JournalCommand.Create());
        root.Subcommands.Add(SnapshotCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        var invocation = new InvocationConfiguration();
        if (output is not null) invocation.Output = output;
        if (error is not null) invocation.Error = error;
        return root.Parse(args).InvokeAsync(invocation);
    }
}
