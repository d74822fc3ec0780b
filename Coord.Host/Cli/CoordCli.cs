using System.CommandLine;

namespace Coord.Host.Cli;

/// <summary>The `coord` command line: `coord serve` today; operator and client commands join it later.</summary>
public static class CoordCli
{
    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Coord: a ZooKeeper-compatible coordination service");
        root.Subcommands.Add(ServeCommand.Create());
        return root.Parse(args).InvokeAsync();
    }
}
