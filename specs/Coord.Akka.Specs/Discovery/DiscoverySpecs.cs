using Akka.Actor;
using Akka.Discovery;
using Coord.Akka.Discovery;

namespace Coord.Akka.Specs.Discovery;

/// <summary>The <c>coord</c> Akka.Discovery method against a real <c>coord serve</c>.</summary>
[Collection(CoordCollection.Name)]
public sealed class DiscoverySpecs(CoordServerFixture fixture)
{
    private const string Remote = """
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        """;

    [Fact]
    public async Task Members_registered_by_one_system_are_found_by_another_and_a_departed_member_disappears()
    {
        var service = Specs.Unique("svc");
        var a = ActorSystem.Create("a", Specs.Config(fixture.ConnectString, Remote));
        var b = ActorSystem.Create("b", Specs.Config(fixture.ConnectString, "akka.discovery.method = coord"));
        await using var observer = await Specs.ConnectAsync(fixture.ConnectString);
        try
        {
            var self = await CoordDiscovery.Get(a).RegisterSelfAsync(service);
            var other = await CoordDiscovery.Get(a).RegisterAsync(service, "10.0.0.7", 2552);
            var selfAddress = ((ExtendedActorSystem)a).Provider.DefaultAddress;

            var lookup = global::Akka.Discovery.Discovery.Get(b).LoadServiceDiscovery("coord");
            Assert.Same(lookup, global::Akka.Discovery.Discovery.Get(b).Default); // akka.discovery.method = coord
            var found = await lookup.Lookup(new Lookup(service), TimeSpan.FromSeconds(5));
            Assert.Equal(service, found.ServiceName);
            Assert.Equal(
                new[] { ("10.0.0.7", (int?)2552), (selfAddress.Host!, selfAddress.Port) }.OrderBy(t => t.Item1, StringComparer.Ordinal),
                found.Addresses.Select(t => (t.Host, t.Port)));
            Assert.All(found.Addresses, t => Assert.NotNull(t.Address)); // IP literals come with their IPAddress

            // Unregistered: gone from the next lookup.
            await other.DisposeAsync();
            found = await lookup.Lookup(new Lookup(service), TimeSpan.FromSeconds(5));
            Assert.Equal([(selfAddress.Host!, selfAddress.Port)], found.Addresses.Select(t => (t.Host, t.Port)));

            // The registering system departs: its session closes and its instance goes.
            var departed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var servicePath = $"{CoordDiscovery.Get(b).Root}/{service}";
            await observer.GetChildrenAsync(servicePath, watcher: _ => departed.TrySetResult());
            await a.Terminate();
            await departed.Task.WaitAsync(Specs.Wait);
            Assert.Empty((await lookup.Lookup(new Lookup(service), TimeSpan.FromSeconds(5))).Addresses);

            Assert.Empty((await lookup.Lookup(new Lookup(Specs.Unique("never-registered")), TimeSpan.FromSeconds(5))).Addresses);
        }
        finally
        {
            await Specs.TerminateAsync(a, b);
        }
    }
}
