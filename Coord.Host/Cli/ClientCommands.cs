using System.CommandLine;
using System.Text;
using Coord.Client;
using Coord.Protocol;

namespace Coord.Host.Cli;

/// <summary>
/// The zkCli-like client commands (<c>coord create|get|set|ls|stat|delete|deleteall|sync|watch|getAcl|setAcl|addauth</c>),
/// built over a <see cref="ClientSource"/> so the same commands run alone (a session per command, <c>--server</c>)
/// and inside <c>coord shell</c> (one session). Exit codes: 0 OK, 1 the operation failed (message on stderr, worded
/// like zkCli's, e.g. <c>Node does not exist: /a</c>), 2 usage error.
/// </summary>
internal static class ClientCommands
{
    public const int Failed = 1;
    public const int Usage = 2;

    public static IReadOnlyList<Command> Create(ClientSource source) =>
    [
        CreateCommand(source), Get(source), Set(source), Ls(source), StatCommand(source), Delete(source), DeleteAll(source),
        Sync(source), Watch(source), GetAcl(source), SetAcl(source), AddAuth(source),
    ];

    private static Argument<string> PathArgument() => new("PATH") { Description = "the znode's path" };

    private static Command NewCommand(string name, string description, ClientSource source, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option o: command.Options.Add(o); break;
                case Argument a: command.Arguments.Add(a); break;
            }
        }
        if (source is PerCommandSource perCommand)
        {
            command.Options.Add(perCommand.ServerOption);
            command.Options.Add(perCommand.ConnectTimeout);
        }
        return command;
    }

    /// <summary>Runs <paramref name="body"/> with a session and turns failures into zkCli's messages and exit codes.</summary>
    private static void SetClientAction(Command command, ClientSource source, Argument<string>? path,
        Func<CoordClient, ParseResult, TextWriter, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            string target = path is null ? "/" : parse.GetRequiredValue(path);
            try
            {
                var client = await source.AcquireAsync(parse, ct);
                try
                {
                    return await body(client, parse, output, ct);
                }
                finally
                {
                    await source.ReleaseAsync(client);
                }
            }
            catch (ConnectFailedException e)
            {
                error.WriteLine(e.Message);
                return Failed;
            }
            catch (CoordException e)
            {
                error.WriteLine(ClientFormat.Error(e, target));
                return Failed;
            }
            catch (ArgumentException e)
            {
                error.WriteLine(e.Message);
                return Usage;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return Failed;
            }
        });
    }

    private static byte[]? Bytes(string? data) => data is null ? null : Encoding.UTF8.GetBytes(data);

    private static Command CreateCommand(ClientSource source)
    {
        var ephemeral = new Option<bool>("-e") { Description = "ephemeral (gone when the session closes: at once for a single command)" };
        var sequential = new Option<bool>("-s") { Description = "sequential: a 10-digit counter is appended to the name" };
        var container = new Option<bool>("-c") { Description = "container (deleted by the server once it had children and has none)" };
        var ttl = new Option<long?>("-t") { Description = "TTL in milliseconds (a persistent node deleted when unchanged and childless that long)" };
        var path = PathArgument();
        var data = new Argument<string?>("DATA") { Description = "UTF-8 data", Arity = ArgumentArity.ZeroOrOne };
        var acl = new Argument<string?>("ACL") { Description = "scheme:id:perms[,...] (default world:anyone:cdrwa)", Arity = ArgumentArity.ZeroOrOne };
        var command = NewCommand("create", "Create a node; prints Created PATH (with the sequence number)", source,
            ephemeral, sequential, container, ttl, path, data, acl);
        SetClientAction(command, source, path, async (client, parse, output, ct) =>
        {
            bool e = parse.GetValue(ephemeral), s = parse.GetValue(sequential), c = parse.GetValue(container);
            long? t = parse.GetValue(ttl);
            CreateMode mode;
            if (c && (e || s || t is not null)) return UsageError(parse, "-c cannot be combined with -e, -s or -t");
            if (t is not null && e) return UsageError(parse, "-t cannot be combined with -e");
            if (t is <= 0) return UsageError(parse, "-t needs a positive number of milliseconds");
            if (c) mode = CreateMode.Container;
            else if (t is not null) mode = s ? CreateMode.PersistentSequentialWithTtl : CreateMode.PersistentWithTtl;
            else mode = (e, s) switch
            {
                (true, true) => CreateMode.EphemeralSequential,
                (true, false) => CreateMode.Ephemeral,
                (false, true) => CreateMode.PersistentSequential,
                _ => CreateMode.Persistent,
            };
            IReadOnlyList<Acl>? acls = null;
            if (parse.GetValue(acl) is { } aclText && (acls = ClientFormat.ParseAcl(aclText, out var problem)) is null)
                return UsageError(parse, $"Invalid ACL: {problem}");
            string created = await client.CreateAsync(parse.GetRequiredValue(path), Bytes(parse.GetValue(data)), acls, mode,
                t is { } ms ? TimeSpan.FromMilliseconds(ms) : null, ct);
            output.WriteLine($"Created {created}");
            return 0;
        });
        return command;
    }

    private static int UsageError(ParseResult parse, string message)
    {
        parse.InvocationConfiguration.Error.WriteLine(message);
        return Usage;
    }

    private static Command Get(ClientSource source)
    {
        var stat = new Option<bool>("-s") { Description = "also print the Stat" };
        var watch = new Option<bool>("-w") { Description = "then wait for the next event on the node and print it" };
        var path = PathArgument();
        var command = NewCommand("get", "Print a node's data as UTF-8", source, stat, watch, path);
        SetClientAction(command, source, path, async (client, parse, output, ct) =>
        {
            var fired = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            bool w = parse.GetValue(watch);
            var result = await client.GetDataAsync(parse.GetRequiredValue(path), w ? e => fired.TrySetResult(e) : (Action<WatchedEvent>?)null, ct);
            output.WriteLine(Encoding.UTF8.GetString(result.Data));
            if (parse.GetValue(stat)) ClientFormat.WriteStat(output, result.Stat);
            await output.FlushAsync(ct);
            if (w)
            {
                output.WriteLine(ClientFormat.Event(await fired.Task.WaitAsync(ct)));
            }
            return 0;
        });
        return command;
    }

    private static Option<int> VersionOption() => new("-v") { Description = "expected version (-1 = any)", DefaultValueFactory = _ => -1 };

    private static Command Set(ClientSource source)
    {
        var version = VersionOption();
        var stat = new Option<bool>("-s") { Description = "print the new Stat" };
        var path = PathArgument();
        var data = new Argument<string>("DATA") { Description = "UTF-8 data" };
        var command = NewCommand("set", "Set a node's data", source, version, stat, path, data);
        SetClientAction(command, source, path, async (client, parse, output, ct) =>
        {
            var result = await client.SetDataAsync(parse.GetRequiredValue(path), Bytes(parse.GetRequiredValue(data)), parse.GetValue(version), ct);
            if (parse.GetValue(stat)) ClientFormat.WriteStat(output, result);
            return 0;
        });
        return command;
    }

    private static Command Ls(ClientSource source)
    {
        var stat = new Option<bool>("-s") { Description = "also print the Stat" };
        var recursive = new Option<bool>("-R") { Description = "list every path of the subtree, one per line (breadth first)" };
        var path = PathArgument();
        var command = NewCommand("ls", "List a node's children as [a, b]", source, stat, recursive, path);
        SetClientAction(command, source, path, async (client, parse, output, ct) =>
        {
            string root = parse.GetRequiredValue(path);
            if (parse.GetValue(recursive))
            {
                foreach (var p in await SubtreeAsync(client, root, ct)) output.WriteLine(p);
                return 0;
            }
            var result = await client.GetChildrenWithStatAsync(root, null, ct);
            output.WriteLine(ClientFormat.Children(result.Children));
            if (parse.GetValue(stat)) ClientFormat.WriteStat(output, result.Stat);
            return 0;
        });
        return command;
    }

    private static string Child(string parent, string name) => parent.EndsWith('/') ? parent + name : parent + "/" + name;

    /// <summary>The subtree's paths breadth first, <paramref name="root"/> first; nodes deleted meanwhile are skipped.</summary>
    private static async Task<List<string>> SubtreeAsync(CoordClient client, string root, CancellationToken ct)
    {
        await client.GetChildrenAsync(root, null, ct); // NoNode for the root itself is an error
        var paths = new List<string> { root };
        for (int i = 0; i < paths.Count; i++)
        {
            IReadOnlyList<string> children;
            try
            {
                children = await client.GetChildrenAsync(paths[i], null, ct);
            }
            catch (NoNodeException) when (i > 0)
            {
                continue;
            }
            paths.AddRange(children.Order(StringComparer.Ordinal).Select(c => Child(paths[i], c)));
        }
        return paths;
    }

    private static Command StatCommand(ClientSource source)
    {
        var path = PathArgument();
        var command = NewCommand("stat", "Print a node's Stat", source, path);
        SetClientAction(command, source, path, async (client, parse, output, ct) =>
        {
            string p = parse.GetRequiredValue(path);
            var stat = await client.ExistsAsync(p, null, ct) ?? throw new NoNodeException(p);
            ClientFormat.WriteStat(output, stat);
            return 0;
        });
        return command;
    }

    private static Command Delete(ClientSource source)
    {
        var version = VersionOption();
        var path = PathArgument();
        var command = NewCommand("delete", "Delete a node (it must have no children)", source, version, path);
        SetClientAction(command, source, path, async (client, parse, _, ct) =>
        {
            await client.DeleteAsync(parse.GetRequiredValue(path), parse.GetValue(version), ct);
            return 0;
        });
        return command;
    }

    private static Command DeleteAll(ClientSource source)
    {
        var path = PathArgument();
        var command = NewCommand("deleteall", "Delete a node and its whole subtree", source, path);
        SetClientAction(command, source, path, async (client, parse, _, ct) =>
        {
            var paths = await SubtreeAsync(client, parse.GetRequiredValue(path), ct);
            for (int i = paths.Count - 1; i >= 0; i--)
            {
                try
                {
                    await client.DeleteAsync(paths[i], -1, ct);
                }
                catch (NoNodeException) when (i > 0)
                {
                    // deleted meanwhile
                }
            }
            return 0;
        });
        return command;
    }

    private static Command Sync(ClientSource source)
    {
        var path = PathArgument();
        var command = NewCommand("sync", "Wait until the server is up to date with the leader for PATH", source, path);
        SetClientAction(command, source, path, async (client, parse, output, ct) =>
        {
            await client.SyncAsync(parse.GetRequiredValue(path), ct);
            output.WriteLine("Sync is OK");
            return 0;
        });
        return command;
    }

    private static Command Watch(ClientSource source)
    {
        var recursive = new Option<bool>("-R") { Description = "the whole subtree (persistent recursive watch)" };
        var count = new Option<int?>("--count") { Description = "stop after N events (default: until Ctrl-C or SIGTERM)" };
        var path = PathArgument();
        var command = NewCommand("watch", "Print the events on a node (persistent watch) until Ctrl-C", source, recursive, count, path);
        SetClientAction(command, source, path, async (client, parse, output, ct) =>
        {
            int? limit = parse.GetValue(count);
            if (limit is <= 0) return UsageError(parse, "--count needs a positive number");
            var mode = parse.GetValue(recursive) ? AddWatchMode.PersistentRecursive : AddWatchMode.Persistent;
            int seen = 0;
            try
            {
                await foreach (var e in client.WatchAsync(parse.GetRequiredValue(path), mode, ct))
                {
                    output.WriteLine(ClientFormat.Event(e));
                    await output.FlushAsync(CancellationToken.None);
                    if (++seen == limit) break;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl-C / SIGTERM: a normal end
            }
            return 0;
        });
        return command;
    }

    private static Command GetAcl(ClientSource source)
    {
        var stat = new Option<bool>("-s") { Description = "also print the Stat" };
        var path = PathArgument();
        var command = NewCommand("getAcl", "Print a node's ACL like zkCli ('world,'anyone / : cdrwa)", source, stat, path);
        SetClientAction(command, source, path, async (client, parse, output, ct) =>
        {
            var result = await client.GetAclAsync(parse.GetRequiredValue(path), ct);
            ClientFormat.WriteAcl(output, result.Acl);
            if (parse.GetValue(stat)) ClientFormat.WriteStat(output, result.Stat);
            return 0;
        });
        return command;
    }

    private static Command SetAcl(ClientSource source)
    {
        var version = VersionOption();
        version.Description = "expected ACL version (-1 = any)";
        var path = PathArgument();
        var acl = new Argument<string>("ACL") { Description = "scheme:id:perms[,...], e.g. world:anyone:cdrwa,digest:u:hash:r" };
        var command = NewCommand("setAcl", "Replace a node's ACL", source, version, path, acl);
        SetClientAction(command, source, path, async (client, parse, _, ct) =>
        {
            var acls = ClientFormat.ParseAcl(parse.GetRequiredValue(acl), out var problem);
            if (acls is null) return UsageError(parse, $"Invalid ACL: {problem}");
            await client.SetAclAsync(parse.GetRequiredValue(path), acls, parse.GetValue(version), ct);
            return 0;
        });
        return command;
    }

    private static Command AddAuth(ClientSource source)
    {
        var scheme = new Argument<string>("SCHEME") { Description = "e.g. digest" };
        var auth = new Argument<string>("AUTH") { Description = "e.g. user:password" };
        var command = NewCommand("addauth",
            "Add credentials to the session (in the shell: for the commands that follow; alone: only checked)", source, scheme, auth);
        command.SetAction(async (parse, ct) =>
        {
            var error = parse.InvocationConfiguration.Error;
            string s = parse.GetRequiredValue(scheme), a = parse.GetRequiredValue(auth);
            if (s == "digest" && !a.Contains(':')) return UsageError(parse, "digest auth must be user:password");
            try
            {
                await source.AddAuthAsync(parse, s, a, ct);
                return 0;
            }
            catch (ConnectFailedException e)
            {
                error.WriteLine(e.Message);
                return Failed;
            }
            catch (CoordException e)
            {
                error.WriteLine(ClientFormat.Error(e, "/"));
                return Failed;
            }
        });
        return command;
    }
}
