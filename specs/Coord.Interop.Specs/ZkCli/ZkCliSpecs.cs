using System.Text.RegularExpressions;
using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.ZkCli;

/// <summary>
/// Debian's zkCli.sh, one command per JVM (about a second each), against each server kind. zkCli
/// prints some answers ("Created ...", errors) on stderr, so assertions read both streams.
/// </summary>
public sealed partial class ZkCliSpecs(ServerPool servers) : IClassFixture<ServerPool>
{
    public static TheoryData<string> Kinds => Servers.ClientKindData;

    [GeneratedRegex(@"^cZxid = 0x[0-9a-f]+$", RegexOptions.Multiline)]
    private static partial Regex CzxidLine();

    [GeneratedRegex(@"^ctime = \w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} \w+ \d{4}$", RegexOptions.Multiline)]
    private static partial Regex CtimeLine();

    [GeneratedRegex(@"^ephemeralOwner = 0x[1-9a-f][0-9a-f]*$", RegexOptions.Multiline)]
    private static partial Regex EphemeralOwnerLine();

    [Theory, MemberData(nameof(Kinds))]
    public async Task Create_get_set_stat_ls(string kind)
    {
        var cli = await Cli(kind);
        var node = $"/test-{Guid.NewGuid():N}"[..14];

        Assert.Contains($"Created {node}", await cli($"create {node} laogong"));
        Assert.Contains("laogong", Lines(await cli($"get {node}")));

        var getS = await cli($"get -s {node}");
        Assert.Contains("laogong", Lines(getS));
        Assert.Matches(CzxidLine(), getS);
        Assert.Matches(CtimeLine(), getS);
        foreach (var line in new[] { "dataVersion = 0", "aclVersion = 0", "cversion = 0", "ephemeralOwner = 0x0", "dataLength = 7", "numChildren = 0" })
        {
            Assert.Contains(line, Lines(getS));
        }

        await cli($"set {node} laopo");
        var stat = await cli($"stat {node}");
        Assert.Contains("dataVersion = 1", Lines(stat));
        Assert.Contains("dataLength = 5", Lines(stat));
        Assert.DoesNotContain("laopo", Lines(stat));
        Assert.Contains("laopo", Lines(await cli($"get {node}")));

        await cli($"create {node}/kid");
        Assert.Contains("[kid]", Lines(await cli($"ls {node}")));
        var lsS = await cli($"ls -s {node}");
        Assert.Contains("[kid]", Lines(lsS));
        Assert.Contains("numChildren = 1", Lines(lsS));
        Assert.Matches(CzxidLine(), lsS);
        Assert.Contains(node[1..], await cli("ls /"));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Ephemeral_and_sequential_creates(string kind)
    {
        var cli = await Cli(kind);
        var parent = $"/seq-{Guid.NewGuid():N}"[..13];
        Assert.Contains($"Created {parent}", await cli($"create {parent}"));
        Assert.Contains($"Created {parent}/e", await cli($"create -e {parent}/e"));
        Assert.Contains($"Created {parent}/s0000000001", await cli($"create -s {parent}/s data"));
        Assert.Contains($"Created {parent}/es0000000002", await cli($"create -e -s {parent}/es"));

        // zkCli exits without closing its session, so the ephemerals live on until the session expires
        var ls = await cli($"ls {parent}");
        Assert.Contains("[e, es0000000002, s0000000001]", Lines(ls));
        var stat = await cli($"stat {parent}");
        Assert.Contains("numChildren = 3", Lines(stat));
        Assert.Contains("cversion = 3", Lines(stat));
        Assert.Matches(EphemeralOwnerLine(), await cli($"stat {parent}/e"));
        Assert.Contains("ephemeralOwner = 0x0", Lines(await cli($"stat {parent}/s0000000001")));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Delete_and_deleteall(string kind)
    {
        var cli = await Cli(kind);
        var node = $"/del-{Guid.NewGuid():N}"[..13];
        await cli($"create {node}");
        await cli($"create {node}/a");
        await cli($"create {node}/a/b");
        Assert.Contains($"Node not empty: {node}", await cli($"delete {node}"));
        await cli($"delete {node}/a/b");
        Assert.Contains("[a]", Lines(await cli($"ls {node}")));
        await cli($"deleteall {node}");
        Assert.Contains($"Node does not exist: {node}", await cli($"stat {node}"));
    }

    /// <summary>Returns a function running one zkCli command and giving stdout + stderr.</summary>
    private async Task<Func<string, Task<string>>> Cli(string kind)
    {
        var server = await servers.GetAsync(kind);
        return async command =>
        {
            var result = await Tools.RunAsync(Tools.ZkCli, ["-server", server.ConnectString, .. command.Split(' ')],
                TimeSpan.FromSeconds(30), env: new Dictionary<string, string> { ["CLIENT_JVMFLAGS"] = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" });
            return $"{result.Stdout}\n{result.Stderr}";
        };
    }

    private static string[] Lines(string text) => [.. text.Split('\n').Select(l => l.TrimEnd())];
}
