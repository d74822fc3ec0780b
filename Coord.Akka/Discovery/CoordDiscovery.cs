using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Coord.Client;
using Coord.Client.Recipes;

namespace Coord.Akka.Discovery;

/// <summary>
/// Coord service discovery for one ActorSystem (an Akka extension): registers this system's endpoints as ephemeral
/// nodes <c>{root}/{service}/{id}</c> holding Curator x-discovery JSON, and answers lookups for
/// <see cref="CoordServiceDiscovery"/>. One session, opened on first use and again after an expiry (registrations
/// are then written again); closed when the ActorSystem terminates, so its registrations disappear at once.
/// </summary>
public sealed class CoordDiscovery : IExtension, IAsyncDisposable
{
    private readonly SemaphoreSlim starting = new(1, 1);
    private readonly CoordAkkaSettings common;
    private ServiceDiscovery<JsonElement?>? discovery;
    private bool disposed;

    /// <summary>Created by <see cref="Get"/>.</summary>
    /// <param name="system">The ActorSystem.</param>
    public CoordDiscovery(ExtendedActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        System = system;
        common = CoordAkkaSettings.Create(system);
        var c = system.Settings.Config.GetConfig("akka.discovery.coord")
            .WithFallback(CoordAkkaConfig.Default.GetConfig("akka.discovery.coord"));
        var connect = c.GetString("connect-string", "");
        ConnectString = string.IsNullOrWhiteSpace(connect) ? common.ConnectString : connect.Trim();
        Root = c.GetString("root", "/akka/services").TrimEnd('/');
        if (!Root.StartsWith('/') || Root.Length < 2)
            throw new ConfigurationException($"akka.discovery.coord.root = \"{Root}\" must be an absolute node path such as /akka/services.");
        system.RegisterOnTermination(() => _ = DisposeAsync().AsTask());
    }

    /// <summary>The extension of <paramref name="system"/>.</summary>
    /// <param name="system">The ActorSystem.</param>
    public static CoordDiscovery Get(ActorSystem system) => system.WithExtension<CoordDiscovery, CoordDiscoveryProvider>();

    /// <summary>The ActorSystem.</summary>
    public ExtendedActorSystem System { get; }

    /// <summary>Where the discovery session connects.</summary>
    public string ConnectString { get; }

    /// <summary>The node under which every service has its node.</summary>
    public string Root { get; }

    /// <summary>Registers an endpoint of <paramref name="serviceName"/>; it stays listed while this ActorSystem's
    /// discovery session lives, or until the returned registration is disposed.</summary>
    /// <param name="serviceName">The service (a node name).</param>
    /// <param name="host">Host name or address.</param>
    /// <param name="port">Port.</param>
    /// <param name="ct">Cancels the wait.</param>
    public async Task<IAsyncDisposable> RegisterAsync(string serviceName, string host, int port, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        ArgumentException.ThrowIfNullOrEmpty(host);
        var d = await DiscoveryAsync(ct).ConfigureAwait(false);
        var instance = ServiceInstance<JsonElement?>.Create(serviceName, host, port, null);
        await d.RegisterAsync(instance, ct).ConfigureAwait(false);
        return new Registration(d, instance);
    }

    /// <summary>Registers this ActorSystem's remoting address (host and port of <c>akka.remote</c>) under
    /// <paramref name="serviceName"/>, for seed-node discovery.</summary>
    /// <param name="serviceName">The service, e.g. the cluster's name.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <exception cref="InvalidOperationException">The system has no remoting address (a local-only provider).</exception>
    public Task<IAsyncDisposable> RegisterSelfAsync(string serviceName, CancellationToken ct = default)
    {
        var address = System.Provider.DefaultAddress;
        if (address.Host is null || address.Port is null)
            throw new InvalidOperationException($"{address} has no host and port: enable akka.remote (or akka.cluster) to register this system.");
        return RegisterAsync(serviceName, address.Host, address.Port.Value, ct);
    }

    /// <summary>The current endpoints of <paramref name="serviceName"/> (none when it has no node).</summary>
    /// <param name="serviceName">The service.</param>
    /// <param name="ct">Cancels the wait.</param>
    public async Task<IReadOnlyList<ServiceInstance<JsonElement?>>> QueryAsync(string serviceName, CancellationToken ct = default)
    {
        var d = await DiscoveryAsync(ct).ConfigureAwait(false);
        try
        {
            return await d.QueryForInstancesAsync(serviceName, ct).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return [];
        }
    }

    private async Task<ServiceDiscovery<JsonElement?>> DiscoveryAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref discovery) is { } ready) return ready;
        await starting.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return discovery ??= await ServiceDiscovery<JsonElement?>.StartAsync(
                token => CoordClient.ConnectAsync(ConnectString, common.ClientOptions(), token), Root, ct: ct).ConfigureAwait(false);
        }
        finally
        {
            starting.Release();
        }
    }

    /// <summary>Closes the discovery session: this system's registrations disappear.</summary>
    public async ValueTask DisposeAsync()
    {
        await starting.WaitAsync().ConfigureAwait(false);
        try
        {
            if (disposed) return;
            disposed = true;
            if (discovery is { } d) await d.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            starting.Release();
        }
    }

    private sealed class Registration(ServiceDiscovery<JsonElement?> discovery, ServiceInstance<JsonElement?> instance) : IAsyncDisposable
    {
        private int done;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref done, 1) == 0) await discovery.UnregisterAsync(instance).ConfigureAwait(false);
        }
    }
}

/// <summary>Akka extension id of <see cref="CoordDiscovery"/>.</summary>
public sealed class CoordDiscoveryProvider : ExtensionIdProvider<CoordDiscovery>
{
    /// <inheritdoc />
    public override CoordDiscovery CreateExtension(ExtendedActorSystem system) => new(system);
}
