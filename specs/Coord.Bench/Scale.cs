using System.Diagnostics;
using System.Globalization;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Bench;

/// <summary>
/// The scale workloads, each meant for a fresh server (--compare starts one per run): fill it with znodes,
/// sessions or watches, then report the server's RSS growth per item and how long filling took.
/// Ops = items added; seconds = how long adding them took; latency = per request (per handshake for
/// sessions). RSS growth divides VmRSS after minus before by the item count; for the JVM that includes
/// heap the collector has not returned, so read it as "what the process costs", not live bytes.
/// </summary>
public static class Scale
{
    /// <summary>
    /// znodes1m: --znodes nodes of 100 B under 1000 parents, created by C clients with K in flight each.
    /// Then the server is restarted (when this tool started it) and restart-to-serving measured.
    /// </summary>
    public static async Task<RunResult> ZnodesAsync(Target target, Shape shape, BenchOptions o, CancellationToken ct)
    {
        int total = o.Znodes;
        const int perParent = 1000;
        int parents = (total + perParent - 1) / perParent;
        string root = $"/bench-{target.Label}-z";
        string Parent(int p) => string.Create(CultureInfo.InvariantCulture, $"{root}/d{p:D4}");
        string Node(int i) => string.Create(CultureInfo.InvariantCulture, $"{Parent(i / perParent)}/n{i % perParent:D3}");
        var value = new byte[100];
        new Random(42).NextBytes(value);

        var parentRequests = new List<(OpCode, IJuteWritable)> { (OpCode.Create, new CreateRequest(root, null, Acl.OpenAclUnsafe, 0)) };
        for (int p = 0; p < parents; p++) parentRequests.Add((OpCode.Create, new CreateRequest(Parent(p), null, Acl.OpenAclUnsafe, 0)));
        await using (var setup = await BenchConnection.ConnectAsync(target.EndPoint, ct))
        {
            var bad = (await setup.PipelineAsync(parentRequests, ct)).Where(c => c is not (ErrorCode.Ok or ErrorCode.NodeExists)).ToList();
            if (bad.Count > 0) throw new InvalidOperationException($"creating {root}'s parents: {bad[0]}");
            await setup.CloseSessionAsync(ct);
        }

        var proc = new ProcWindow(target.Pids);
        var (latency, errors, seconds) = await SpreadAsync(target, shape, total, proc, ct, (w, xid, i) =>
        {
            int frame = w.BeginFrame();
            new RequestHeader(xid, OpCode.Create).Write(w);
            new CreateRequest(Node(i), value, Acl.OpenAclUnsafe, 0).Write(w);
            w.EndFrame(frame);
        });

        var extras = new Dictionary<string, double> { ["znodes"] = total };
        if (proc.RssMibBefore is { } before && proc.RssMibAfter is { } after)
            extras["rss_bytes_per_znode"] = (after - before) * 1024 * 1024 / total;
        if (target.Process is { } server)
        {
            extras["fresh_start_to_serving_ms"] = Math.Round(server.StartToServingMs, 1);
            extras["restart_to_serving_ms"] = Math.Round(await server.RestartAsync(Node(total - 1), ct), 1);
            if (ProcStats.Sample(server.Pid) is { } s) extras["rss_after_restart_mib"] = Math.Round(s.RssKib / 1024.0, 1);
        }
        return Result(target, Workload.Znodes1m, shape, seconds, total, latency, proc, errors, extras);
    }

