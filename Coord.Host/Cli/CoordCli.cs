using System.CommandLine;

namespace Coord.Host.Cli;

/// <summary>The `coord` command line: `coord serve`, `coord health` (a probe for container HEALTHCHECKs), operator tools (`coord journal dump`, `coord snapshot dump`,
/// `coord verify`) and the zkCli-like client commands (`coord create|get|set|ls|...`, `coord shell`).</summary>
public static class CoordCli
{
    /// <summary>Runs a command; <paramref name="output"/>, <paramref name="error"/> and <paramref name="input"/> (read by
    /// `coord shell`) default to the console (specs pass writers and readers).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, TextReader? input = null)
    {
        var root = new RootCommand("Coord: a ZooKeeper-compatible coordination service");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(HealthCommand.Create());
        if (args is ["serve", ..] or ["health", ..])
        {
            // Start-up time: `coord serve` needs no other command, and building the client commands' options
            // (JIT on a non-ReadyToRun build) is a visible share of the time to serving; `coord health` runs every
            // few seconds as a container's HEALTHCHECK.
            var serve = new InvocationConfiguration();
            if (output is not null) serve.Output = output;
            if (error is not null) serve.Error = error;
            var parsed = root.Parse(args);
            if (args is ["health", ..] && parsed.Errors.Count > 0)
            {
                foreach (var e in parsed.Errors) serve.Error.WriteLine(e.Message);
                serve.Error.WriteLine("Usage: see coord health --help");
                return HealthCommand.Usage;
            }
            return await parsed.InvokeAsync(serve);
        }
        root.Subcommands.Add(JournalCommand.Create());
        root.Subcommands.Add(SnapshotCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        var client = new HashSet<Command>(ClientCommands.Create(new PerCommandSource())) { Shell.Create(input) };
        foreach (var command in client) root.Subcommands.Add(command);
        var invocation = new InvocationConfiguration();
        if (output is not null) invocation.Output = output;
        if (error is not null) invocation.Error = error;
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && client.Contains(parse.CommandResult.Command))
        {
            // Usage errors of the client commands exit 2, as zkCli-style scripts expect.
            foreach (var e in parse.Errors) invocation.Error.WriteLine(e.Message);
            invocation.Error.WriteLine($"Usage: see coord {parse.CommandResult.Command.Name} --help");
            return ClientCommands.Usage;
        }
        return await parse.InvokeAsync(invocation);
    }
}
