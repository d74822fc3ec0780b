using System.Globalization;
using System.Text;
using Coord.Chaos.History;
using Coord.Client;
using Coord.Protocol;

namespace Coord.Chaos.Recording;

public static partial class Workload
{
    /// <summary>
    /// One mixed session: registers, queue, sync-then-read, multis, counter increments, ephemerals, every read with a
    /// watch. Runs until its ops are done, the workload stops (then it re-reads what it still watches) or the session
    /// ends.
    /// </summary>
    private sealed class Mixed(CoordClient client, SessionTap tap, HistoryRecorder recorder, Layout layout, Shared shared, WorkloadOptions options,
        Random random, int index)
    {
        private readonly long session = tap.Session;
        private readonly Dictionary<string, int> seen = [];
        private int written;
        private int ephemerals;

        private Task<HistoryOp> Do(HistoryOp op, Func<Task<OpReturn?>> call) => tap.Run(recorder.Invoke(op), call);

        public async Task RunAsync(CancellationToken ct)
        {
            var keys = layout.Keys;
            string? syncedKey = null;
            for (var n = 0; n < options.OpsPerClient && !ct.IsCancellationRequested; n++)
            {
                var key = syncedKey ?? keys[random.Next(keys.Length)];
                var roll = syncedKey is null ? random.Next(100) : 0;
                syncedKey = null;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(options.OpTimeout);
                var t = timeout.Token;
                HistoryOp done;
                if (roll < 20)
                {
                    done = await Do(Op(session, OpKind.GetData, key) with { Watch = true },
                        async () => Data(await client.GetDataAsync(key, Ignore, t).ConfigureAwait(false))).ConfigureAwait(false);
                }
                else if (roll < 24)
                {
                    done = await Do(Op(session, OpKind.Exists, key) with { Watch = true }, async () =>
                    {
                        var s = await client.ExistsAsync(key, Ignore, t).ConfigureAwait(false);
                        return new OpReturn { Stat = s is { } st ? StatView.From(st) : null };
                    }).ConfigureAwait(false);
                }
                else if (roll < 44)
                {
                    var version = random.Next(10) == 0 || !seen.TryGetValue(key, out var v) ? -1 : v;
                    var data = $"c{index}-{++written}";
                    done = await Do(Op(session, OpKind.SetData, key) with { Data = data, Version = version }, async () =>
                        new OpReturn { Stat = StatView.From(await client.SetDataAsync(key, Encoding.UTF8.GetBytes(data), version, t).ConfigureAwait(false)) })
                        .ConfigureAwait(false);
                }
                else if (roll < 54)
                {
                    var data = $"c{index}-{++written}";
                    var prefix = layout.Queue + "/item-";
                    done = await Do(Op(session, OpKind.Create, prefix) with { Data = data, Sequential = true }, async () =>
                    {
                        var r = await client.CreateWithStatAsync(prefix, Encoding.UTF8.GetBytes(data), mode: CreateMode.PersistentSequential, ct: t)
                            .ConfigureAwait(false);
                        return new OpReturn { Path = r.Path, Stat = r.Stat is { } st ? StatView.From(st) : null };
                    }).ConfigureAwait(false);
                }
                else if (roll < 62)
                {
                    done = await Sync(key, t).ConfigureAwait(false);
                    if (done.Outcome == Outcome.Ok) syncedKey = key; // the next op reads it
                }
                else if (roll < 66)
                {
                    done = await MultiAsync(t).ConfigureAwait(false);
                }
                else if (roll < 72)
                {
                    done = await Do(Op(session, OpKind.GetChildren, layout.Queue) with { Watch = true }, async () =>
                        new OpReturn { Children = [.. await client.GetChildrenAsync(layout.Queue, Ignore, t).ConfigureAwait(false)] }).ConfigureAwait(false);
                }
                else if (roll < 82)
                {
                    done = await IncrementAsync(t).ConfigureAwait(false);
                }
                else if (roll < 87)
                {
                    var path = $"{layout.Ephemerals}/e-{session:x}-{++ephemerals}";
                    shared.AddEphemeral(path);
                    done = await Do(Op(session, OpKind.Create, path) with { Data = "", Ephemeral = true }, async () =>
                    {
                        var r = await client.CreateWithStatAsync(path, null, mode: CreateMode.Ephemeral, ct: t).ConfigureAwait(false);
                        return new OpReturn { Path = r.Path, Stat = r.Stat is { } st ? StatView.From(st) : null };
                    }).ConfigureAwait(false);
                }
                else
                {
                    // Somebody's ephemeral, after a sync: while its owner lives it must be there.
                    done = shared.PickEphemeral(random) is { } path ? await SyncedExistsAsync(path, watch: true, t).ConfigureAwait(false)
                        : await Sync(key, t).ConfigureAwait(false);
                }

                if (done.Outcome == Outcome.Ok && done.Kind is OpKind.GetData or OpKind.Exists or OpKind.SetData && done.Path != layout.Counter &&
                    done.Result?.Stat?.Version is { } sv)
                    seen[done.Path!] = sv;
                if (done.Outcome == Outcome.Unknown && Ended(client)) return;
                if (options.ThinkTime > TimeSpan.Zero)
                {
                    try { await Task.Delay(options.ThinkTime, ct).ConfigureAwait(false); }
                    catch (OperationCanceledException) { break; }
                }
            }

            await ClosingReadsAsync().ConfigureAwait(false);
        }

        private Task<HistoryOp> Sync(string path, CancellationToken t) =>
            Do(Op(session, OpKind.Sync, path), async () =>
            {
                await client.SyncAsync(path, t).ConfigureAwait(false);
                return null;
            });

        private async Task<HistoryOp> SyncedExistsAsync(string path, bool watch, CancellationToken t)
        {
            var synced = await Sync(path, t).ConfigureAwait(false);
            if (synced.Outcome != Outcome.Ok) return synced;
            return await Do(Op(session, OpKind.Exists, path) with { Watch = watch }, async () =>
            {
                var s = await client.ExistsAsync(path, watch ? Ignore : null, t).ConfigureAwait(false);
                return new OpReturn { Stat = s is { } st ? StatView.From(st) : null };
            }).ConfigureAwait(false);
        }

        /// <summary>Only k0 and k1 meet in multis: the others stay partitions of their own, which keeps the search small.</summary>
        private Task<HistoryOp> MultiAsync(CancellationToken t)
        {
            var keys = layout.Keys;
            var key = keys[random.Next(Math.Min(2, keys.Length))];
            var other = keys.Length > 1 && key == keys[0] ? keys[1] : keys[0];
            var checkVersion = seen.GetValueOrDefault(key, 0);
            var data = $"c{index}-{++written}";
            return Do(Op(session, OpKind.Multi, null) with
            {
                Ops =
                [
                    new SubOp { Kind = OpKind.Check, Path = key, Version = checkVersion },
                    new SubOp { Kind = OpKind.SetData, Path = other, Data = data },
                ],
            }, async () =>
            {
                var results = await client.Transaction().Check(key, checkVersion).SetData(other, Encoding.UTF8.GetBytes(data)).CommitAsync(t)
                    .ConfigureAwait(false);
                return new OpReturn { Results = [.. results.Select(Return)] };
            });
        }

        /// <summary>getData of the counter, then setData of value+1 with the version read (the counter's two ops).</summary>
        private async Task<HistoryOp> IncrementAsync(CancellationToken t)
        {
            var counter = layout.Counter;
            var read = await Do(Op(session, OpKind.GetData, counter) with { Watch = true },
                async () => Data(await client.GetDataAsync(counter, Ignore, t).ConfigureAwait(false))).ConfigureAwait(false);
            if (read.Outcome != Outcome.Ok || !long.TryParse(read.Result?.Data, CultureInfo.InvariantCulture, out var value)) return read;
            var version = read.Result!.Stat!.Version!.Value;
            var next = (value + 1).ToString(CultureInfo.InvariantCulture);
            return await Do(Op(session, OpKind.SetData, counter) with { Data = next, Version = version }, async () =>
                new OpReturn { Stat = StatView.From(await client.SetDataAsync(counter, Encoding.UTF8.GetBytes(next), version, t).ConfigureAwait(false)) })
                .ConfigureAwait(false);
        }

        /// <summary>
        /// The workload stopped: sync and re-read every path this session may still watch. A change made after the watch
        /// was set either fired its event before this read's reply, or the read shows newer data with the watch unfired
        /// (watch-before-data: a lost event). Watches survive reconnects (setWatches), so this holds for any session
        /// still alive here.
        /// </summary>
        private async Task ClosingReadsAsync()
        {
            if (Ended(client)) return;
            using var timeout = new CancellationTokenSource(options.OpTimeout);
            var t = timeout.Token;
            foreach (var (path, children) in tap.Armed())
            {
                if (Ended(client) || t.IsCancellationRequested) return;
                var synced = await Sync(path, t).ConfigureAwait(false);
                if (synced.Outcome != Outcome.Ok) continue;
                if (children)
                {
                    await Do(Op(session, OpKind.GetChildren, path), async () =>
                        new OpReturn { Children = [.. await client.GetChildrenAsync(path, ct: t).ConfigureAwait(false)] }).ConfigureAwait(false);
                }
                else
                {
                    await Do(Op(session, OpKind.Exists, path), async () =>
                    {
                        var s = await client.ExistsAsync(path, ct: t).ConfigureAwait(false);
                        return new OpReturn { Stat = s is { } st ? StatView.From(st) : null };
                    }).ConfigureAwait(false);
                }
            }
        }
    }
}
