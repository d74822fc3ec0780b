using System.Diagnostics;
using System.Globalization;
using System.Text;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;

namespace Coord.Interop.Specs.Crash;

/// <summary>
/// kill -9 of the coord process at random moments under a pipelined write load, many times on one data
/// folder. After every restart the tree must equal the acknowledged history: no acknowledged create, set,
/// delete or multi lost; a write in flight at the kill may have landed or not, but a multi on all of its
/// nodes or on none. Every restart must serve clients.
/// Knobs (environment; not COORD_*, which coord itself reads as configuration): CRASH_SPEC_CYCLES (default 100), CRASH_SPEC_SEED (default: random, printed).
/// </summary>
public sealed class KillNineSpecs(ITestOutputHelper output)
{
    private const int Writers = 8;
    private const int KeysPerWriter = 16;
    private const int LanesPerWriter = 4;
    private const int SessionTimeoutMs = 4000;
    private const int EphemeralSessionTimeoutMs = 10_000; // the most tick 500 allows: a slow restart must not expire them
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Kill_nine_under_load_loses_no_acknowledged_write_and_never_half_a_multi()
    {
        int cycles = EnvInt("CRASH_SPEC_CYCLES", 100);
        int seed = EnvInt("CRASH_SPEC_SEED", Random.Shared.Next());
        output.WriteLine($"kill -9 spec: {cycles} cycles, seed {seed} (rerun with CRASH_SPEC_SEED={seed})");
        var random = new Random(seed);
        var dataDir = TempDir.Create("crash-data");
        // Snapshots every 500 txns, so kills also land during snapshot writes, purges and recoveries from a snapshot.
        var options = new ServerOptions(TickMs: 500, DataDir: dataDir, ExtraHocon: ["snapshot.every-txns = 500", "snapshot.min-txns-per-znode = 0"]);
        var models = Enumerable.Range(0, Writers).Select(w => new WriterModel(w, KeysPerWriter)).ToArray();
        var sequences = Enumerable.Range(0, Writers).Select(w => new SequenceModel(w)).ToArray();
        var sessions = Enumerable.Range(0, Writers).Select(w => new SessionModel(w, EphemeralSessionTimeoutMs)).ToArray();
        var restartMs = new List<double>();
        long acked = 0;
        var total = Stopwatch.StartNew();
        try
        {
            for (int cycle = 0; cycle <= cycles; cycle++)
            {
                var started = Stopwatch.StartNew();
                var server = await Servers.StartAsync("coord", options);
                restartMs.Add(started.Elapsed.TotalMilliseconds);
                try
                {
                    if (cycle == 0)
                    {
                        await CreateRootsAsync(server.Port);
                    }
                    else
                    {
                        var problems = await ReconcileAsync(server.Port, models);
                        problems.AddRange(await ReconcileSequencesAsync(server.Port, sequences));
                        problems.AddRange(await ReconcileSessionsAsync(server.Port, sessions));

                        Assert.True(problems.Count == 0,
                            $"after kill {cycle} (seed {seed}) the tree differs from the acknowledged history:\n" + string.Join("\n", problems));
                    }

                    if (cycle == cycles)
                    {
                        break;
                    }

                    acked += await LoadThenKillAsync(server, models, sequences, sessions, cycle, random.Next(), random.Next(20, 401));
                }
                finally
                {
                    await server.DisposeAsync();
                }
            }
        }
        finally
        {
            TempDir.Delete(dataDir);
        }

        var sorted = restartMs.Order().ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"kill -9 summary: cycles={cycles} restarts={restartMs.Count} failed_restarts=0 acked_ops={acked} " +
            $"restart_ms_median={sorted[sorted.Count / 2]:0} restart_ms_max={sorted[^1]:0} total_s={total.Elapsed.TotalSeconds:0.0} seed={seed}"));
        Assert.True(acked > 0, "no write was ever acknowledged: the load did not run");
    }

    /// <summary>Runs the writers against the server, kills it -9 after <paramref name="loadMs"/>, and
    /// returns how many writes were acknowledged.</summary>
    private static async Task<long> LoadThenKillAsync(IServerProcess server, WriterModel[] models, SequenceModel[] sequences,
        SessionModel[] sessions, int cycle, int seed, int loadMs)
    {
        var clients = await Task.WhenAll(models.Select(_ => PipelinedClient.ConnectAsync(server.Port, CallTimeout, SessionTimeoutMs)));
        try
        {
            long acked = 0;
            var failures = new List<string>();
            var lanes = new List<Task>();
            for (int w = 0; w < Writers; w++)
            {
                for (int lane = 0; lane < LanesPerWriter; lane++)
                {
                    var random = new Random(HashCode.Combine(seed, w, lane));
                    var (model, client, tag) = (models[w], clients[w], $"c{cycle}w{w}l{lane}");
                    lanes.Add(Task.Run(async () =>
                    {
                        var (n, failure) = await RunLaneAsync(client, model, random, tag);
                        Interlocked.Add(ref acked, n);
                        if (failure is not null)
                        {
                            lock (failures)
                            {
                                failures.Add(failure);
                            }
                        }
                    }));
                }
            }

            for (int w = 0; w < Writers; w++)
            {
                var (sequence, client, session, tag) = (sequences[w], clients[w], sessions[w], $"c{cycle}w{w}");
                lanes.Add(Task.Run(async () =>
                {
                    var (n, failure) = await RunSequenceLaneAsync(client, sequence);
                    var (m, failure2) = failure is null ? await RunSessionLaneAsync(server.Port, session, tag) : (0, null);
                    Interlocked.Add(ref acked, n + m);
                    if ((failure ?? failure2) is { } f)
                    {
                        lock (failures)
                        {
                            failures.Add(f);
                        }
                    }
                }));
            }

            await Task.Delay(loadMs);
            await server.KillAsync();
            await Task.WhenAll(lanes).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(failures.Count == 0, $"cycle {cycle}: writes failed other than by connection loss:\n" + string.Join("\n", failures));
            return acked;
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }

    /// <summary>One lane of a writer: sends writes on free keys one after another until the connection is
    /// lost. Returns the number acknowledged, and a description of the first unexpected answer.</summary>
    private static async Task<(long Acked, string? Failure)> RunLaneAsync(PipelinedClient client, WriterModel model, Random random, string tag)
    {
        long acked = 0;
        for (int n = 0; ; n++)
        {
            var op = model.Next(random, $"{tag}#{n}");
            if (op is null)
            {
                return (acked, $"{model.Root}: no free key for a lane (more lanes than keys?)");
            }

            ErrorCode err;
            byte[] body;
            try
            {
                (err, body) = await client.CallAsync(Opcode(op), Request(op, model), CallTimeout);
            }
            catch (ConnectionLossException)
            {
                return (acked, null); // the write stays in flight in the model: it may or may not have landed
            }

            bool failed = err != ErrorCode.Ok || (op.Effects.Count > 1 && FirstMultiError(body) is not null);
            if (failed != op.MustFail)
            {
                return (acked, $"{op} answered {err}{(op.Effects.Count > 1 && err == ErrorCode.Ok ? $" ({FirstMultiError(body) ?? "every op applied"})" : "")}");
            }

            model.Acknowledge(op);
            acked++;
        }
    }

    private static OpCode Opcode(ModelOp op) => op.Name switch
    {
        "create" => OpCode.Create,
        "set" => OpCode.SetData,
        "delete" => OpCode.Delete,
        _ => OpCode.Multi,
    };

    private static IJuteWritable Request(ModelOp op, WriterModel model)
    {
        IPathRequest One((int Key, NodeState Before, NodeState After) e) => op.Name switch
        {
            "create" or "multi-create" => new CreateRequest(model.PathOf(e.Key), Encoding.UTF8.GetBytes(e.After.Data), Acl.OpenAclUnsafe, 0),
            "set" or "multi-set" => new SetDataRequest(model.PathOf(e.Key), Encoding.UTF8.GetBytes(e.After.Data), e.Before.Version),
            "delete" => new DeleteRequest(model.PathOf(e.Key), e.Before.Version),
            _ => throw new InvalidOperationException(op.Name),
        };

        MultiOp Check((int Key, NodeState Before, NodeState After) e, int wrongBy) =>
            new(OpCode.Check, new CheckVersionRequest(model.PathOf(e.Key), e.Before.Version + wrongBy));
        MultiOp Set((int Key, NodeState Before, NodeState After) e, string data) =>
            new(OpCode.SetData, new SetDataRequest(model.PathOf(e.Key), Encoding.UTF8.GetBytes(data), e.Before.Version));

        return op.Name switch
        {
            "multi-create" => new MultiRequest(op.Effects.Select(e => new MultiOp(OpCode.Create, One(e))).ToList()),
            "multi-set" => new MultiRequest(op.Effects.Select(e => new MultiOp(OpCode.SetData, One(e))).ToList()),
            "multi-delete" => new MultiRequest(op.Effects.Select(e => new MultiOp(OpCode.Delete, new DeleteRequest(model.PathOf(e.Key), e.Before.Version))).ToList()),
            "multi-check-set" => new MultiRequest([Check(op.Effects[0], 0), Set(op.Effects[1], op.Effects[1].After.Data)]),
            // Applied, the set would be visible; the wrong version in the check must undo it.
            "multi-fail" => new MultiRequest([Set(op.Effects[0], "must-not-land"), Check(op.Effects[1], 7)]),
            _ => (IJuteWritable)One(op.Effects[0]),
        };
    }

    private static string? FirstMultiError(byte[] body)
    {
        var r = new JuteReader(body);
        var results = MultiResponse.Read(ref r).Results;
        return results.FirstOrDefault(x => x.Type == OpCode.Error) is { } e ? e.ToString() : null;
    }

    private static async Task CreateRootsAsync(int port)
    {
        await using var c = await PipelinedClient.ConnectAsync(port, CallTimeout, SessionTimeoutMs);
        foreach (var path in new[] { "/crash" }.Concat(Enumerable.Range(0, Writers).SelectMany(w => new[] { $"/crash/w{w}", $"/crash/q{w}", $"/crash/e{w}" })))
        {
            var (err, _) = await c.CallAsync(OpCode.Create, new CreateRequest(path, [], Acl.OpenAclUnsafe, 0), CallTimeout);
            Assert.Equal(ErrorCode.Ok, err);
        }
    }

    /// <summary>Reads every key of every writer (pipelined) and reconciles each model with it.</summary>
    private static async Task<List<string>> ReconcileAsync(int port, WriterModel[] models)
    {
        await using var c = await PipelinedClient.ConnectAsync(port, CallTimeout, SessionTimeoutMs);
        var problems = new List<string>();
        var (rootErr, rootBody) = await c.CallAsync(OpCode.GetChildren, new PathWatchRequest("/crash", false), CallTimeout);
        var roots = rootErr == ErrorCode.Ok ? Children(rootBody) : [];
        if (!roots.Order(StringComparer.Ordinal).SequenceEqual(models.SelectMany(m => new[] { $"w{m.Writer}", $"q{m.Writer}", $"e{m.Writer}" }).Order(StringComparer.Ordinal)))
        {
            problems.Add($"/crash: {rootErr}, children [{string.Join(",", roots)}]");
        }

        foreach (var model in models)
        {
            var children = c.CallAsync(OpCode.GetChildren, new PathWatchRequest(model.Root, false), CallTimeout);
            var reads = Enumerable.Range(0, model.KeyCount)
                .Select(k => c.CallAsync(OpCode.GetData, new PathWatchRequest(model.PathOf(k), false), CallTimeout))
                .ToArray();
            var actual = new Dictionary<int, NodeState>();
            for (int k = 0; k < reads.Length; k++)
            {
                var (err, body) = await reads[k];
                actual[k] = err switch
                {
                    ErrorCode.Ok => ReadState(body),
                    ErrorCode.NoNode => NodeState.Absent,
                    _ => throw new InvalidOperationException($"getData {model.PathOf(k)} answered {err}"),
                };
            }

            var (childErr, childBody) = await children;
            Assert.Equal(ErrorCode.Ok, childErr);
            problems.AddRange(model.Reconcile(actual, Children(childBody)));
        }

        return problems;
    }

    /// <summary>Sequential creates one at a time, every third op a delete of the oldest acknowledged child.</summary>
    private static async Task<(long Acked, string? Failure)> RunSequenceLaneAsync(PipelinedClient client, SequenceModel model)
    {
        long acked = 0;
        for (int n = 0; ; n++)
        {
            bool delete = n % 3 == 2 && model.OldestPresent is not null;
            long target = delete ? model.OldestPresent!.Value : -1;
            model.Sending(!delete, target);
            ErrorCode err;
            byte[] body;
            try
            {
                (err, body) = delete
                    ? await client.CallAsync(OpCode.Delete, new DeleteRequest($"{model.Prefix}{target:D10}", -1), CallTimeout)
                    : await client.CallAsync(OpCode.Create, new CreateRequest(model.Prefix, [], Acl.OpenAclUnsafe, (int)CreateMode.PersistentSequential), CallTimeout);
            }
            catch (ConnectionLossException)
            {
                return (acked, null);
            }

            if (err != ErrorCode.Ok)
            {
                return (acked, $"{model.Parent}: {(delete ? $"delete of n-{target:D10}" : "sequential create")} answered {err}");
            }

            acked++;
            if (delete)
            {
                model.Deleted(target);
            }
            else
            {
                var r = new JuteReader(body);
                if (model.Created(SequenceModel.NumberOf(CreateResponse.Read(ref r).Path)) is { } problem)
                {
                    return (acked, problem);
                }
            }
        }
    }

    /// <summary>Up to two sessions a cycle: each opens and creates 1-2 ephemerals; the first closes.</summary>
    private static async Task<(long Acked, string? Failure)> RunSessionLaneAsync(int port, SessionModel model, string tag)
    {
        long acked = 0;
        for (int i = 0; i < 2; i++)
        {
            PipelinedClient client;
            try
            {
                client = await PipelinedClient.ConnectAsync(port, CallTimeout, model.SessionTimeoutMs);
            }
            catch (SessionRefusedException e)
            {
                return (acked, $"{model.Parent}: a new session was refused: {e.Message}");
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                return (acked, null); // the server is gone: nothing was acknowledged
            }

            await using (client)
            {
                var session = model.Opened(client.SessionId, client.Password, $"{tag}s{i}");
                try
                {
                    for (int k = 0; k <= i; k++)
                    {
                        string name = $"{session.Tag}-{k}";
                        session.InFlight = name;
                        var (err, _) = await client.CallAsync(OpCode.Create,
                            new CreateRequest($"{model.Parent}/{name}", [], Acl.OpenAclUnsafe, (int)CreateMode.Ephemeral), CallTimeout);
                        if (err != ErrorCode.Ok)
                        {
                            return (acked, $"{model.Parent}/{name}: ephemeral create answered {err}");
                        }

                        session.Acked.Add(name);
                        session.InFlight = null;
                        SessionModel.Answered(session);
                        acked++;
                    }

                    if (i % 2 == 0)
                    {
                        session.State = SessionModel.State.Closing;
                        await client.CallAsync(OpCode.CloseSession, NoBody.Instance, CallTimeout);
                        session.State = SessionModel.State.Closed;
                        acked++;
                    }
                }
                catch (ConnectionLossException)
                {
                    return (acked, null);
                }
            }
        }

        return (acked, null);
    }

    private static async Task<List<string>> ReconcileSequencesAsync(int port, SequenceModel[] models)
    {
        await using var c = await PipelinedClient.ConnectAsync(port, CallTimeout, SessionTimeoutMs);
        var problems = new List<string>();
        foreach (var model in models)
        {
            var (err, body) = await c.CallAsync(OpCode.GetChildren2, new PathWatchRequest(model.Parent, false), CallTimeout);
            Assert.Equal(ErrorCode.Ok, err);
            var r = new JuteReader(body);
            var reply = GetChildren2Response.Read(ref r);
            problems.AddRange(model.Reconcile(reply.Children, reply.Stat.Cversion));
        }

        return problems;
    }

    private static async Task<List<string>> ReconcileSessionsAsync(int port, SessionModel[] models)
    {
        var attached = new Dictionary<long, PipelinedClient>();
        await using var reader = await PipelinedClient.ConnectAsync(port, CallTimeout, SessionTimeoutMs);
        var problems = new List<string>();
        try
        {
            foreach (var model in models)
            {
                problems.AddRange(await ReconcileAsync(model));
            }

            return problems;
        }
        finally
        {
            foreach (var c in attached.Values)
            {
                await c.DisposeAsync();
            }
        }

        Task<List<string>> ReconcileAsync(SessionModel model) =>
            model.ReconcileAsync(
                async s =>
                {
                    try
                    {
                        attached[s.Id] = await PipelinedClient.ConnectAsync(port, CallTimeout, model.SessionTimeoutMs, s.Id, s.Password);
                        return true;
                    }
                    catch (SessionRefusedException)
                    {
                        return false;
                    }
                },
                async () =>
                {
                    var (err, body) = await reader.CallAsync(OpCode.GetChildren, new PathWatchRequest(model.Parent, false), CallTimeout);
                    Assert.Equal(ErrorCode.Ok, err);
                    return Children(body).ToList();
                },
                async s =>
                {
                    var (err, _) = await attached[s.Id].CallAsync(OpCode.CloseSession, NoBody.Instance, CallTimeout);
                    Assert.Equal(ErrorCode.Ok, err);
                });
    }

    private static NodeState ReadState(byte[] body)
    {
        var r = new JuteReader(body);
        var reply = GetDataResponse.Read(ref r);
        return new NodeState(true, Encoding.UTF8.GetString(reply.Data ?? []), reply.Stat.Version);
    }

    private static IReadOnlyList<string> Children(byte[] body)
    {
        var r = new JuteReader(body);
        return GetChildrenResponse.Read(ref r).Children;
    }

    private static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;
}
