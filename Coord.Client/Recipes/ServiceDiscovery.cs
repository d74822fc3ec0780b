using System.Text.Json;
using System.Text.Json.Serialization;

namespace Coord.Client.Recipes;

/// <summary>One registered instance of a service, stored as JSON in its node (field names as Curator x-discovery).</summary>
/// <typeparam name="T">The payload type (serialized with System.Text.Json).</typeparam>
/// <param name="Name">The service name (the parent node's name).</param>
/// <param name="Id">The instance id, unique within the service (the node's name).</param>
/// <param name="Address">Host name or address the instance serves on.</param>
/// <param name="Port">Port the instance serves on, if any.</param>
/// <param name="Payload">Service-specific details.</param>
/// <param name="RegistrationTimeUtc">When the instance was registered, in UTC (milliseconds since the Unix epoch on the wire).</param>
public sealed record ServiceInstance<T>(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("address")] string? Address,
    [property: JsonPropertyName("port")] int? Port,
    [property: JsonPropertyName("payload")] T? Payload,
    [property: JsonPropertyName("registrationTimeUTC"), JsonConverter(typeof(UnixMillisecondsConverter))] DateTime RegistrationTimeUtc)
{
    /// <summary>A new instance with a fresh GUID id, registered now.</summary>
    /// <param name="name">The service name.</param>
    /// <param name="address">Host name or address.</param>
    /// <param name="port">Port.</param>
    /// <param name="payload">Service-specific details.</param>
    public static ServiceInstance<T> Create(string name, string? address, int? port, T? payload) =>
        new(name, Guid.NewGuid().ToString("N"), address, port, payload, DateTime.UtcNow);
}

