namespace Coord.Interop.Specs.Harness;

/// <summary>
/// One running server process (Apache ZooKeeper or Coord) owned by a test. Disposing it stops the
/// process (SIGTERM, then SIGKILL after 5 s) and deletes its temp folder.
/// </summary>
public interface IServerProcess : IAsyncDisposable
{
    /// <summary>"coord" or "zookeeper".</summary>
    string Kind { get; }

    /// <summary>"127.0.0.1:PORT", ready for any ZooKeeper client.</summary>
    string ConnectString { get; }

    string Host { get; }
    int Port { get; }
    int Pid { get; }
    string DataDir { get; }

    /// <summary>Sends a four-letter word (ruok, srvr, mntr, ...) and returns the whole answer.</summary>
    Task<string> FourLetterWordAsync(string word, TimeSpan? timeout = null);

    /// <summary>kill -9, without any cleanup by the server (for durability tests).</summary>
    Task KillAsync();
}

/// <param name="TickMs">Session expiry granularity; min/max session timeout default to 2x / 20x this.</param>
/// <param name="ExtendedTypes">Enables TTL nodes (zookeeper.extendedTypesEnabled).</param>
/// <param name="SuperDigest">"super:base64(sha1)" — e.g. "super:D/InIHSb7yEEbrWz8b9l71RjZJU=" for password "test".</param>
/// <param name="MaxSessionTimeoutMs">Overrides the 20 x tick default.</param>
/// <param name="ConnectionsPerIpMax">maxClientCnxns / coord.client.connections-per-ip-max (0 = unlimited).</param>
/// <param name="ExistsRequiresRead">Coord only: false = exists without a READ check, as ZooKeeper before 3.8.4
/// (Debian ships 3.8.0), for side-by-side comparisons.</param>
/// <param name="DataDir">Coord only: an existing data folder to serve from instead of a fresh one; it is not deleted
/// when the server is disposed, so a spec can restart coord on it (durability).</param>
/// <param name="ExtraHocon">Coord only: extra lines inside <c>coord { }</c>, e.g. "snapshot.every-txns = 500".</param>
/// <param name="ContainerCheckIntervalMs">How often empty containers and expired TTL nodes are reaped
/// (znode.container.checkIntervalMs / coord.znode.container-check-interval-ms); null = the default, 60 s.</param>
public sealed record ServerOptions(
    int TickMs = 2000,
    bool ExtendedTypes = true,
    string? SuperDigest = null,
    int? MaxSessionTimeoutMs = null,
    bool ExistsRequiresRead = true,
    int? ConnectionsPerIpMax = null,
    string? DataDir = null,
    IReadOnlyList<string>? ExtraHocon = null,
    int? ContainerCheckIntervalMs = null);