    /// <summary>
    /// sessions10k: --sessions raw sessions opened C at a time, held open, all pinged (alive = answered),
    /// then closed.
    /// </summary>
    public static async Task<RunResult> SessionsAsync(Target target, Shape shape, BenchOptions o, CancellationToken ct)
    {
        int total = o.Sessions;
        var conns = new BenchConnection?[total];
        var latency = new LatencyHistogram();
        var errors = new Dictionary<string, long>();
        var proc = new ProcWindow(target.Pids);
        int next = -1;
        proc.Begin();
        try
        {
            // C openers (at least 16: one handshake at a time each would measure round trips, not the server).
            int openers = Math.Max(shape.Clients, 16);
            var histograms = new LatencyHistogram[openers];
            await Task.WhenAll(Enumerable.Range(0, openers).Select(j => Task.Run(async () =>
            {
                var h = histograms[j] = new LatencyHistogram();
                int i;
                while ((i = Interlocked.Increment(ref next)) < total)
                {
                    long start = Stopwatch.GetTimestamp();
                    try
                    {
                        conns[i] = await BenchConnection.ConnectAsync(target.EndPoint, ct, bufferBytes: 256);
                        h.Record(Stopwatch.GetTimestamp() - start);
                    }
                    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
                    {
                        lock (errors) errors["connect_failed"] = errors.GetValueOrDefault("connect_failed") + 1;
                    }
                }
            }, ct)));
            proc.End();
            foreach (var h in histograms) latency.Add(h);

            int alive = 0;
            next = -1;
            await Task.WhenAll(Enumerable.Range(0, openers).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < total)
                {
                    if (conns[i] is not { } c) continue;
                    try
                    {
                        if (await c.PingAsync(ct)) Interlocked.Increment(ref alive);
                    }
                    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
                    {
                        // counted as not alive below
                    }
                }
            }, ct)));
            if (alive < total) errors["not_alive"] = total - alive;

            var extras = new Dictionary<string, double> { ["sessions"] = total, ["alive"] = alive };
            if (proc.RssMibBefore is { } before && proc.RssMibAfter is { } after)
                extras["rss_bytes_per_session"] = (after - before) * 1024 * 1024 / total;
            return Result(target, Workload.Sessions10k, shape, proc.Seconds, total - errors.GetValueOrDefault("connect_failed"),
                latency, proc, errors, extras);
        }
        finally
        {
            next = -1;
            await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < total)
                {
                    if (conns[i] is not { } c) continue;
                    try
                    {
                        using var closeCts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                        await c.CloseSessionAsync(closeCts.Token);
                    }
                    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                    {
                        // the server drops it at expiry
                    }
                    await c.DisposeAsync();
                }
            }, CancellationToken.None)));
        }
    }

    /// <summary>
    /// watches1m: --watches data watches = --watch-sessions sessions × (watches / sessions) nodes, each
    /// session registering exists+watch on every node with K in flight. Then the first
    /// min(nodes, 100) nodes are set once; every session must see exactly that many NodeDataChanged.
    /// </summary>
    public static async Task<RunResult> WatchesAsync(Target target, Shape shape, BenchOptions o, CancellationToken ct)
    {
        int sessions = Math.Min(o.WatchSessions, o.Watches);
        int nodes = o.Watches / sessions;
        int total = sessions * nodes;
        int fired = Math.Min(nodes, 100);
        string root = $"/bench-{target.Label}-w";
        string Node(int i) => string.Create(CultureInfo.InvariantCulture, $"{root}/n{i:D7}");
        var value = new byte[10];

        var errors = new Dictionary<string, long>();
        await using (var setup = await BenchConnection.ConnectAsync(target.EndPoint, ct))
        {
            var first = await setup.PipelineAsync([(OpCode.Create, new CreateRequest(root, null, Acl.OpenAclUnsafe, 0))], ct);
            if (first[0] is not (ErrorCode.Ok or ErrorCode.NodeExists)) throw new InvalidOperationException($"create {root}: {first[0]}");
            var codes = new Dictionary<ErrorCode, long>();
            await CountedLoop.RunAsync(setup, nodes, 256, (w, xid, i) =>
            {
                int frame = w.BeginFrame();
                new RequestHeader(xid, OpCode.Create).Write(w);
                new CreateRequest(Node(i), value, Acl.OpenAclUnsafe, 0).Write(w);
                w.EndFrame(frame);
            }, new LatencyHistogram(), codes, ct);
            codes.Remove(ErrorCode.NodeExists);
            if (codes.Count > 0) throw new InvalidOperationException($"creating {root}'s nodes: {codes.First().Key}");
            await setup.CloseSessionAsync(ct);
        }

        var conns = new List<BenchConnection>(sessions);
        var proc = new ProcWindow(target.Pids);
        try
        {
            for (int s = 0; s < sessions; s++) conns.Add(await BenchConnection.ConnectAsync(target.EndPoint, ct, bufferBytes: 16 * 1024));
            var histograms = new LatencyHistogram[sessions];
            var codes = new Dictionary<ErrorCode, long>[sessions];
            var seen = new int[sessions];
            proc.Begin();
            // Registration: all sessions at once, each with K requests in flight.
            await Task.WhenAll(Enumerable.Range(0, sessions).Select(s => Task.Run(async () =>
            {
                histograms[s] = new LatencyHistogram();
                codes[s] = new Dictionary<ErrorCode, long>();
                await CountedLoop.RunAsync(conns[s], nodes, shape.Outstanding, (w, xid, i) =>
                {
                    int frame = w.BeginFrame();
                    new RequestHeader(xid, OpCode.Exists).Write(w);
                    new PathWatchRequest(Node(i), true).Write(w);
                    w.EndFrame(frame);
                }, histograms[s], codes[s], ct, _ => Interlocked.Increment(ref seen[s]));
            }, ct)));
            proc.End();
            var latency = new LatencyHistogram();
            foreach (var h in histograms) latency.Add(h);
            foreach (var c in codes)
                foreach (var (code, count) in c) errors[code.ToString()] = errors.GetValueOrDefault(code.ToString()) + count;

            // Fire: one writer sets the first `fired` nodes; each session must see each once.
            var fire = Stopwatch.StartNew();
            await using (var writer = await BenchConnection.ConnectAsync(target.EndPoint, ct))
            {
                var setCodes = new Dictionary<ErrorCode, long>();
                await CountedLoop.RunAsync(writer, fired, 64, (w, xid, i) =>
                {
                    int frame = w.BeginFrame();
                    new RequestHeader(xid, OpCode.SetData).Write(w);
                    new SetDataRequest(Node(i), value, -1).Write(w);
                    w.EndFrame(frame);
                }, new LatencyHistogram(), setCodes, ct);
                foreach (var (code, count) in setCodes) errors[$"set_{code}"] = count;
                await writer.CloseSessionAsync(ct);
            }
            using var deliveryCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deliveryCts.CancelAfter(TimeSpan.FromSeconds(10));
            await Task.WhenAll(Enumerable.Range(0, sessions).Select(s => Task.Run(async () =>
            {
                // Close once every expected notification is in; the close reply then marks the end of the
                // stream, so duplicates that were already on the way are counted too.
                try
                {
                    while (Volatile.Read(ref seen[s]) < fired)
                    {
                        var payload = await conns[s].ReceiveFrameAsync(deliveryCts.Token);
                        if (IsNotification(payload.Span)) seen[s]++;
                    }
                    await conns[s].SendRequestAsync(int.MaxValue, OpCode.CloseSession, Empty.Instance, deliveryCts.Token);
                    while (true)
                    {
                        var payload = await conns[s].ReceiveFrameAsync(deliveryCts.Token);
                        if (IsNotification(payload.Span)) seen[s]++;
                        else break;
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // missed: counted below
                }
            }, ct)));
            double deliverMs = fire.Elapsed.TotalMilliseconds;
            long delivered = seen.Sum(v => Math.Min(v, fired));
            long duplicated = seen.Sum(v => Math.Max(0, v - fired));
            long expected = (long)fired * sessions;
            if (delivered < expected) errors["missed_notification"] = expected - delivered;
            if (duplicated > 0) errors["duplicated_notification"] = duplicated;

            var extras = new Dictionary<string, double>
            {
                ["watches"] = total,
                ["watch_sessions"] = sessions,
                ["fired_notifications_expected"] = expected,
                ["fired_notifications_delivered"] = delivered,
                ["fire_to_all_delivered_ms"] = Math.Round(deliverMs, 1),
            };
            if (proc.RssMibBefore is { } before && proc.RssMibAfter is { } after)
                extras["rss_bytes_per_watch"] = (after - before) * 1024 * 1024 / total;
            return Result(target, Workload.Watches1m, shape, proc.Seconds, total, latency, proc, errors, extras);
        }
        finally
        {
            foreach (var c in conns) await c.DisposeAsync();
        }
    }

    private static bool IsNotification(ReadOnlySpan<byte> payload)
    {
        var reader = new JuteReader(payload);
        return ReplyHeader.Read(ref reader).Xid == Xids.Notification && WatcherEvent.Read(ref reader).Type == EventType.NodeDataChanged;
    }

    /// <summary>Spreads <paramref name="count"/> requests over C connections with K in flight each.</summary>
    private static async Task<(LatencyHistogram, Dictionary<string, long>, double)> SpreadAsync(Target target, Shape shape, int count,
        ProcWindow proc, CancellationToken ct, Action<JuteWriter, int, int> write)
    {
        var conns = new List<BenchConnection>();
        try
        {
            for (int c = 0; c < shape.Clients; c++) conns.Add(await BenchConnection.ConnectAsync(target.EndPoint, ct));
            var histograms = new LatencyHistogram[shape.Clients];
            var codes = new Dictionary<ErrorCode, long>[shape.Clients];
            proc.Begin();
            await Task.WhenAll(Enumerable.Range(0, shape.Clients).Select(c => Task.Run(async () =>
            {
                histograms[c] = new LatencyHistogram();
                codes[c] = new Dictionary<ErrorCode, long>();
                // Client c takes items c, c+C, c+2C, ...
                int mine = count / shape.Clients + (c < count % shape.Clients ? 1 : 0);
                await CountedLoop.RunAsync(conns[c], mine, shape.Outstanding,
                    (w, xid, i) => write(w, xid, c + i * shape.Clients), histograms[c], codes[c], ct);
            }, ct)));
            proc.End();
            foreach (var conn in conns) await conn.CloseSessionAsync(ct);
            var latency = new LatencyHistogram();
            var errors = new Dictionary<string, long>();
            foreach (var h in histograms) latency.Add(h);
            foreach (var c in codes)
                foreach (var (code, n) in c) errors[code.ToString()] = errors.GetValueOrDefault(code.ToString()) + n;
            return (latency, errors, proc.Seconds);
        }
        finally
        {
            foreach (var conn in conns) await conn.DisposeAsync();
        }
    }

    private static RunResult Result(Target target, Workload workload, Shape shape, double seconds, long ops, LatencyHistogram latency,
        ProcWindow proc, Dictionary<string, long> errors, Dictionary<string, double> extras) =>
        new(target.Label, target.Server, workload, "raw", shape, seconds, ops, LatencySummary.From(latency),
            proc.ServerCpuMicrosPerOp(ops), proc.ServerCpuCores(seconds), proc.RssMibAfter, proc.LoadGeneratorCores(seconds),
            errors, extras, null);
}
