using System.Security.Cryptography;
using System.Text;
using Coord.Host.Cli;
using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Cli;

/// <summary>
/// The `coord` client commands, run in process through <see cref="CoordCli.RunAsync"/> (stdout, stderr and stdin as
/// strings), each against a real Apache ZooKeeper and a real Coord server: output, zkCli's error messages, exit codes.
/// </summary>
public sealed class CoordCliSpecs(ServerPool servers) : IClassFixture<ServerPool>
{
    public static TheoryData<string> Kinds => Servers.KindData;

    private sealed record Run(int Exit, string Out, string Err)
    {
        public string[] Lines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        public override string ToString() => $"exit {Exit}\n--- stdout ---\n{Out}--- stderr ---\n{Err}";
    }

    private async Task<Func<string[], Task<Run>>> Coord(string kind)
    {
        var server = await servers.GetAsync(kind);
        return args => RunAsync([.. args, "--server", server.ConnectString]);
    }

    private static async Task<Run> RunAsync(string[] args, string? stdin = null)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await CoordCli.RunAsync(args, output, error, stdin is null ? null : new StringReader(stdin));
        return new Run(exit, output.ToString(), error.ToString());
    }

    private static string Unique(string prefix) => $"/{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 10)];

    private static readonly string[] StatNames =
        ["cZxid", "ctime", "mZxid", "mtime", "pZxid", "cversion", "dataVersion", "aclVersion", "ephemeralOwner", "dataLength", "numChildren"];

    private static void AssertStat(Run run, params string[] expected)
    {
        var lines = run.Lines;
        foreach (var name in StatNames) Assert.Contains(lines, l => l.StartsWith(name + " = ", StringComparison.Ordinal));
        Assert.Matches(@"(?m)^cZxid = 0x[0-9a-f]+\r?$", run.Out);
        Assert.Matches(@"(?m)^ctime = \w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}\r?$", run.Out);
        foreach (var line in expected) Assert.Contains(line, lines);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Create_get_set_stat_ls(string kind)
    {
        var coord = await Coord(kind);
        var node = Unique("cli");

        var created = await coord(["create", node, "hello world"]);
        Assert.Equal(0, created.Exit);
        Assert.Equal($"Created {node}", created.Lines.Single());
        Assert.Equal(["hello world"], (await coord(["get", node])).Lines);

        var getS = await coord(["get", "-s", node]);
        Assert.Equal("hello world", getS.Lines[0]);
        AssertStat(getS, "dataVersion = 0", "aclVersion = 0", "cversion = 0", "ephemeralOwner = 0x0", "dataLength = 11", "numChildren = 0");

        Assert.Equal(0, (await coord(["set", node, "bye"])).Exit);
        var stat = await coord(["stat", node]);
        AssertStat(stat, "dataVersion = 1", "dataLength = 3");
        Assert.DoesNotContain("bye", stat.Lines);
        Assert.Equal(0, (await coord(["set", "-v", "1", node, "v2"])).Exit);
        Assert.Equal(["v2"], (await coord(["get", node])).Lines);

        Assert.Equal(["[]"], (await coord(["ls", node])).Lines);
        await coord(["create", $"{node}/b"]);
        await coord(["create", $"{node}/a", "x"]);
        await coord(["create", $"{node}/a/deep"]);
        Assert.Equal(["[a, b]"], (await coord(["ls", node])).Lines);
        var lsS = await coord(["ls", "-s", node]);
        Assert.Equal("[a, b]", lsS.Lines[0]);
        AssertStat(lsS, "numChildren = 2");
        Assert.Equal([node, $"{node}/a", $"{node}/b", $"{node}/a/deep"], (await coord(["ls", "-R", node])).Lines);
        Assert.Contains(node[1..], (await coord(["ls", "/"])).Out);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Create_modes_print_the_real_names(string kind)
    {
        var coord = await Coord(kind);
        var parent = Unique("modes");
        await coord(["create", parent]);
        Assert.Equal($"Created {parent}/s0000000000", (await coord(["create", "-s", $"{parent}/s", "data"])).Lines.Single());
        // ephemeral: a single command's session closes at its end, and its ephemerals with it
        Assert.Equal($"Created {parent}/e", (await coord(["create", "-e", $"{parent}/e"])).Lines.Single());
        Assert.Matches($@"^Created {parent}/es\d{{10}}$", (await coord(["create", "-e", "-s", $"{parent}/es"])).Lines.Single());
        Assert.Equal($"Created {parent}/c", (await coord(["create", "-c", $"{parent}/c"])).Lines.Single());
        Assert.Equal($"Created {parent}/t", (await coord(["create", "-t", "60000", $"{parent}/t", "x"])).Lines.Single());
        Assert.Matches($@"^Created {parent}/ts\d{{10}}$", (await coord(["create", "-s", "-t", "60000", $"{parent}/ts"])).Lines.Single());
        var ls = (await coord(["ls", parent])).Lines.Single();
        Assert.Matches(@"^\[c, s0000000000, t, ts\d{10}\]$", ls); // the ephemerals went with their sessions
        AssertStat(await coord(["stat", parent]), "numChildren = 4");

        var usage = await coord(["create", "-c", "-e", $"{parent}/x"]);
        Assert.Equal(2, usage.Exit);
        Assert.Contains("-c cannot be combined", usage.Err);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Errors_are_zkCli_messages_with_exit_1(string kind)
    {
        var coord = await Coord(kind);
        var node = Unique("err");

        async Task Fails(string[] args, string message)
        {
            var run = await coord(args);
            Assert.True(run.Exit == 1, run.ToString());
            Assert.Equal(message, run.Err.Trim());
            Assert.Equal("", run.Out);
        }

        await Fails(["get", node], $"Node does not exist: {node}");
        await Fails(["stat", node], $"Node does not exist: {node}");
        await Fails(["ls", node], $"Node does not exist: {node}");
        await Fails(["delete", node], $"Node does not exist: {node}");
        await Fails(["create", $"{node}/kid"], $"Node does not exist: {node}/kid");
        await coord(["create", node]);
        await coord(["create", $"{node}/kid"]);
        await Fails(["create", node], $"Node already exists: {node}");
        await Fails(["delete", node], $"Node not empty: {node}");
        await Fails(["set", "-v", "7", node, "x"], $"version No is not valid : {node}");
        await Fails(["delete", "-v", "3", $"{node}/kid"], $"version No is not valid : {node}/kid");
        Assert.Equal(0, (await coord(["delete", "-v", "0", $"{node}/kid"])).Exit);
    }

    [Fact]
    public async Task Connection_failure_and_usage_errors()
    {
        var refused = await RunAsync(["get", "/a", "--server", "127.0.0.1:1", "--connect-timeout", "1"]);
        Assert.Equal(1, refused.Exit);
        Assert.Equal("Connection to 127.0.0.1:1 failed", refused.Err.Trim());

        var missing = await RunAsync(["set", "/a"]);
        Assert.Equal(2, missing.Exit);
        Assert.Contains("DATA", missing.Err);
        var unknown = await RunAsync(["get", "-x", "/a"]);
        Assert.Equal(2, unknown.Exit);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Delete_deleteall_sync(string kind)
    {
        var coord = await Coord(kind);
        var node = Unique("del");
        await coord(["create", node]);
        await coord(["create", $"{node}/a"]);
        await coord(["create", $"{node}/a/b"]);
        await coord(["create", $"{node}/c"]);
        Assert.Equal(["Sync is OK"], (await coord(["sync", node])).Lines);
        var deleteAll = await coord(["deleteall", node]);
        Assert.Equal(0, deleteAll.Exit);
        Assert.Equal("", deleteAll.Out + deleteAll.Err);
        Assert.Equal(1, (await coord(["stat", node])).Exit);
        Assert.Equal($"Node does not exist: {node}", (await coord(["deleteall", node])).Err.Trim());
        await coord(["create", node]);
        Assert.Equal(0, (await coord(["delete", node])).Exit);
    }

    private static string DigestId(string user, string password) =>
        $"{user}:{Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes($"{user}:{password}")))}";

    [Theory, MemberData(nameof(Kinds))]
    public async Task Acls_and_addauth(string kind)
    {
        var server = await servers.GetAsync(kind);
        var coord = await Coord(kind);
        var node = Unique("acl");
        await coord(["create", node, "secret"]);
        Assert.Equal(["'world,'anyone", ": cdrwa"], (await coord(["getAcl", node])).Lines);

        Assert.Equal(0, (await coord(["setAcl", node, $"digest:{DigestId("u", "pw")}:cdrwa,world:anyone:r"])).Exit);
        // without ADMIN the server masks digest hashes (ZOOKEEPER-1392); with it (after addauth, below) it shows them
        Assert.Equal(["'digest,'u:x", ": cdrwa", "'world,'anyone", ": r"], (await coord(["getAcl", node])).Lines);
        Assert.Equal(["secret"], (await coord(["get", node])).Lines);
        var denied = await coord(["set", node, "x"]);
        Assert.Equal(1, denied.Exit);
        Assert.Equal($"Insufficient permission : {node}", denied.Err.Trim());

        Assert.Equal(0, (await coord(["addauth", "digest", "u:pw"])).Exit); // alone: only checked
        Assert.Equal(2, (await coord(["addauth", "digest", "nocolon"])).Exit);
        var badAcl = await coord(["setAcl", node, "world:anyone:xyz"]);
        Assert.Equal(2, badAcl.Exit);
        Assert.Contains("Invalid ACL", badAcl.Err);

        // in the shell addauth applies to the commands that follow
        var shell = await RunAsync(["shell", "--server", server.ConnectString], $"""
            set {node} before-auth
            addauth digest u:pw
            set {node} after-auth
            get {node}
            getAcl {node}
            quit
            """);
        Assert.Equal(1, shell.Exit); // the first set failed
        Assert.Equal($"Insufficient permission : {node}", shell.Err.Trim());
        Assert.Equal(["after-auth", "'digest,'" + DigestId("u", "pw"), ": cdrwa", "'world,'anyone", ": r"], shell.Lines);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Get_w_prints_the_next_event(string kind)
    {
        var server = await servers.GetAsync(kind);
        var coord = await Coord(kind);
        var node = Unique("getw");
        await coord(["create", node, "first"]);
        var output = new NotifyingWriter();
        var error = new StringWriter();
        var get = CoordCli.RunAsync(["get", "-w", node, "--server", server.ConnectString], output, error);
        await output.WaitForAsync("first", TimeSpan.FromSeconds(10));
        Assert.Equal(0, (await coord(["set", node, "second"])).Exit);
        Assert.Equal(0, await get.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["first", $"WatchedEvent state:SyncConnected type:NodeDataChanged path:{node}"],
            output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Watch_count_prints_events_made_by_other_commands(string kind)
    {
        var server = await servers.GetAsync(kind);
        var coord = await Coord(kind);
        var node = Unique("watch");
        await coord(["create", node]);
        var output = new NotifyingWriter();
        var watch = CoordCli.RunAsync(["watch", "-R", "--count", "3", node, "--server", server.ConnectString],
            output, new StringWriter());
        // the watch registers at some point: keep changing the subtree until three events were printed
        for (int i = 0; !watch.IsCompleted; i++)
        {
            Assert.True(i < 200, output.ToString());
            await coord(["create", $"{node}/k{i}"]);
            // An event line (or the command ending) answers the create; none within the bound means the
            // watch was not registered yet when the node appeared.
            await output.NextWriteAsync(TimeSpan.FromMilliseconds(200));
        }
        Assert.Equal(0, await watch);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.Matches($@"^WatchedEvent state:SyncConnected type:NodeCreated path:{node}/k\d+$", l));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Shell_runs_a_here_document(string kind)
    {
        var server = await servers.GetAsync(kind);
        var node = Unique("shell");
        var run = await RunAsync(["shell", "--server", server.ConnectString], $"""
            create {node} "one two"
            create -e {node}/eph
            ls {node}
            get -s {node}
            set {node} three
            get {node}
            delete {node}/eph
            delete {node}
            ls /
            quit
            create {node}/never
            """);
        Assert.True(run.Exit == 0, run.ToString());
        Assert.Equal("", run.Err);
        var lines = run.Lines;
        Assert.Equal($"Created {node}", lines[0]);
        Assert.Equal($"Created {node}/eph", lines[1]); // the shell's session keeps it until delete
        Assert.Equal("[eph]", lines[2]);
        Assert.Equal("one two", lines[3]);
        AssertStat(run, "numChildren = 1", "dataLength = 7");
        Assert.Equal("three", lines[15]);
        Assert.DoesNotContain(node[1..], lines[16]);
        Assert.Equal(17, lines.Length);
        Assert.DoesNotContain("[coord:", run.Out); // no prompt: stdin is not a terminal
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Shell_reports_failures_and_goes_on(string kind)
    {
        var server = await servers.GetAsync(kind);
        var node = Unique("shellerr");
        var run = await RunAsync(["shell", "--server", server.ConnectString, "--connect-timeout", "1"], $"""
            get {node}
            bogus
            connect 127.0.0.1:1
            connect {server.ConnectString}
            create {node}
            stat {node}
            delete {node}
            """);
        Assert.Equal(1, run.Exit);
        var errors = run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal($"Node does not exist: {node}", errors[0]);
        Assert.Contains(errors, e => e.Contains("bogus", StringComparison.Ordinal));
        Assert.Contains("Connection to 127.0.0.1:1 failed", errors);
        Assert.Equal($"Created {node}", run.Lines[0]);
        AssertStat(run, "numChildren = 0");
    }
}
