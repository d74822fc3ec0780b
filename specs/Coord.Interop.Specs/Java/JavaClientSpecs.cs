using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Java;

/// <summary>
/// Apache ZooKeeper's own Java client (Debian's zookeeper.jar) against each server kind, via
/// java/InteropClient.java, which checks details itself and prints RESULT lines asserted here.
/// </summary>
public sealed class JavaClientSpecs(ServerPool servers) : IClassFixture<ServerPool>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    public static TheoryData<string> Kinds => Servers.ClientKindData;

    [Theory, MemberData(nameof(Kinds))]
    public async Task Crud_with_the_sync_api(string kind)
    {
        var output = await RunCase(kind, "crud");
        Assert.Contains("RESULT create /a version=0", output);
        Assert.Contains("RESULT setData version=1", output);
        Assert.Contains("RESULT delete ok", output);
        Assert.Contains("RESULT ttl+container ok", output);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task GetChildren2_returns_the_parent_stat(string kind)
    {
        var output = await RunCase(kind, "children2");
        Assert.Contains("RESULT children2 numChildren=2 cversionDelta=4", output);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Multi_commits_atomically_and_reports_per_op_errors(string kind)
    {
        var output = await RunCase(kind, "multi");
        Assert.Contains("RESULT multi ok results=5", output);
        // ops before the failing one read OK (0), the failing one its error, later ones RUNTIMEINCONSISTENCY
        Assert.Contains("RESULT multi failed codes=0 -103 -2", output);
        Assert.Contains("RESULT transaction ok", output);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Persistent_recursive_watch_sees_descendants(string kind)
    {
        var output = await RunCase(kind, "recursive");
        var events = Lines(output).Where(l => l.StartsWith("RESULT event ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(
        [
            "RESULT event NodeCreated /a", "RESULT event NodeDataChanged /a", "RESULT event NodeCreated /a/b",
            "RESULT event NodeDataChanged /a/b", "RESULT event NodeDeleted /a/b", "RESULT event NodeDataChanged",
            "RESULT event NodeDeleted /a",
        ], events);
        Assert.Contains("RESULT removed watch silent", output);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task SetWatches_after_reconnect_delivers_changes_made_while_disconnected(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var proxy = new TcpProxy(server.Host, server.Port);
        await using var java = ChildProcess.Start(Tools.Java,
            await JavaClient.ArgsAsync("setwatches", proxy.ConnectString, server.ConnectString));
        var timeout = TimeSpan.FromSeconds(30);

        await java.WaitForLineAsync(l => l == "ARMED", timeout, "the Java client to arm its watches");
        proxy.Pause();
        proxy.DropAll();
        await java.WaitForLineAsync(l => l == "CHANGED", timeout, "client 2 to change the nodes while client 1 is away");
        proxy.Resume();
        await java.Stdin.WriteLineAsync("RESUMED");
        await java.Stdin.FlushAsync();

        var exit = await java.Exited.WaitAsync(timeout);
        var output = java.Stdout.Text(200);
        Assert.True(exit == 0, $"setwatches against {server}: exit {exit}\n{java.Describe()}");
        Assert.Contains("RESULT reconnected same session", output);
        Assert.Contains("RESULT event NodeDataChanged /w", output);
        Assert.Contains("RESULT event NodeDeleted /gone", output);
        Assert.Contains("RESULT event NodeCreated /born", output);
        Assert.True(proxy.Accepted >= 2, "the client reconnected through the proxy");
    }

    private async Task<string> RunCase(string kind, string name)
    {
        var server = await servers.GetAsync(kind);
        var result = await Tools.RunAsync(Tools.Java, await JavaClient.ArgsAsync(name, server.ConnectString), RunTimeout);
        Assert.True(result.ExitCode == 0, $"InteropClient {name} against {server}:\n{result}");
        return result.Stdout;
    }

    private static IEnumerable<string> Lines(string text) => text.Split('\n').Select(l => l.TrimEnd());
}
