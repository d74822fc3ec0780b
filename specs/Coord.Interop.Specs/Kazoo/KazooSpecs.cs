using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Kazoo;

/// <summary>kazoo's server settings: a short tick so session expiry is quick, and super:test as the super digest.</summary>
public sealed class KazooServers : ServerPool
{
    public const int TickMs = 1000;

    protected override ServerOptions Options => new(TickMs: TickMs, SuperDigest: "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
}

/// <summary>
/// Runs the python scripts in kazoo/ (python3-kazoo, a real ZooKeeper client) against each server kind.
/// Each script is runnable by hand: /usr/bin/python3 kazoo/crud.py 127.0.0.1:2181
/// </summary>
public sealed class KazooSpecs(KazooServers servers) : IClassFixture<KazooServers>
{
    public static TheoryData<string> Kinds => Servers.ClientKindData;

    [Theory, MemberData(nameof(Kinds))]
    public Task Crud_with_stat_checks(string kind) => RunScript(kind, "crud.py");

    [Theory, MemberData(nameof(Kinds))]
    public Task Ephemeral_and_sequential_nodes(string kind) => RunScript(kind, "ephemeral_sequential.py");

    [Theory, MemberData(nameof(Kinds))]
    public Task Watches_are_one_shot_with_types_and_paths(string kind) => RunScript(kind, "watches.py");

    [Theory, MemberData(nameof(Kinds))]
    public Task Transactions_commit_and_roll_back(string kind) => RunScript(kind, "transactions.py");

    [Theory, MemberData(nameof(Kinds))]
    public Task Acl_digest_auth_and_super(string kind) => RunScript(kind, "acl_auth.py");

    [Theory, MemberData(nameof(Kinds))]
    public Task Session_expiry_deletes_ephemerals_and_the_client_sees_lost(string kind) =>
        RunScript(kind, "session_expiry.py", KazooServers.TickMs.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Theory, MemberData(nameof(Kinds))]
    public Task Recipes_lock_election_barriers_queues(string kind) => RunScript(kind, "recipes.py");

    private async Task RunScript(string kind, string script, params string[] extra)
    {
        var server = await servers.GetAsync(kind);
        var path = Path.Combine(RepoPaths.SpecsDir, "kazoo", script);
        var result = await Tools.RunAsync(Tools.Python, [path, server.ConnectString, .. extra], TimeSpan.FromSeconds(90),
            env: new Dictionary<string, string> { ["PYTHONUNBUFFERED"] = "1", ["PYTHONDONTWRITEBYTECODE"] = "1" });
        Assert.True(result.ExitCode == 0, $"{script} against {server}:\n{result}");
    }
}
