using System.Diagnostics;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Bench;

/// <summary>Node layout and pre-created nodes shared by the drivers, plus small timing helpers.</summary>
public static class Setup
{
    /// <summary>Keys for the large-value workloads: enough to spread over, few enough to stay small.</summary>
    public static int KeysFor(Workload w, BenchOptions o) => w switch
    {
        Workload.Large64k => Math.Min(o.Keys, 64),
        Workload.Large1m => Math.Min(o.Keys, 8),
        _ => o.Keys,
    };

    /// <summary>
    /// The C×K a workload really runs at: large values cap K so in-flight bytes stay bounded
    /// (64 KiB: K ≤ 16; 1 MiB: K ≤ 2), churn keeps one connect in flight per client, watch is N watchers
    /// with one watch each, watches1m is its sessions with K registrations in flight.
    /// </summary>
    public static Shape EffectiveShape(Workload w, Shape s, BenchOptions o) => w switch
    {
        Workload.Watch => new Shape(o.Watchers, 1),
        Workload.Watches1m => s with { Clients = Math.Min(o.WatchSessions, o.Watches) },
        Workload.Large64k => s with { Outstanding = Math.Min(s.Outstanding, 16) },
        Workload.Large1m => s with { Outstanding = Math.Min(s.Outstanding, 2) },
        Workload.Churn => s with { Outstanding = 1 },
        _ => s,
    };

    /// <summary>Layout and value for a basic or large workload; nodes created and one read back.</summary>
    public static async Task<(NodeLayout Layout, byte[] Value)> PrepareAsync(Target target, Workload workload, int clients,
        BenchOptions o, CancellationToken ct)
    {
        // Large workloads get their own subtree so their keys never hold a 100 B value from another run.
        string label = workload.LargeValueBytes() is null ? target.Label : $"{target.Label}-{workload.Name()}";
        var layout = new NodeLayout(label, KeysFor(workload, o));
        var value = Value(workload.LargeValueBytes() ?? o.ValueBytes);
        await CreateNodesAsync(target, layout, workload, value, clients, ct);
        return (layout, value);
    }

    /// <summary>
    /// Creates the run's parents (and, for keyed workloads, the keys with the value) over one pipelined
    /// connection. NodeExists is fine: a later round reuses what an earlier one made.
    /// </summary>
    private static async Task CreateNodesAsync(Target target, NodeLayout layout, Workload workload, byte[] value, int clients,
        CancellationToken ct)
    {
        var requests = new List<(OpCode, IJuteWritable)>();
        void Create(string path, byte[]? data) =>
            requests.Add((OpCode.Create, new CreateRequest(path, data, Acl.OpenAclUnsafe, 0)));

        Create(layout.Root, null);
        if (workload == Workload.Create)
        {
            for (int i = 0; i < clients; i++) Create(layout.ClientRoot(i), null);
        }
        else
        {
            Create(layout.DataRoot, null);
            for (int k = 0; k < layout.Keys; k++) Create(layout.Key(k), value);
        }

        await using var conn = await BenchConnection.ConnectAsync(target.EndPoint, ct);
        // Large values: a few at a time, so the setup burst stays under the servers' per-connection limits.
        int batch = value.Length > 16 * 1024 ? 4 : requests.Count;
        for (int from = 0; from < requests.Count; from += batch)
        {
            var codes = await conn.PipelineAsync(requests.GetRange(from, Math.Min(batch, requests.Count - from)), ct);
            var bad = codes.Where(c => c is not (ErrorCode.Ok or ErrorCode.NodeExists)).Distinct().ToList();
            if (bad.Count > 0)
                throw new InvalidOperationException($"setting up {layout.Root} on {target.Label} failed: {string.Join(", ", bad)}");
        }
        if (workload != Workload.Create)
        {
            // A server that answers without doing the work would look fast; check one key round-trips
            // (sets write the same bytes, so this holds on later rounds too).
            var stored = await conn.GetDataAsync(layout.Key(0), ct);
            if (stored is null || !stored.AsSpan().SequenceEqual(value))
                throw new InvalidOperationException(
                    $"{target.Label}: {layout.Key(0)} holds {stored?.Length ?? -1} bytes, not the {value.Length} written");
        }
        await conn.CloseSessionAsync(ct);

        // An ensemble: the drivers' sessions land on every member, and a follower reads what it has applied. A sync
        // through each other member (then the same read-back) makes sure the nodes are there before the load starts.
        foreach (var member in target.EndPoints.Skip(1))
        {
            await using var other = await BenchConnection.ConnectAsync(member, ct);
            var synced = await other.PipelineAsync([(OpCode.Sync, new PathRequest(layout.Root))], ct);
            if (synced[0] != ErrorCode.Ok)
                throw new InvalidOperationException($"sync {layout.Root} through {member} on {target.Label} failed: {synced[0]}");
            if (workload != Workload.Create)
            {
                var stored = await other.GetDataAsync(layout.Key(layout.Keys - 1), ct);
                if (stored is null || !stored.AsSpan().SequenceEqual(value))
                    throw new InvalidOperationException(
                        $"{target.Label}: {layout.Key(layout.Keys - 1)} read through {member} after a sync holds {stored?.Length ?? -1} bytes, not the {value.Length} written");
            }
            await other.CloseSessionAsync(ct);
        }
    }

    /// <summary>
    /// The bytes every driver writes: a fixed pattern java/BenchLoad.java reproduces, so the read-back
    /// check holds whichever driver wrote last.
    /// </summary>
    public static byte[] Value(int length)
    {
        var value = new byte[length];
        for (int i = 0; i < length; i++) value[i] = (byte)(i * 31 + 7);
        return value;
    }

    public static async Task DelayUntil(long ticks, CancellationToken ct)
    {
        long remaining = ticks - Stopwatch.GetTimestamp();
        if (remaining > 0) await Task.Delay(TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency), ct);
    }

    public static double SecondsSince(long startTicks) => (double)(Stopwatch.GetTimestamp() - startTicks) / Stopwatch.Frequency;

    public static double SecondsBetween(long startTicks, long endTicks) => (double)(endTicks - startTicks) / Stopwatch.Frequency;
}
