using System.Text.Json;
using Coord.Client.Recipes;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;
using static Coord.Client.Interop.Specs.Specs;

namespace Coord.Client.Interop.Specs.Recipes;

/// <summary><see cref="GroupMembership"/> and <see cref="ServiceDiscovery{T}"/>, against Apache ZooKeeper and Coord.</summary>
public sealed class MembershipSpecs(ServersFixture servers, ITestOutputHelper output) : IClassFixture<ServersFixture>
{
    public static TheoryData<string> Kinds => Servers.KindData;

    /// <summary>A payload with nesting, to round-trip through JSON.</summary>
    public sealed record Endpoint(string Protocol, string[] Tags, Dictionary<string, int> Weights);

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_watcher_sees_joins_payload_changes_a_leave_and_a_crash(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var watcherClient = await CoordClient.ConnectAsync(server.ConnectString, Options());
        await using var a = await CoordClient.ConnectAsync(server.ConnectString, Options());
        var b = await CoordClient.ConnectAsync(server.ConnectString, Options());
        try
        {
            using var deadline = new CancellationTokenSource(Wait);
            string path = $"{await RootAsync(watcherClient, "group")}/workers";
            var group = new GroupMembership(watcherClient, path);
            await using var snapshots = group.WatchAsync(deadline.Token).GetAsyncEnumerator(deadline.Token);
            await UntilAsync(snapshots, members => members.Count == 0);

            var memberA = await new GroupMembership(a, path).JoinAsync("a", Bytes("a:1"), deadline.Token);
            await new GroupMembership(b, path).JoinAsync("b", Bytes("b:1"), deadline.Token);
            var both = await UntilAsync(snapshots, members => members.Count == 2);
            Assert.Equal(["a", "b"], both.Select(m => m.Id));
            Assert.Equal([a.SessionId, b.SessionId], both.Select(m => m.SessionId));
            Assert.Equal("b:1", Text(both[1].Payload));
            await Assert.ThrowsAsync<NodeExistsException>(() => new GroupMembership(b, path).JoinAsync("a", null, deadline.Token));

            await memberA.UpdateAsync(Bytes("a:2"), deadline.Token);
            await UntilAsync(snapshots, members => members.Any(m => m.Id == "a" && Text(m.Payload) == "a:2"));

            await memberA.DisposeAsync(); // leaves
            Assert.Equal(["b"], (await UntilAsync(snapshots, members => members.Count == 1)).Select(m => m.Id));

            await b.DisposeAsync(); // the process ends: its session closes, its member node goes with it
            await UntilAsync(snapshots, members => members.Count == 0);
            Assert.Empty(await group.GetMembersAsync(deadline.Token));
        }
        finally
        {
            await b.DisposeAsync();
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Service_instances_round_trip_as_JSON_and_a_provider_tracks_them(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var registrar = await CoordClient.ConnectAsync(server.ConnectString, Options());
        await using var reader = await CoordClient.ConnectAsync(server.ConnectString, Options());
        using var deadline = new CancellationTokenSource(Wait);
        string basePath = $"{await RootAsync(registrar, "discovery")}/services";
        await using var discovery = new ServiceDiscovery<Endpoint>(registrar, basePath);
        await using var lookup = new ServiceDiscovery<Endpoint>(reader, basePath);
        await using var provider = lookup.CreateProvider("billing");
        var changes = System.Threading.Channels.Channel.CreateUnbounded<IReadOnlyList<ServiceInstance<Endpoint>>>();
        provider.Changed += (_, now) => changes.Writer.TryWrite(now);
        await provider.StartAsync(deadline.Token);
        Assert.Empty(provider.Instances);
        Assert.Null(provider.GetInstance());

        var payload = new Endpoint("grpc", ["eu", "blue"], new() { ["cpu"] = 3 });
        var first = new ServiceInstance<Endpoint>("billing", "i-1", "10.0.0.7", 8080, payload,
            new DateTime(2026, 11, 22, 3, 4, 5, 678, DateTimeKind.Utc));
        var second = ServiceInstance<Endpoint>.Create("billing", "10.0.0.8", 8081, payload with { Tags = ["us"] });
        await discovery.RegisterAsync(first, deadline.Token);
        await discovery.RegisterAsync(second, deadline.Token);
        await UntilAsync(changes, now => now.Count == 2);

        var read = await lookup.QueryForInstanceAsync("billing", "i-1", deadline.Token);
        Assert.NotNull(read);
        Assert.Equal((first.Name, first.Id, first.Address, first.Port, first.RegistrationTimeUtc),
            (read.Name, read.Id, read.Address, read.Port, read.RegistrationTimeUtc));
        Assert.Equal(payload.Protocol, read.Payload!.Protocol);
        Assert.Equal(payload.Tags, read.Payload.Tags);
        Assert.Equal(payload.Weights, read.Payload.Weights);
        using (var doc = JsonDocument.Parse((await reader.GetDataAsync($"{basePath}/billing/i-1", ct: deadline.Token)).Data))
        {
            // Curator x-discovery's field names, the time as epoch milliseconds.
            Assert.Equal("billing", doc.RootElement.GetProperty("name").GetString());
            Assert.Equal(1795316645678, doc.RootElement.GetProperty("registrationTimeUTC").GetInt64());
        }
        Assert.Equal(["billing"], await lookup.QueryForNamesAsync(deadline.Token));
        Assert.Equal(2, (await lookup.QueryForInstancesAsync("billing", deadline.Token)).Count);
        var picked = new[] { provider.GetInstance()!.Id, provider.GetInstance()!.Id };
        Assert.Equal(new[] { first.Id, second.Id }.Order(), picked.Order()); // round robin

        await discovery.UpdateAsync(first with { Port = 9090 }, deadline.Token);
        await UntilAsync(changes, now => now.Any(i => i.Id == "i-1" && i.Port == 9090));
        await discovery.UnregisterAsync(second, deadline.Token);
        Assert.Equal(["i-1"], (await UntilAsync(changes, now => now.Count == 1)).Select(i => i.Id));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task An_owning_discovery_registers_again_after_its_session_expires(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var proxy = new TcpProxy(server.Host, server.Port);
        await using var reader = await CoordClient.ConnectAsync(server.ConnectString, Options());
        using var deadline = new CancellationTokenSource(Wait);
        string basePath = $"{await RootAsync(reader, "rereg")}/services";
        await using var discovery = await ServiceDiscovery<Endpoint>.StartAsync(
            ct => CoordClient.ConnectAsync(proxy.ConnectString, Options(sessionMs: 1500), ct), basePath, ct: deadline.Token);
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        discovery.Reconnected += (_, _) => reconnected.TrySetResult();
        var instance = ServiceInstance<Endpoint>.Create("search", "10.0.0.9", 7000, new Endpoint("http", [], []));
        await discovery.RegisterAsync(instance, deadline.Token);
        await using var own = discovery.CreateProvider("search"); // follows the discovery onto its new session
        var ownChanges = System.Threading.Channels.Channel.CreateUnbounded<IReadOnlyList<ServiceInstance<Endpoint>>>();
        own.Changed += (_, now) => ownChanges.Writer.TryWrite(now);
        await own.StartAsync(deadline.Token);
        Assert.Single(own.Instances);

        await using var provider = new ServiceDiscovery<Endpoint>(reader, basePath).CreateProvider("search");
        var changes = System.Threading.Channels.Channel.CreateUnbounded<IReadOnlyList<ServiceInstance<Endpoint>>>();
        provider.Changed += (_, now) => changes.Writer.TryWrite(now);
        await provider.StartAsync(deadline.Token);
        Assert.Single(provider.Instances);
        long before = discovery.Client.SessionId;

        proxy.Pause();
        proxy.DropAll();
        await UntilAsync(changes, now => now.Count == 0); // the session expired on the server: its instance went
        proxy.Resume();
        await reconnected.Task.WaitAsync(Wait);
        var back = await UntilAsync(changes, now => now.Count == 1);
        Assert.Equal(instance.Id, back[0].Id);
        Assert.NotEqual(before, discovery.Client.SessionId);
        var owner = await reader.ExistsAsync($"{basePath}/search/{instance.Id}", ct: deadline.Token);
        Assert.Equal(discovery.Client.SessionId, owner!.Value.EphemeralOwner);
        // The discovery's own provider saw its old session expire and now watches through the new one.
        var seenByOwn = await UntilAsync(ownChanges, now => now.Count == 1 && now[0].Id == instance.Id && own.Instances.Count == 1);
        await discovery.UnregisterAsync(instance, deadline.Token);
        await UntilAsync(ownChanges, now => now.Count == 0);
        output.WriteLine($"{kind}: session 0x{before:x} expired, instance registered again by 0x{discovery.Client.SessionId:x}");
    }

    private static async Task<IReadOnlyList<Member>> UntilAsync(IAsyncEnumerator<IReadOnlyList<Member>> snapshots,
        Func<IReadOnlyList<Member>, bool> done)
    {
        while (true)
        {
            Assert.True(await snapshots.MoveNextAsync().AsTask().WaitAsync(Wait), "the watch ended");
            if (done(snapshots.Current)) return snapshots.Current;
        }
    }

    private static async Task<IReadOnlyList<ServiceInstance<Endpoint>>> UntilAsync(
        System.Threading.Channels.Channel<IReadOnlyList<ServiceInstance<Endpoint>>> changes,
        Func<IReadOnlyList<ServiceInstance<Endpoint>>, bool> done)
    {
        while (true)
        {
            var now = await changes.Reader.ReadAsync().AsTask().WaitAsync(Wait);
            if (done(now)) return now;
        }
    }

    private static string Text(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);
}
