using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Akka.Discovery;

namespace Coord.Akka.Discovery;

/// <summary>
/// The <c>coord</c> Akka.Discovery method (<c>akka.discovery.method = coord</c>, or
/// <c>Discovery.Get(system).LoadServiceDiscovery("coord")</c>): a lookup lists the instances registered under
/// <c>{root}/{service name}</c> (by <see cref="CoordDiscovery"/> or any Curator x-discovery client), read fresh from
/// Coord on every call. Port names and protocols in the lookup are ignored: an instance has one address and port.
/// </summary>
public sealed class CoordServiceDiscovery : ServiceDiscovery
{
    private readonly CoordDiscovery discovery;

    /// <summary>Called by Akka.Discovery.</summary>
    /// <param name="system">The ActorSystem.</param>
    /// <param name="config">The method's section (<c>akka.discovery.coord</c>); read by <see cref="CoordDiscovery"/>.</param>
    public CoordServiceDiscovery(ExtendedActorSystem system, Config config)
    {
        _ = config;
        discovery = CoordDiscovery.Get(system);
    }

    /// <inheritdoc />
    public override async Task<Resolved> Lookup(Lookup lookup, TimeSpan resolveTimeout)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        using var timeout = new CancellationTokenSource(resolveTimeout);
        try
        {
            var instances = await discovery.QueryAsync(lookup.ServiceName, timeout.Token).ConfigureAwait(false);
            var targets = instances
                .Where(i => !string.IsNullOrEmpty(i.Address))
                .OrderBy(i => i.Address, StringComparer.Ordinal).ThenBy(i => i.Port)
                .Select(i => new ResolvedTarget(i.Address!, i.Port, IPAddress.TryParse(i.Address, out var ip) ? ip : null));
            return new Resolved(lookup.ServiceName, targets);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"coord discovery: looking up {lookup.ServiceName} at {discovery.ConnectString} took longer than {resolveTimeout}");
        }
    }
}
