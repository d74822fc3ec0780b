using System.CommandLine;
using System.Text;

namespace Coord.Host.Cli;

/// <summary>
/// <c>coord shell</c>: reads client commands line by line from stdin (the same commands as <c>coord CMD</c>, without
/// <c>coord</c> and <c>--server</c>) over one session, plus <c>connect host:port</c>, <c>help</c> and <c>quit</c>.
/// <c>addauth</c> applies to the commands that follow. Prompts <c>[coord: host:port] </c> only when stdin is a terminal.
/// Exit code 0 when every command succeeded, else 1 (the failures are on stderr as they happen).
/// </summary>
internal static class Shell
{
    public static Command Create(TextReader? input)
    {
        var server = PerCommandSource.ServerOptionFor();
        var connectTimeout = PerCommandSource.ConnectTimeoutOption();
        var shell = new Command("shell", "Interactive client: one command per line from stdin (create, get, ls, ..., connect, addauth, quit)")
        {
            server,
            connectTimeout,
        };
        shell.SetAction((parse, ct) => RunAsync(parse.GetRequiredValue(server), TimeSpan.FromSeconds(parse.GetValue(connectTimeout)),
            input ?? Console.In, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));
        return shell;
    }

    private static async Task<int> RunAsync(string server, TimeSpan connectTimeout, TextReader input, TextWriter output, TextWriter error,
        CancellationToken ct)
    {
        bool prompt = ReferenceEquals(input, Console.In) && !Console.IsInputRedirected;
        await using var source = new ShellSource(server, connectTimeout);
        var commands = new RootCommand("coord shell commands (connect host:port, quit, and:)");
        foreach (var command in ClientCommands.Create(source)) commands.Subcommands.Add(command);
        var config = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        int failures = 0;
        while (!ct.IsCancellationRequested)
        {
            if (prompt)
            {
                output.Write($"[coord: {source.Server}] ");
                await output.FlushAsync(ct);
            }
            string? line;
            try
            {
                line = await input.ReadLineAsync(ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            if (line is null) break;
            var tokens = Tokenize(line, out var problem);
            if (problem is not null)
            {
                error.WriteLine(problem);
                failures++;
                continue;
            }
            if (tokens.Count == 0 || tokens[0].StartsWith('#')) continue;
            switch (tokens[0])
            {
                case "quit" or "exit":
                    return failures == 0 ? 0 : ClientCommands.Failed;
                case "help":
                    await commands.Parse(["--help"]).InvokeAsync(config, ct);
                    continue;
                case "connect":
                    if (tokens.Count != 2)
                    {
                        error.WriteLine("Usage: connect host:port[,host:port...][/chroot]");
                        failures++;
                        continue;
                    }
                    try
                    {
                        await source.ConnectAsync(tokens[1], ct);
                    }
                    catch (ConnectFailedException e)
                    {
                        error.WriteLine(e.Message);
                        failures++;
                    }
                    continue;
            }
            var parse = commands.Parse(tokens);
            if (parse.Errors.Count > 0)
            {
                foreach (var e in parse.Errors) error.WriteLine(e.Message);
                failures++;
                continue;
            }
            if (await parse.InvokeAsync(config, ct) != 0) failures++;
        }
        return failures == 0 ? 0 : ClientCommands.Failed;
    }

    /// <summary>Splits a line on blanks; single or double quotes group (no escapes inside single quotes).</summary>
    internal static List<string> Tokenize(string line, out string? problem)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        bool inToken = false;
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else if (c == '\\' && quote == '"' && i + 1 < line.Length) current.Append(line[++i]);
                else current.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inToken = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inToken) tokens.Add(current.ToString());
                current.Clear();
                inToken = false;
            }
            else
            {
                current.Append(c);
                inToken = true;
            }
        }
        if (inToken) tokens.Add(current.ToString());
        problem = quote == '\0' ? null : $"unterminated {quote} quote";
        return tokens;
    }
}
