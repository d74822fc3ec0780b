using System.Text;
using Coord.Chaos.History;
using Coord.Client;
using Coord.Protocol;

namespace Coord.Chaos.Recording;

/// <param name="Clients">Sessions running at once, each one op at a time.</param>
/// <param name="Keys">Registers (znodes) the clients share.</param>
/// <param name="OpsPerClient">Ops each client issues.</param>
/// <param name="Seed">Chooses each client's ops.</param>
public sealed record WorkloadOptions(int Clients = 8, int Keys = 4, int OpsPerClient = 300, int Seed = 1)
{
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After the clients stop: for each of these hosts (a member's host:port), a session on it alone syncs and reads
    /// every key and the queue's children, recorded in the same history — so a write acknowledged during the run
    /// and missing on any member after the faults healed is a violation.
    /// </summary>
    public IReadOnlyList<string> FinalReadHosts { get; init; } = [];

    /// <summary>A client whose session expired or closed connects again with a new session and goes on (chaos runs).</summary>
    public bool Reconnect { get; init; }

    /// <summary>A pause between a client's ops (chaos runs: keeps a run's history to a size the checker decides quickly).</summary>
    public TimeSpan ThinkTime { get; init; }

    /// <summary>How long one op may take before the client gives up on it (outcome unknown).</summary>
    public TimeSpan OpTimeout { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// Versioned registers and a sequential queue, recorded as a history: <see cref="WorkloadOptions.Clients"/> sessions
/// each issue getData, exists, setData with the version they last saw (sometimes any), create-sequential under a
/// queue node, sync followed by a read, a multi (check k0 or k1, set the other) and now and then getChildren of the
/// queue, all under a fresh root. The client's own retries are off: a retried versioned write that had applied
/// would come back as BADVERSION and the history would lie. Connection loss, timeouts and expiry are recorded as
/// unknown outcomes. Watches are not recorded here: the client runs watch callbacks on its own dispatcher, so their
/// order relative to replies is not what the connection delivered.
/// </summary>
public static class RegisterWorkload
{
    public static async Task<OpHistory> RunAsync(string connectString, WorkloadOptions options, CancellationToken ct = default)
    {
        var clientOptions = new CoordClientOptions { SessionTimeout = options.SessionTimeout, RetryPolicy = RetryPolicy.None };
        var recorder = new HistoryRecorder();
        var root = $"/chaos-{Guid.NewGuid():N}";
        var keys = Enumerable.Range(0, options.Keys).Select(i => $"{root}/k{i}").ToArray();
        var queue = $"{root}/q";
        await using (var setup = await CoordClient.ConnectAsync(connectString, clientOptions, ct).ConfigureAwait(false))
        {
            var rootStat = (await setup.CreateWithStatAsync(root, null, ct: ct).ConfigureAwait(false)).Stat;
            foreach (var path in keys.Append(queue))
            {
                var created = await setup.CreateWithStatAsync(path, null, ct: ct).ConfigureAwait(false);
                recorder.AddInit(new InitNode { Path = path, Czxid = created.Stat?.Czxid, Mzxid = created.Stat?.Mzxid });
            }

            recorder.AddInit(new InitNode
            {
                Path = root, Czxid = rootStat?.Czxid, ChildCreates = keys.Length + 1, Children = [.. keys.Append(queue).Select(p => p[(root.Length + 1)..])],
            });
        }

        var clients = new List<CoordClient>();
        try
        {
            for (var i = 0; i < options.Clients; i++) clients.Add(await CoordClient.ConnectAsync(connectString, clientOptions, ct).ConfigureAwait(false));
            await Task.WhenAll(clients.Select((c, i) => Task.Run(async () =>
            {
                var client = c;
                while (true)
                {
                    await RunClientAsync(client, i, recorder, keys, queue, options, ct).ConfigureAwait(false);
                    if (!options.Reconnect || ct.IsCancellationRequested) return;
                    // The session is gone (expired while a member was frozen or cut off): a new one carries on.
                    await client.DisposeAsync().ConfigureAwait(false);
                    try
                    {
                        client = await CoordClient.ConnectAsync(connectString, clientOptions, ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) { return; }
                    lock (clients) clients[i] = client;
                }
            }, CancellationToken.None))).ConfigureAwait(false);
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var host in options.FinalReadHosts) await FinalReadsAsync(host, recorder, keys, queue, clientOptions).ConfigureAwait(false);
        return recorder.Snapshot();
    }

    /// <summary>On <paramref name="host"/> alone: sync, then every key's data and the queue's children, recorded.</summary>
    private static async Task FinalReadsAsync(string host, HistoryRecorder recorder, string[] keys, string queue, CoordClientOptions clientOptions)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var client = await CoordClient.ConnectAsync(host, clientOptions, timeout.Token).ConfigureAwait(false);
        var session = client.SessionId;
        foreach (var key in keys)
        {
            var synced = await Run(recorder.Invoke(Op(session, OpKind.Sync, key)), async () =>
            {
                await client.SyncAsync(key, timeout.Token).ConfigureAwait(false);
                return null;
            }).ConfigureAwait(false);
            if (synced.Outcome != Outcome.Ok) throw new InvalidOperationException($"final sync on {host} failed: {synced}");
            await Run(recorder.Invoke(Op(session, OpKind.GetData, key)), async () =>
            {
                var r = await client.GetDataAsync(key, ct: timeout.Token).ConfigureAwait(false);
                return new OpReturn { Data = Encoding.UTF8.GetString(r.Data), Stat = StatView.From(r.Stat) };
            }).ConfigureAwait(false);
        }
        await Run(recorder.Invoke(Op(session, OpKind.Sync, queue)), async () =>
        {
            await client.SyncAsync(queue, timeout.Token).ConfigureAwait(false);
            return null;
        }).ConfigureAwait(false);
        await Run(recorder.Invoke(Op(session, OpKind.GetChildren, queue)), async () =>
        {
            var names = await client.GetChildrenAsync(queue, ct: timeout.Token).ConfigureAwait(false);
            return new OpReturn { Children = [.. names] };
        }).ConfigureAwait(false);
    }

    private static async Task RunClientAsync(CoordClient client, int index, HistoryRecorder recorder, string[] keys, string queue,
        WorkloadOptions options, CancellationToken ct)
    {
        var random = new Random(HashCode.Combine(options.Seed, index));
        var session = client.SessionId;
        var seen = new Dictionary<string, int>();
        var written = 0;
        var syncedKey = (string?)null;
        for (var n = 0; n < options.OpsPerClient && !ct.IsCancellationRequested; n++)
        {
            var key = syncedKey ?? keys[random.Next(keys.Length)];
            var roll = syncedKey is null ? random.Next(100) : 0;
            syncedKey = null;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.OpTimeout);
            var t = timeout.Token;
            HistoryOp done;
            if (roll < 33)
            {
                var p = recorder.Invoke(Op(session, OpKind.GetData, key));
                done = await Run(p, async () =>
                {
                    var r = await client.GetDataAsync(key, ct: t).ConfigureAwait(false);
                    return new OpReturn { Data = Encoding.UTF8.GetString(r.Data), Stat = StatView.From(r.Stat) };
                }).ConfigureAwait(false);
            }
            else if (roll < 38)
            {
                var p = recorder.Invoke(Op(session, OpKind.Exists, key));
                done = await Run(p, async () =>
                {
                    var s = await client.ExistsAsync(key, ct: t).ConfigureAwait(false);
                    return new OpReturn { Stat = s is { } st ? StatView.From(st) : null };
                }).ConfigureAwait(false);
            }
            else if (roll < 68)
            {
                var version = random.Next(10) == 0 || !seen.TryGetValue(key, out var v) ? -1 : v;
                var data = $"c{index}-{++written}";
                var p = recorder.Invoke(Op(session, OpKind.SetData, key) with { Data = data, Version = version });
                done = await Run(p, async () =>
                {
                    var s = await client.SetDataAsync(key, Encoding.UTF8.GetBytes(data), version, t).ConfigureAwait(false);
                    return new OpReturn { Stat = StatView.From(s) };
                }).ConfigureAwait(false);
            }
            else if (roll < 83)
            {
                var data = $"c{index}-{++written}";
                var p = recorder.Invoke(Op(session, OpKind.Create, queue + "/item-") with { Data = data, Sequential = true });
                done = await Run(p, async () =>
                {
                    var r = await client.CreateWithStatAsync(queue + "/item-", Encoding.UTF8.GetBytes(data), mode: CreateMode.PersistentSequential, ct: t)
                        .ConfigureAwait(false);
                    return new OpReturn { Path = r.Path, Stat = r.Stat is { } st ? StatView.From(st) : null };
                }).ConfigureAwait(false);
            }
            else if (roll < 93)
            {
                var p = recorder.Invoke(Op(session, OpKind.Sync, key));
                done = await Run(p, async () =>
                {
                    await client.SyncAsync(key, t).ConfigureAwait(false);
                    return null;
                }).ConfigureAwait(false);
                if (done.Outcome == Outcome.Ok) syncedKey = key;
            }
            else if (roll < 98)
            {
                // Only k0 and k1 meet in multis: the others stay partitions of their own, which keeps the search small.
                key = keys[random.Next(Math.Min(2, keys.Length))];
                var other = keys.Length > 1 && key == keys[0] ? keys[1] : keys[0];
                var checkVersion = seen.GetValueOrDefault(key, 0);
                var data = $"c{index}-{++written}";
                var p = recorder.Invoke(Op(session, OpKind.Multi, null) with
                {
                    Ops =
                    [
                        new SubOp { Kind = OpKind.Check, Path = key, Version = checkVersion },
                        new SubOp { Kind = OpKind.SetData, Path = other, Data = data },
                    ],
                });
                done = await Run(p, async () =>
                {
                    var results = await client.Transaction().Check(key, checkVersion).SetData(other, Encoding.UTF8.GetBytes(data)).CommitAsync(t)
                        .ConfigureAwait(false);
                    return new OpReturn { Results = [.. results.Select(Return)] };
                }).ConfigureAwait(false);
                if (done.Outcome == Outcome.Ok && done.Result?.Results?[1].Stat?.Version is { } mv) seen[other] = mv;
            }
            else
            {
                var p = recorder.Invoke(Op(session, OpKind.GetChildren, queue));
                done = await Run(p, async () =>
                {
                    var names = await client.GetChildrenAsync(queue, ct: t).ConfigureAwait(false);
                    return new OpReturn { Children = [.. names] };
                }).ConfigureAwait(false);
            }

            if (done.Outcome == Outcome.Ok && done.Kind is OpKind.GetData or OpKind.Exists or OpKind.SetData && done.Result?.Stat?.Version is { } sv)
                seen[key] = sv;
            if (done.Outcome == Outcome.Unknown && client.State is ConnectionState.Expired or ConnectionState.Closed) return;
            if (options.ThinkTime > TimeSpan.Zero)
            {
                try { await Task.Delay(options.ThinkTime, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    private static HistoryOp Op(long session, OpKind kind, string? path) =>
        new() { Id = 0, Session = session, Invoke = 0, Kind = kind, Path = path, Outcome = Outcome.Unknown };

    private static OpReturn Return(OpResult r) => r switch
    {
        OpResult.Create c => new OpReturn { Path = c.Path, Stat = c.Stat is { } s ? StatView.From(s) : null },
        OpResult.SetData s => new OpReturn { Stat = StatView.From(s.Stat) },
        _ => new OpReturn(),
    };

    /// <summary>Runs one call and completes the pending op: ok with its return, the error a reply carried, or unknown
    /// when no reply says what happened.</summary>
    private static async Task<HistoryOp> Run(HistoryRecorder.Pending pending, Func<Task<OpReturn?>> call)
    {
        try
        {
            return pending.Ok(await call().ConfigureAwait(false));
        }
        catch (TransactionFailedException e)
        {
            return pending.Failed(e.Code, e.FailedIndex);
        }
        catch (CoordException e) when (e is ConnectionLossException or SessionExpiredException or OperationTimeoutException
                                           || e.Code is ErrorCode.ConnectionLoss or ErrorCode.OperationTimeout or ErrorCode.SessionExpired
                                               or ErrorCode.SessionMoved or ErrorCode.RequestTimeout)
        {
            return pending.Unknown();
        }
        catch (CoordException e)
        {
            return pending.Failed(e.Code);
        }
        catch (OperationCanceledException)
        {
            return pending.Unknown();
        }
        catch (ObjectDisposedException)
        {
            return pending.Unknown();
        }
    }
}
