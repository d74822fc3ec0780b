using System.Collections.Concurrent;
using Coord.Actors.Sessions;
using Coord.Host.Connections;

namespace Coord.Host.Admin;

/// <summary>Live client connections (cons, stat, the per-IP limit; the core finds them by id). Thread-safe.</summary>
public sealed class ConnectionRegistry : IConnectionDirectory
{
    private readonly ConcurrentDictionary<long, ClientConnection> _all = new();
    private readonly ConcurrentDictionary<string, int> _perIp = new();

    public int Count => _all.Count;

    public IClientConnection? Find(long connectionId) => _all.GetValueOrDefault(connectionId);

    public IEnumerable<ClientConnection> All() => _all.Values.OrderBy(c => c.Id);

    /// <summary>Adds a connection unless its IP already has <paramref name="perIpMax"/> (0 = no limit).</summary>
    public bool TryAdd(ClientConnection connection, int perIpMax)
    {
        int n = _perIp.AddOrUpdate(connection.RemoteIp, 1, (_, c) => c + 1);
        if (perIpMax > 0 && n > perIpMax)
        {
            _perIp.AddOrUpdate(connection.RemoteIp, 0, (_, c) => c - 1);
            return false;
        }
        _all[connection.Id] = connection;
        return true;
    }

    public void Remove(ClientConnection connection)
    {
        if (_all.TryRemove(connection.Id, out _)) _perIp.AddOrUpdate(connection.RemoteIp, 0, (_, c) => c - 1);
    }

    public void ResetStats()
    {
        foreach (var c in _all.Values) c.ResetStats();
    }
}
