using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Tree;

public sealed partial class DataTree
{
    private OpResult ApplyCreateSession(CreateSessionTxn s)
    {
        if (!EphemeralOwners.IsSession(s.SessionId)) throw Broken($"session id 0x{s.SessionId:x} collides with a node marker");
        if (!_sessions.TryAdd(s.SessionId, new SessionRecord(s.SessionId, s.TimeoutMs, s.Password)))
            throw Broken($"session 0x{s.SessionId:x} created twice");
        return new OpResult(OpCode.CreateSession, ErrorCode.Ok, null, default);
    }

    /// <summary>
    /// Deletes exactly the listed ephemerals under the close's zxid, then forgets the session. The list must be
    /// everything the session owns: a leftover ephemeral would outlive its session (invariant 5).
    /// </summary>
    private OpResult ApplyCloseSession(CloseSessionTxn c, long zxid, List<WatchTrigger> triggers)
    {
        if (!_sessions.ContainsKey(c.SessionId)) throw Broken($"close of unknown session 0x{c.SessionId:x}");
        foreach (var path in c.PathsToDelete)
        {
            var node = Find(path) ?? throw Broken($"close of 0x{c.SessionId:x} lists missing node {path}");
            if (node.EphemeralOwnerRaw != c.SessionId) throw Broken($"close of 0x{c.SessionId:x} lists {path} it does not own");
            ApplyDelete(path, zxid, triggers);
        }
        if (_ephemerals.TryGetValue(c.SessionId, out var left) && left.Count > 0)
            throw Broken($"close of 0x{c.SessionId:x} leaves ephemerals {string.Join(",", left)}");
        _sessions.Remove(c.SessionId);
        _ephemeralsHighWater.Remove(c.SessionId);
        return new OpResult(OpCode.CloseSession, ErrorCode.Ok, null, default);
    }

    private void AddEphemeral(long owner, string path)
    {
        if (!_ephemerals.TryGetValue(owner, out var set))
            _ephemerals[owner] = set = new SortedSet<string>(StringComparer.Ordinal);
        set.Add(path);
        EphemeralCount++;
        if (set.Count > _ephemeralsHighWater.GetValueOrDefault(owner)) _ephemeralsHighWater[owner] = set.Count;
    }

    private void RemoveEphemeral(long owner, string path)
    {
        if (_ephemerals.TryGetValue(owner, out var set) && set.Remove(path))
        {
            EphemeralCount--;
            if (set.Count == 0) _ephemerals.Remove(owner);
        }
    }
}
