using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Coord.Protocol;

namespace Coord.Client.Recipes;

/// <summary>One child of a watched parent: its name, data and Stat at the time of the snapshot.</summary>
internal sealed record ChildNode(string Name, byte[] Data, Stat Stat);

/// <summary>
/// Snapshots of a parent's children with their data, kept current with one-shot watches: one child watch on the
/// parent and one data watch per child, each armed once and re-armed only after it fired, so a long watch does not
/// pile up callbacks. Used by <see cref="GroupMembership"/> and <see cref="ServiceProvider{T}"/>.
/// </summary>
internal static class ChildrenWatch
{
    /// <summary>Yields the current snapshot (children sorted by name), then a new one after each change that alters
    /// it. Throws <see cref="SessionExpiredException"/> when the session expires; ends when the client is closed.
    /// Watches still armed when the enumeration stops fire later into nothing (one per child at most).</summary>
    public static async IAsyncEnumerable<IReadOnlyList<ChildNode>> WatchAsync(CoordClient client, string parent,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var fired = Channel.CreateUnbounded<WatchedEvent>();
        var gate = new Lock();
        var armedData = new HashSet<string>(StringComparer.Ordinal);
        bool childrenArmed = false;
        void OnChildren(WatchedEvent e)
        {
            lock (gate) childrenArmed = false;
            fired.Writer.TryWrite(e);
        }
        Action<WatchedEvent> OnData(string name) => e =>
        {
            lock (gate) armedData.Remove(name);
            fired.Writer.TryWrite(e);
        };

        IReadOnlyList<ChildNode>? last = null;
        while (true)
        {
            bool arm;
            lock (gate)
            {
                arm = !childrenArmed;
                childrenArmed = true;
            }
            IReadOnlyList<string> names;
            try
            {
                names = await client.GetChildrenAsync(parent, arm ? OnChildren : null, ct).ConfigureAwait(false);
            }
            catch (NoNodeException)
            {
                lock (gate) childrenArmed = false; // no watch is left on a missing node
                await RecipeNodes.EnsurePathAsync(client, parent, ct).ConfigureAwait(false);
                continue;
            }
            catch
            {
                if (arm) lock (gate) childrenArmed = false;
                throw;
            }

            var nodes = new List<ChildNode>(names.Count);
            foreach (var name in names.Order(StringComparer.Ordinal))
            {
                bool armThis;
                lock (gate) armThis = armedData.Add(name);
                try
                {
                    var data = await client.GetDataAsync($"{parent}/{name}", armThis ? OnData(name) : null, ct).ConfigureAwait(false);
                    nodes.Add(new ChildNode(name, data.Data, data.Stat));
                }
                catch (NoNodeException)
                {
                    lock (gate) armedData.Remove(name); // gone since the listing; the child watch reports it
                }
            }
            if (last is null || !Same(last, nodes))
            {
                last = nodes;
                yield return nodes;
            }

            // Wait for a change, then take every event that is already queued before listing again.
            var e = await fired.Reader.ReadAsync(ct).ConfigureAwait(false);
            do
            {
                if (e.State == KeeperState.Expired) throw new SessionExpiredException();
                if (e.State == KeeperState.Closed) yield break;
            }
            while (fired.Reader.TryRead(out e));
        }
    }

    private static bool Same(IReadOnlyList<ChildNode> a, IReadOnlyList<ChildNode> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i].Name != b[i].Name || a[i].Stat.Czxid != b[i].Stat.Czxid || a[i].Stat.Mzxid != b[i].Stat.Mzxid) return false;
        }
        return true;
    }
}
