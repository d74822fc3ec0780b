using System.Globalization;
using System.Text;
using Coord.Chaos.Checking;
using Coord.Chaos.History;
using Coord.Client;
using Coord.Protocol;

namespace Coord.Chaos.Recording;

public static partial class Workload
{
    /// <summary>
    /// One lock contender (ZooKeeper's lock recipe, written out op by op so every step is recorded): create an
    /// ephemeral-sequential child of the lock node; list the children; if its child is lowest it holds the lock, else it
    /// sets an exists watch on the next lower child and waits for that child's NodeDeleted (no herd). Holding, it writes
    /// the guarded resource twice, each time reading it and writing "token:tag" with the version read, only if its token
    /// (its child's sequence number) is at least the one there; then it deletes its child. Any op of unknown outcome
    /// ends the session (its child may or may not exist, and closing the session removes it): the slot starts a new one.
    /// </summary>
    private sealed class Locker(CoordClient client, SessionTap tap, HistoryRecorder recorder, Layout layout, WorkloadOptions options, Random random)
    {
        private readonly long session = tap.Session;
        private int writes;

        private Task<HistoryOp> Do(HistoryOp op, Func<Task<OpReturn?>> call) => tap.Run(recorder.Invoke(op), call);

        public async Task RunAsync(CancellationToken ct)
        {
            // A cycle is five ops or more (create, list, write twice, delete) plus the waits.
            for (var n = 0; n < Math.Max(1, options.OpsPerClient / 5) && !ct.IsCancellationRequested; n++)
            {
                if (!await CycleAsync(ct).ConfigureAwait(false)) return;
            }
        }

        /// <summary>One acquire, hold, release; false when the session should be given up.</summary>
        private async Task<bool> CycleAsync(CancellationToken ct)
        {
            var t = ct; // each op below gets its own timeout
            var prefix = layout.Lock + "/n-";
            var created = await Timed(t, tt => Do(Op(session, OpKind.Create, prefix) with { Data = "", Sequential = true, Ephemeral = true }, async () =>
            {
                var r = await client.CreateWithStatAsync(prefix, null, mode: CreateMode.EphemeralSequential, ct: tt).ConfigureAwait(false);
                return new OpReturn { Path = r.Path, Stat = r.Stat is { } st ? StatView.From(st) : null };
            })).ConfigureAwait(false);
            if (created.Outcome != Outcome.Ok || created.Result?.Path is not { } node || LockChecks.Seq(node) is not { } token) return false;
            var name = node[(layout.Lock.Length + 1)..];

            while (true)
            {
                if (ct.IsCancellationRequested) return await ReleaseAsync(node).ConfigureAwait(false);
                var listed = await Timed(t, tt => Do(Op(session, OpKind.GetChildren, layout.Lock), async () =>
                    new OpReturn { Children = [.. await client.GetChildrenAsync(layout.Lock, ct: tt).ConfigureAwait(false)] })).ConfigureAwait(false);
                if (listed.Outcome != Outcome.Ok) return false;
                var children = listed.Result!.Children!.Order(StringComparer.Ordinal).ToList();
                if (!children.Contains(name)) return false; // our child is gone: the session is (being) expired
                if (children[0] == name) break;
                var predecessor = $"{layout.Lock}/{children.Last(c => string.CompareOrdinal(c, name) < 0)}";
                var deleted = tap.DeletedAsync(predecessor);
                var exists = await Timed(t, tt => Do(Op(session, OpKind.Exists, predecessor) with { Watch = true }, async () =>
                {
                    var s = await client.ExistsAsync(predecessor, Ignore, tt).ConfigureAwait(false);
                    return new OpReturn { Stat = s is { } st ? StatView.From(st) : null };
                })).ConfigureAwait(false);
                if (exists.Outcome != Outcome.Ok) return false;
                if (exists.Result?.Stat is null) continue;
                // The predecessor's holder releases, or its session expires (within its timeout): then list again.
                try { await deleted.WaitAsync(options.SessionTimeout * 3, ct).ConfigureAwait(false); }
                catch (TimeoutException) { }
                catch (OperationCanceledException) { }
                if (Ended(client)) return false;
            }

            // Holding: write the resource under the fencing token.
            for (var k = 0; k < 2; k++)
            {
                var read = await Timed(t, tt => Do(Op(session, OpKind.GetData, layout.Resource),
                    async () => Data(await client.GetDataAsync(layout.Resource, ct: tt).ConfigureAwait(false)))).ConfigureAwait(false);
                if (read.Outcome != Outcome.Ok) return read.Outcome == Outcome.Error && await ReleaseAsync(node).ConfigureAwait(false);
                if (LockChecks.Token(read.Result!.Data) is not { } current || token < current) break; // fenced: a later holder wrote
                var data = string.Create(CultureInfo.InvariantCulture, $"{token}:{session:x}-{++writes}");
                var version = read.Result.Stat!.Version!.Value;
                var write = await Timed(t, tt => Do(Op(session, OpKind.SetData, layout.Resource) with { Data = data, Version = version }, async () =>
                    new OpReturn { Stat = StatView.From(await client.SetDataAsync(layout.Resource, Encoding.UTF8.GetBytes(data), version, tt).ConfigureAwait(false)) }))
                    .ConfigureAwait(false);
                if (write.Outcome == Outcome.Unknown) return false;
                if (options.ThinkTime > TimeSpan.Zero)
                {
                    try { await Task.Delay(options.ThinkTime * (1 + random.Next(3)), ct).ConfigureAwait(false); }
                    catch (OperationCanceledException) { break; }
                }
            }

            return await ReleaseAsync(node).ConfigureAwait(false);
        }

        private async Task<bool> ReleaseAsync(string node)
        {
            using var timeout = new CancellationTokenSource(options.OpTimeout);
            var released = await Do(Op(session, OpKind.Delete, node), async () =>
            {
                await client.DeleteAsync(node, ct: timeout.Token).ConfigureAwait(false);
                return null;
            }).ConfigureAwait(false);
            return released.Outcome == Outcome.Ok;
        }

        private async Task<HistoryOp> Timed(CancellationToken ct, Func<CancellationToken, Task<HistoryOp>> op)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.OpTimeout);
            return await op(timeout.Token).ConfigureAwait(false);
        }
    }
}