/// <summary>
/// Service discovery in the spirit of Curator x-discovery: each instance of a service is an ephemeral node
/// <c>{basePath}/{name}/{id}</c> holding the <see cref="ServiceInstance{T}"/> as JSON, so it is listed exactly while
/// the registering session lives. Register, update and unregister instances; query names and instances; a
/// <see cref="ServiceProvider{T}"/> keeps a watched, current list of one service's instances.
/// </summary>
/// <remarks>
/// An expired session is dead, and its ephemerals with it. Built with <see cref="StartAsync"/> and a connect
/// function, the discovery owns its client: when the session expires it connects a new one, registers every
/// instance again and moves its providers to the new session (as Curator re-registers after a lost session). Built
/// on a caller's <see cref="CoordClient"/>, it does not outlive that client's session. Registrations through one
/// instance may run concurrently; instance ids must be valid node names.
/// </remarks>
/// <example><code>
/// await using var discovery = await ServiceDiscovery&lt;Endpoint&gt;.StartAsync(
///     ct => CoordClient.ConnectAsync("zk1:2181,zk2:2181", ct: ct), "/services");
/// await discovery.RegisterAsync(ServiceInstance&lt;Endpoint&gt;.Create("billing", "10.0.0.7", 8080, new Endpoint("v2")));
/// await using var billing = discovery.CreateProvider("billing");
/// await billing.StartAsync();
/// var target = billing.GetInstance();   // round robin over the current instances, null if none
/// </code></example>
/// <typeparam name="T">The payload type.</typeparam>
public sealed class ServiceDiscovery<T> : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<CoordClient>>? connect;
    private readonly JsonSerializerOptions json;
    private readonly Dictionary<(string Name, string Id), ServiceInstance<T>> registered = [];
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stop = new();
    private readonly List<ServiceProvider<T>> providers = [];
    private CoordClient client;
    private TaskCompletionSource replaced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task recovering = Task.CompletedTask;

    /// <summary>Discovery on the caller's session (not re-registered after it expires; the caller owns the client).</summary>
    /// <param name="client">The session.</param>
    /// <param name="basePath">The node under which each service has its node.</param>
    /// <param name="json">Serializer options for the instances (default: the web defaults).</param>
    public ServiceDiscovery(CoordClient client, string basePath, JsonSerializerOptions? json = null)
        : this(client, null, basePath, json)
    {
    }

    private ServiceDiscovery(CoordClient client, Func<CancellationToken, Task<CoordClient>>? connect, string basePath, JsonSerializerOptions? json)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(basePath);
        this.client = client;
        this.connect = connect;
        this.json = json ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);
        BasePath = basePath;
        if (connect is not null) client.StateChanged += OnStateChanged;
    }

    /// <summary>Discovery that owns its session: connects with <paramref name="connect"/> now and again whenever the
    /// session expires, then registers every instance again. Disposing it closes the session.</summary>
    /// <param name="connect">Creates a connected client (called again after each expiry).</param>
    /// <param name="basePath">The node under which each service has its node.</param>
    /// <param name="json">Serializer options for the instances (default: the web defaults).</param>
    /// <param name="ct">Cancels the first connection.</param>
    public static async Task<ServiceDiscovery<T>> StartAsync(Func<CancellationToken, Task<CoordClient>> connect, string basePath,
        JsonSerializerOptions? json = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(connect);
        return new ServiceDiscovery<T>(await connect(ct).ConfigureAwait(false), connect, basePath, json);
    }

    /// <summary>The node under which each service has its node.</summary>
    public string BasePath { get; }

    /// <summary>The session in use now (replaced after an expiry when the discovery owns it).</summary>
    public CoordClient Client
    {
        get
        {
            lock (gate) return client;
        }
    }

    /// <summary>Raised after the discovery replaced an expired session and registered its instances again.</summary>
    public event EventHandler? Reconnected;

    /// <summary>Registers an instance (or, registered already by this session, writes it again).</summary>
    /// <param name="instance">The instance.</param>
    /// <param name="ct">Cancels the wait (the instance may still be registered).</param>
    /// <exception cref="NodeExistsException">Another session registered an instance with this name and id.</exception>
    public async Task RegisterAsync(ServiceInstance<T> instance, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        lock (gate) registered[(instance.Name, instance.Id)] = instance;
        await WithSessionAsync(c => EphemeralNodes.CreateOwnAsync(c, ServicePath(instance.Name), instance.Id, Serialize(instance), ct), ct)
            .ConfigureAwait(false);
    }

    /// <summary>Writes a registered instance's new details.</summary>
    /// <param name="instance">The instance (same name and id as registered).</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <exception cref="InvalidOperationException">The instance is not registered through this discovery.</exception>
    public async Task UpdateAsync(ServiceInstance<T> instance, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        lock (gate)
        {
            if (!registered.ContainsKey((instance.Name, instance.Id)))
                throw new InvalidOperationException($"{instance.Name}/{instance.Id} is not registered here");
            registered[(instance.Name, instance.Id)] = instance;
        }
        await WithSessionAsync(c => EphemeralNodes.SetOwnAsync(c, InstancePath(instance.Name, instance.Id), Serialize(instance), ct), ct)
            .ConfigureAwait(false);
    }

    /// <summary>Unregisters an instance (deletes its node; not registered again after an expiry).</summary>
    /// <param name="instance">The instance.</param>
    /// <param name="ct">Cancels the wait.</param>
    public async Task UnregisterAsync(ServiceInstance<T> instance, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        lock (gate) registered.Remove((instance.Name, instance.Id));
        await WithSessionAsync(c => RecipeNodes.DeleteQuietlyAsync(c, InstancePath(instance.Name, instance.Id), ct), ct)
            .ConfigureAwait(false);
    }

    /// <summary>The names of all services with a node under the base path.</summary>
    /// <param name="ct">Cancels the wait.</param>
    public async Task<IReadOnlyList<string>> QueryForNamesAsync(CancellationToken ct = default)
    {
        try
        {
            return (await Client.GetChildrenAsync(BasePath, ct: ct).ConfigureAwait(false)).Order(StringComparer.Ordinal).ToList();
        }
        catch (NoNodeException)
        {
            return [];
        }
    }

    /// <summary>The current instances of a service, sorted by id (nodes that do not hold a valid instance are skipped).</summary>
    /// <param name="name">The service name.</param>
    /// <param name="ct">Cancels the wait.</param>
    public async Task<IReadOnlyList<ServiceInstance<T>>> QueryForInstancesAsync(string name, CancellationToken ct = default)
    {
        var group = await new GroupMembership(Client, ServicePath(name)).GetMembersAsync(ct).ConfigureAwait(false);
        return group.Select(m => Deserialize(m.Payload)).OfType<ServiceInstance<T>>().ToList();
    }

    /// <summary>One instance of a service, or null if it is not registered.</summary>
    /// <param name="name">The service name.</param>
    /// <param name="id">The instance id.</param>
    /// <param name="ct">Cancels the wait.</param>
    public async Task<ServiceInstance<T>?> QueryForInstanceAsync(string name, string id, CancellationToken ct = default)
    {
        try
        {
            return Deserialize((await Client.GetDataAsync(InstancePath(name, id), ct: ct).ConfigureAwait(false)).Data);
        }
        catch (NoNodeException)
        {
            return null;
        }
    }

    /// <summary>A provider that keeps the instances of <paramref name="name"/> current; call its
    /// <see cref="ServiceProvider{T}.StartAsync"/>. Providers are disposed with the discovery.</summary>
    /// <param name="name">The service name.</param>
    public ServiceProvider<T> CreateProvider(string name)
    {
        var provider = new ServiceProvider<T>(this, name);
        lock (gate) providers.Add(provider);
        return provider;
    }

    /// <summary>Stops the providers; unregisters every instance and closes the session if the discovery owns it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (stop.IsCancellationRequested) return;
        await stop.CancelAsync().ConfigureAwait(false);
        List<ServiceProvider<T>> all;
        lock (gate) all = [.. providers];
        foreach (var provider in all) await provider.DisposeAsync().ConfigureAwait(false);
        try
        {
            await recovering.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Recovery ends with the stop token; its failures no longer matter.
        }
        if (connect is not null) await Client.DisposeAsync().ConfigureAwait(false); // closing the session deletes the instances
    }

    internal string ServicePath(string name) =>
        string.IsNullOrEmpty(name) || name.Contains('/', StringComparison.Ordinal)
            ? throw new ArgumentException($"'{name}' is not a service name", nameof(name))
            : $"{BasePath}/{name}";

    internal ServiceInstance<T>? Deserialize(byte[] data)
    {
        try
        {
            return JsonSerializer.Deserialize<ServiceInstance<T>>(data, json);
        }
        catch (JsonException)
        {
            return null; // not an instance (written by something else): skipped rather than failing every query
        }
    }

    /// <summary>Completes when the session in use is no longer <paramref name="expired"/> (only ever when the
    /// discovery owns its session); cancelled with the discovery.</summary>
    internal async Task<CoordClient> NextClientAsync(CoordClient expired, CancellationToken ct)
    {
        if (connect is null) throw new SessionExpiredException();
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, stop.Token);
        while (true)
        {
            Task next;
            lock (gate)
            {
                if (!ReferenceEquals(client, expired)) return client;
                next = replaced.Task;
            }
            await next.WaitAsync(both.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Runs a write on the current session; if that session has expired and the discovery owns it, runs it
    /// again on the next one (the recovery may have re-registered from a list taken before this call changed it).</summary>
    private async Task WithSessionAsync(Func<CoordClient, Task> write, CancellationToken ct)
    {
        var current = Client;
        while (true)
        {
            try
            {
                await write(current).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is SessionExpiredException or ObjectDisposedException && connect is not null)
            {
                // ObjectDisposed: the recovery already closed the expired client under this call.
                current = await NextClientAsync(current, ct).ConfigureAwait(false);
            }
        }
    }

    private string InstancePath(string name, string id) => $"{ServicePath(name)}/{id}";

    private byte[] Serialize(ServiceInstance<T> instance) => JsonSerializer.SerializeToUtf8Bytes(instance, json);

    private void OnStateChanged(object? sender, ConnectionStateChange change)
    {
        if (change.Current != ConnectionState.Expired || stop.IsCancellationRequested) return;
        lock (gate)
        {
            if (!ReferenceEquals(sender, client) || !recovering.IsCompleted) return;
            recovering = Task.Run(() => RecoverAsync((CoordClient)sender!, stop.Token));
        }
    }

    /// <summary>Connects a new session (backing off up to 5 s between failures), swaps it in, registers every
    /// instance again and wakes the providers.</summary>
    private async Task RecoverAsync(CoordClient expired, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (!ct.IsCancellationRequested)
        {
            CoordClient fresh;
            try
            {
                fresh = await connect!(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CoordException or System.Net.Sockets.SocketException or TimeoutException)
            {
                await Task.Delay(delay, ct).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
                continue;
            }
            fresh.StateChanged += OnStateChanged;
            List<ServiceInstance<T>> again;
            TaskCompletionSource wake;
            lock (gate)
            {
                client = fresh;
                again = [.. registered.Values];
                wake = replaced;
                replaced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            await expired.DisposeAsync().ConfigureAwait(false);
            foreach (var instance in again)
            {
                await EphemeralNodes.CreateOwnAsync(fresh, ServicePath(instance.Name), instance.Id, Serialize(instance), ct)
                    .ConfigureAwait(false);
            }
            wake.TrySetResult();
            Reconnected?.Invoke(this, EventArgs.Empty);
            return;
        }
    }
}

/// <summary>
/// The instances of one service, kept current by watches (Curator's ServiceCache / ServiceProvider). Follows the
/// discovery's session across an expiry when the discovery owns it.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public sealed class ServiceProvider<T> : IAsyncDisposable
{
    private readonly ServiceDiscovery<T> discovery;
    private readonly CancellationTokenSource stop = new();
    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IReadOnlyList<ServiceInstance<T>> instances = [];
    private Task? watching;
    private int next;

    internal ServiceProvider(ServiceDiscovery<T> discovery, string name)
    {
        this.discovery = discovery;
        Name = name;
        Path = discovery.ServicePath(name);
    }

    /// <summary>The service name.</summary>
    public string Name { get; }

    /// <summary>The service's node.</summary>
    public string Path { get; }

    /// <summary>The instances as last seen, sorted by id.</summary>
    public IReadOnlyList<ServiceInstance<T>> Instances => Volatile.Read(ref instances);

    /// <summary>Raised with the new list after each change, on the provider's watch task (keep handlers short;
    /// an exception from a handler is swallowed).</summary>
    public event EventHandler<IReadOnlyList<ServiceInstance<T>>>? Changed;

    /// <summary>Starts watching; completes once the first list is in <see cref="Instances"/>.</summary>
    /// <param name="ct">Cancels waiting for the first list (watching goes on until disposed).</param>
    public Task StartAsync(CancellationToken ct = default)
    {
        watching ??= Task.Run(() => WatchAsync(stop.Token), CancellationToken.None);
        return started.Task.WaitAsync(ct);
    }

    /// <summary>One of the current instances, round robin; null if there is none.</summary>
    public ServiceInstance<T>? GetInstance()
    {
        var now = Instances;
        return now.Count == 0 ? null : now[(int)((uint)Interlocked.Increment(ref next) % (uint)now.Count)];
    }

    /// <summary>Stops watching.</summary>
    public async ValueTask DisposeAsync()
    {
        if (stop.IsCancellationRequested) return;
        await stop.CancelAsync().ConfigureAwait(false);
        if (watching is not null)
        {
            try
            {
                await watching.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Stopped, or already failed (StartAsync reported it): nothing left to do.
            }
        }
        started.TrySetCanceled();
    }

    private async Task WatchAsync(CancellationToken ct)
    {
        var client = discovery.Client;
        while (true)
        {
            try
            {
                await foreach (var nodes in ChildrenWatch.WatchAsync(client, Path, ct).ConfigureAwait(false))
                {
                    var now = nodes.Select(n => discovery.Deserialize(n.Data)).OfType<ServiceInstance<T>>().ToList();
                    Volatile.Write(ref instances, now);
                    started.TrySetResult();
                    try
                    {
                        Changed?.Invoke(this, now);
                    }
                    catch (Exception)
                    {
                        // A handler's failure must not stop the cache.
                    }
                }
                return; // the client was closed
            }
            catch (SessionExpiredException e)
            {
                try
                {
                    client = await discovery.NextClientAsync(client, ct).ConfigureAwait(false);
                }
                catch (SessionExpiredException)
                {
                    started.TrySetException(e);
                    throw;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                started.TrySetException(e);
                throw;
            }
        }
    }
}

/// <summary>Writes a <see cref="DateTime"/> as UTC milliseconds since the Unix epoch (as Curator does).</summary>
internal sealed class UnixMillisecondsConverter : JsonConverter<DateTime>
{
    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTime.UnixEpoch.AddMilliseconds(reader.GetInt64());

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
        writer.WriteNumberValue((long)(value.ToUniversalTime() - DateTime.UnixEpoch).TotalMilliseconds);
}
