using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;

namespace Coord.Interop.Specs.Fuzz;

/// <summary>
/// Mutated client frames (seed corpus + <see cref="FrameMutator"/>) against a live server: it must stay
/// up, keep answering, keep honest clients working, keep acknowledged data, and keep its memory bounded.
/// The ZooKeeper runs are smaller: they only validate the harness and the expectations.
/// </summary>
public sealed class LiveServerFuzzSpecs(ITestOutputHelper output)
{
    private const string GuardUser = "keeper";
    private static readonly string GuardPassword = "never-in-the-corpus-" + Guid.NewGuid().ToString("N");
    private const int GuardNodes = 10;
    // Memory is judged by growth once warm, not by a ceiling: the median VmRSS of the last quarter of batches
    // against that of the second quarter may grow by at most this much (or by half of the warm figure, if more).
    private const long RssGrowthBytesMax = 96L << 20;
    private static readonly TimeSpan ReadIdle = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan ConnectionBudget = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("zookeeper", 20_000, 11, 16)] // ZooKeeper allows 60 connections per client IP
    [InlineData("coord", 100_000, 12, 32)]
    public async Task Server_survives_mutated_frames_and_keeps_honest_clients_and_data(string kind, int framesTotal, int seed,
        int connectionsPerBatch)
    {
        var clock = Stopwatch.StartNew();
        var corpus = FuzzCorpus.Load();
        var requests = FuzzCorpus.RequestFrames(corpus);
        Assert.NotEmpty(requests);

        await using var server = await Servers.StartAsync(kind);
        var (host, port) = (server.Host, server.Port);
        // Every error the server logs during the run (Coord: fail/crit lines, an unhandled exception; ZooKeeper:
        // ERROR lines). Bad input from a client is the client's problem: Coord must not log it as its own failure.
        var child = ((ServerProcessBase)server).Child;
        Func<string, bool> isError = kind == "coord"
            ? l => l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal)
                || l.Contains("Unhandled exception", StringComparison.Ordinal)
            : l => l.Contains("] ERROR ", StringComparison.Ordinal);
        var errorLines = child.Stdout.Watch(isError);
        var errorLinesStderr = child.Stderr.Watch(isError);

        // Honest data, protected by a digest ACL whose password is not in the corpus.
        var guardAcl = new[] { (RawZkClient.AllPerms, "digest", RawZkClient.DigestId(GuardUser, GuardPassword)), (RawZkClient.ReadPerm, "world", "anyone") };
        await using (var setup = await RawZkClient.ConnectAsync(host, port, ClientTimeout))
        {
            await setup.AuthDigestAsync(GuardUser, GuardPassword);
            Assert.Equal(0, await setup.CreateAsync("/guard", Encoding.UTF8.GetBytes("guard"), guardAcl));
            for (var i = 0; i < GuardNodes; i++)
            {
                Assert.Equal(0, await setup.CreateAsync($"/guard/n{i}", GuardData(i), guardAcl));
            }

            await setup.CloseSessionAsync();
        }

        // A bystander that stays connected through the whole run (pings after every batch).
        await using var bystander = await RawZkClient.ConnectAsync(host, port, ClientTimeout);
        var rssBefore = RssBytes(server.Pid);
        var connectionsBefore = await AliveConnectionsAsync(server);
        var rssByBatch = new List<long>();
        var stuck = new List<string>();

        var rng = new Random(seed);
        var sent = 0;
        var connections = 0;
        var closedByServer = 0;
        long replyBytes = 0;
        var batches = 0;
        while (sent < framesTotal)
        {
            var plans = new List<byte[]>();
            for (var c = 0; c < connectionsPerBatch && sent < framesTotal; c++)
            {
                var (bytes, frames) = PlanConnection(rng, corpus, requests, Math.Min(framesTotal - sent, 1 + rng.Next(rng.Next(2) == 0 ? 40 : 150)));
                plans.Add(bytes);
                sent += frames;
            }

            var halfClose = plans.Select(_ => rng.Next(2) == 0).ToArray();
            var results = await Task.WhenAll(plans.Select((p, i) => RunConnection(host, port, p, halfClose[i])));
            // A connection the client half-closed must be closed by the server (it read EOF); one it kept open
            // past the budget is stuck.
            stuck.AddRange(results.Where((r, i) => halfClose[i] && !r.ClosedByServer).Select(_ => $"batch {batches + 1}"));
            connections += plans.Count;
            closedByServer += results.Count(r => r.ClosedByServer);
            replyBytes += results.Sum(r => r.ReplyBytes);
            batches++;

            Assert.True(IsAlive(server.Pid), $"{kind} died after batch {batches} ({sent} frames)");
            rssByBatch.Add(RssBytes(server.Pid));
            Assert.Equal("imok", await server.FourLetterWordAsync("ruok", TimeSpan.FromSeconds(10)));
            await bystander.PingAsync();
        }

        var (err, data, version) = await bystander.GetDataAsync("/guard/n0");
        Assert.Equal((0, 0), (err, version));
        Assert.Equal(GuardData(0), data);

        // A fresh honest client: the guarded data is intact and new writes work.
        await using (var after = await RawZkClient.ConnectAsync(host, port, ClientTimeout))
        {
            await after.AuthDigestAsync(GuardUser, GuardPassword);
            for (var i = 0; i < GuardNodes; i++)
            {
                var got = await after.GetDataAsync($"/guard/n{i}");
                Assert.True(got.Err == 0 && got.Version == 0 && GuardData(i).AsSpan().SequenceEqual(got.Data),
                    $"/guard/n{i} changed: err {got.Err} version {got.Version}");
            }

            Assert.Equal(0, await after.CreateAsync("/guard/after", [1, 2, 3], guardAcl));
            Assert.Equal(new byte[] { 1, 2, 3 }, (await after.GetDataAsync("/guard/after")).Data);
            await after.PingAsync();
            await after.CloseSessionAsync();
        }

        var rssAfter = RssBytes(server.Pid);
        // Every fuzz socket is closed by now: the server must let go of all of them (bounded wait, as the server
        // notices closes asynchronously).
        long connectionsLast = -1;
        var connectionsAfter = await Poll.UntilAsync(
            async () => (connectionsLast = await AliveConnectionsAsync(server)) <= connectionsBefore
                ? connectionsLast.ToString(CultureInfo.InvariantCulture) : null,
            TimeSpan.FromSeconds(15),
            () => $"{kind} still holds {connectionsLast} connections ({connectionsBefore} before the fuzz clients came and went)");
        var (warm, late) = (Median(rssByBatch, 0.25, 0.5), Median(rssByBatch, 0.75, 1.0));
        var errors = errorLines.Concat(errorLinesStderr).ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{kind}: {sent} mutated frames over {connections} connections in {batches} batches " +
            $"({closedByServer} closed by the server, {replyBytes} reply bytes received), {clock.Elapsed.TotalSeconds:0.0} s; " +
            $"VmRSS {rssBefore / 1048576.0:0.0} MiB -> warm {warm / 1048576.0:0.0} MiB -> late {late / 1048576.0:0.0} MiB " +
            $"(growth {(late - warm) / 1048576.0:0.0} MiB) -> end {rssAfter / 1048576.0:0.0} MiB; " +
            $"connections {connectionsBefore} before, {connectionsAfter} after; {stuck.Count} stuck; {errors.Count} error log lines"));
        foreach (var line in errors.Take(20))
        {
            output.WriteLine("  server error: " + line);
        }

        Assert.True(stuck.Count == 0, $"{kind} kept {stuck.Count} half-closed connections open past {ConnectionBudget.TotalSeconds} s ({string.Join(", ", stuck.Distinct().Take(10))})");
        Assert.True(late - warm <= Math.Max(RssGrowthBytesMax, warm / 2),
            $"{kind} VmRSS kept growing once warm: {warm / 1048576.0:0.0} MiB -> {late / 1048576.0:0.0} MiB");
        if (kind == "coord")
        {
            Assert.True(errors.Count == 0, $"coord logged {errors.Count} errors under fuzzing:\n{string.Join("\n", errors.Take(20))}");
        }
        else
        {
            // ZooKeeper logs ERROR for bad client input itself (CreateMode's invalid flag, "Failed to process"): it is
            // the reference for survival, not for its log — but its lines show the log watch sees what it must.
            Assert.True(errors.Count > 0, "the log watch saw no ERROR line from ZooKeeper under fuzzing: it is not watching");
        }

        Assert.True(sent >= framesTotal);
    }

    [Theory]
    [InlineData("zookeeper")]
    [InlineData("coord")]
    public async Task Oversized_frame_closes_only_that_connection(string kind)
    {
        await using var server = await Servers.StartAsync(kind);
        await using var honest = await RawZkClient.ConnectAsync(server.Host, server.Port, ClientTimeout);
        Assert.Equal(0, await honest.CreateAsync("/honest", [42], [(RawZkClient.AllPerms, "world", "anyone")]));

        int[] lengths = [(1 << 20) + 1, 2 << 20, int.MaxValue, -1, int.MinValue];
        foreach (var afterHandshake in new[] { true, false })
        {
            foreach (var length in lengths)
            {
                using var bad = new TcpClient { NoDelay = true };
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await bad.ConnectAsync(server.Host, server.Port, cts.Token);
                var stream = bad.GetStream();
                if (afterHandshake)
                {
                    await stream.WriteAsync(ValidConnect(), cts.Token);
                    var head = new byte[4];
                    await stream.ReadExactlyAsync(head, cts.Token);
                    await stream.ReadExactlyAsync(new byte[BinaryPrimitives.ReadInt32BigEndian(head)], cts.Token);
                }

                var frame = new byte[4 + 64 * 1024];
                BinaryPrimitives.WriteInt32BigEndian(frame, length);
                new Random(length).NextBytes(frame.AsSpan(4));
                try
                {
                    await stream.WriteAsync(frame, cts.Token);
                }
                catch (IOException)
                {
                    // already closed by the server: fine
                }

                Assert.True(await ClosedByPeerAsync(bad.Client, TimeSpan.FromSeconds(10)),
                    $"{kind} kept the connection open after a frame of declared length {length} (after handshake: {afterHandshake})");

                // The concurrently connected honest client carries on.
                await honest.PingAsync();
                var (err, data, _) = await honest.GetDataAsync("/honest");
                Assert.Equal(0, err);
                Assert.Equal(new byte[] { 42 }, data);
            }
        }

        Assert.Equal("imok", await server.FourLetterWordAsync("ruok"));
    }

    private static byte[] GuardData(int i) => Encoding.UTF8.GetBytes($"guarded value {i} " + new string('g', i * 10));

    private static byte[] ValidConnect()
    {
        var f = new byte[4 + 45];
        BinaryPrimitives.WriteInt32BigEndian(f, 45);
        BinaryPrimitives.WriteInt32BigEndian(f.AsSpan(4 + 12), 30_000);
        BinaryPrimitives.WriteInt32BigEndian(f.AsSpan(4 + 24), 16);
        return f;
    }

    /// <summary>The bytes of one fuzz connection and how many request frames (mutated or not) it holds.</summary>
    private static (byte[] Bytes, int Frames) PlanConnection(Random rng, IReadOnlyList<CorpusConnection> corpus,
        IReadOnlyList<byte[]> requests, int frames)
    {
        var ms = new MemoryStream();
        var seedConn = corpus[rng.Next(corpus.Count)];
        var connect = rng.Next(100) switch
        {
            < 70 => seedConn.Connect,
            < 80 => ValidConnectWith(rng),
            _ => FrameMutator.Mutate(seedConn.Connect, rng),
        };
        ms.Write(connect);
        // Half the connections replay their own recorded conversation (coherent paths/xids) as the
        // base; the others draw frames from the whole corpus.
        var own = seedConn.Requests.ToList();
        var useOwn = own.Count > 0 && rng.Next(2) == 0;
        // Mutation density per connection: dense garbage, or mostly valid traffic with a few bad frames
        // (so the server is deep in a conversation when the bad frame arrives). Only mutated frames count.
        double[] densities = [0.95, 0.5, 0.1];
        var density = densities[rng.Next(densities.Length)];
        var mutated = 0;
        for (var i = 0; mutated < frames; i++)
        {
            var frame = useOwn ? own[i % own.Count] : requests[rng.Next(requests.Count)];
            if (rng.NextDouble() < density)
            {
                ms.Write(FrameMutator.Mutate(frame, rng, requests[rng.Next(requests.Count)]));
                mutated++;
            }
            else
            {
                ms.Write(frame);
            }
        }

        return (ms.ToArray(), mutated);
    }

    private static byte[] ValidConnectWith(Random rng)
    {
        var f = ValidConnect();
        int[] timeouts = [0, 1, -1, 1000, 4000, 30_000, 40_000, int.MaxValue];
        BinaryPrimitives.WriteInt32BigEndian(f.AsSpan(4 + 12), timeouts[rng.Next(timeouts.Length)]);
        if (rng.Next(3) == 0)
        {
            BinaryPrimitives.WriteInt64BigEndian(f.AsSpan(4 + 16), rng.NextInt64()); // unknown session id
        }

        if (rng.Next(3) == 0)
        {
            return FrameMutator.FixLength(f[..^1]); // pre-3.4 client: no readOnly byte
        }

        return f;
    }

    /// <summary>Writes everything without waiting for replies while draining replies; returns whether the
    /// server closed the connection (rather than us after the idle timeout).</summary>
    private static async Task<(bool ClosedByServer, long ReplyBytes)> RunConnection(string host, int port, byte[] bytes, bool halfClose)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var budget = new CancellationTokenSource(ConnectionBudget);
        try
        {
            await socket.ConnectAsync(host, port, budget.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            throw new InvalidOperationException($"server refused a new connection: {e.Message}", e);
        }

        var reader = DrainAsync(socket, budget.Token, waitForClose: halfClose);
        try
        {
            for (var at = 0; at < bytes.Length; at += 16 * 1024)
            {
                await socket.SendAsync(bytes.AsMemory(at, Math.Min(16 * 1024, bytes.Length - at)), SocketFlags.None, budget.Token);
            }

            if (halfClose)
            {
                socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the server closed the connection while we were writing: allowed
        }

        return await reader;
    }

    private static async Task<(bool ClosedByServer, long ReplyBytes)> DrainAsync(Socket socket, CancellationToken budget, bool waitForClose)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        while (true)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(budget);
            if (!waitForClose)
            {
                idle.CancelAfter(ReadIdle);
            }

            try
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, idle.Token);
                if (n == 0)
                {
                    return (true, total);
                }

                total += n;
            }
            catch (OperationCanceledException)
            {
                return (false, total);
            }
            catch (SocketException)
            {
                return (true, total); // reset by the server
            }
        }
    }

    private static async Task<bool> ClosedByPeerAsync(Socket socket, TimeSpan timeout)
    {
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0)
            {
                // replies sent before the bad frame are fine; keep reading until the close
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    private static async Task<long> AliveConnectionsAsync(IServerProcess server)
    {
        var mntr = await server.FourLetterWordAsync("mntr", TimeSpan.FromSeconds(10));
        var line = mntr.Split('\n').Single(l => l.StartsWith("zk_num_alive_connections\t", StringComparison.Ordinal));
        return long.Parse(line.Split('\t')[1], CultureInfo.InvariantCulture);
    }

    /// <summary>The median of the samples between two fractions of the run (e.g. 0.75..1.0 = the last quarter).</summary>
    private static long Median(List<long> samples, double from, double to)
    {
        var part = samples.Skip((int)(samples.Count * from)).Take(Math.Max(1, (int)(samples.Count * (to - from)))).Order().ToList();
        return part.Count == 0 ? samples[^1] : part[part.Count / 2];
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static long RssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kb * 1024;
            }
        }

        throw new InvalidOperationException($"no VmRSS for pid {pid}");
    }
}
