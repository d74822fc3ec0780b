using Coord.Chaos.History;
using Coord.Client;
using Coord.Protocol;

namespace Coord.Chaos.Recording;

public static partial class Workload
{
    /// <summary>
    /// On <paramref name="host"/> alone, after every workload session was closed: a final reader (<see cref="Role.Final"/>)
    /// syncs and reads every key, the counter, the resource, the queue's and the lock's children, and every ephemeral
    /// path a session asked for. On the first host, ephemerals still there (a session whose close was not acknowledged
    /// lives until it expires) are watched until deleted, for up to three session timeouts, and read again after a sync:
    /// the checker takes each path's last read.
    /// </summary>
    private static async Task FinalReadsAsync(string host, HistoryRecorder recorder, Layout layout, Shared shared, CoordClientOptions clientOptions,
        bool waitForExpiries)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60) + clientOptions.SessionTimeout * 3);
        var t = timeout.Token;
        var tap = new SessionTap(recorder);
        await using var client = await CoordClient.ConnectAsync(host, tap.Options(clientOptions), t).ConfigureAwait(false);
        var session = tap.Session = client.SessionId;
        recorder.AddRole(new RoleRecord { Role = Role.Final, Session = session });
        Task<HistoryOp> Do(HistoryOp op, Func<Task<OpReturn?>> call) => tap.Run(recorder.Invoke(op), call);

        // The ensemble was healthy when the workload stopped, but a member may still lose its leader for a moment (an
        // election right after the heal): a sync that times out or loses its connection is tried again (each try is
        // in the history, unknown), and only a member that cannot sync for ~25 s fails the run.
        async Task Sync(string path)
        {
            HistoryOp synced;
            int attempt = 0;
            do
            {
                if (attempt++ > 0) await Task.Delay(TimeSpan.FromMilliseconds(500), t).ConfigureAwait(false);
                synced = await Do(Op(session, OpKind.Sync, path), async () =>
                {
                    await client.SyncAsync(path, t).ConfigureAwait(false);
                    return null;
                }).ConfigureAwait(false);
            }
            while (synced.Outcome != Outcome.Ok && attempt < 5);
            if (synced.Outcome != Outcome.Ok) throw new InvalidOperationException($"final sync on {host} failed {attempt} times: {synced}");
        }

        Task<HistoryOp> Exists(string path, bool watch) => Do(Op(session, OpKind.Exists, path) with { Watch = watch }, async () =>
        {
            var s = await client.ExistsAsync(path, watch ? Ignore : null, t).ConfigureAwait(false);
            return new OpReturn { Stat = s is { } st ? StatView.From(st) : null };
        });

        async Task<List<string>> Children(string path)
        {
            await Sync(path).ConfigureAwait(false);
            var listed = await Do(Op(session, OpKind.GetChildren, path), async () =>
                new OpReturn { Children = [.. await client.GetChildrenAsync(path, ct: t).ConfigureAwait(false)] }).ConfigureAwait(false);
            return listed.Result?.Children?.Select(c => $"{path}/{c}").ToList() ?? [];
        }

        foreach (var key in layout.Keys.Append(layout.Counter).Append(layout.Resource))
        {
            await Sync(key).ConfigureAwait(false);
            await Do(Op(session, OpKind.GetData, key), async () => Data(await client.GetDataAsync(key, ct: t).ConfigureAwait(false))).ConfigureAwait(false);
        }

        await Children(layout.Queue).ConfigureAwait(false);
        var ephemerals = shared.Ephemerals();
        async Task<List<string>> Remaining()
        {
            var left = await Children(layout.Lock).ConfigureAwait(false);
            await Sync(layout.Ephemerals).ConfigureAwait(false);
            foreach (var path in ephemerals)
            {
                if ((await Exists(path, watch: false).ConfigureAwait(false)).Result?.Stat is not null) left.Add(path);
            }

            return left;
        }

        var remaining = await Remaining().ConfigureAwait(false);
        if (!waitForExpiries || remaining.Count == 0) return;
        var gone = new List<Task>();
        foreach (var path in remaining)
        {
            var deleted = tap.DeletedAsync(path);
            if ((await Exists(path, watch: true).ConfigureAwait(false)).Result?.Stat is not null) gone.Add(deleted);
        }

        try { await Task.WhenAll(gone).WaitAsync(clientOptions.SessionTimeout * 3, t).ConfigureAwait(false); }
        catch (TimeoutException) { } // still there: the reads below show it, and the checker calls it a leak
        await Sync(layout.Lock).ConfigureAwait(false);
        foreach (var path in remaining.Where(p => !ephemerals.Contains(p))) await Exists(path, watch: false).ConfigureAwait(false);
        await Remaining().ConfigureAwait(false);
    }
}
