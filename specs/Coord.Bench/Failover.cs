using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Coord.Bench;

/// <summary>The figures of one kill -9 of a leader under writers (failover/writers.py's result line, plus the member-side time).</summary>
public sealed record FailoverResult(string Server, int Round, IReadOnlyDictionary<string, double> Figures, string? Failure, string Json) : IFigureRun
{
    public bool Clean => Failure is null && Figures.GetValueOrDefault("lost") == 0 && Figures.GetValueOrDefault("unexpected") == 0;
}

/// <summary>
/// --failover: for each round and each server (order swapped every round), a fresh ensemble; W kazoo writers
/// (failover/writers.py, /usr/bin/python3) each given every member's address write sequential creates; once they are
/// steady the leader gets kill -9. The writers report the pause (the longest stretch in which no writer had a write
/// acknowledged) and, after a sync through a surviving member, whether every acknowledged create is there. Alongside,
/// the survivors are asked <c>srvr</c> every 20 ms until one says Mode: leader (the same question to both servers),
/// which separates the election from the clients' reconnect back-off. Medians over rounds, coord/zk ratios.
/// </summary>
public static class Failover
{
    private static readonly TimeSpan NewLeaderPoll = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Table rows: (figure, how rounds combine). Counts of lost or unexpected writes are summed, never medianed.</summary>
    private static readonly FigureRow[] Rows =
    [
        new("pause_ms"), new("new_leader_ms"), new("all_resumed_ms"), new("worst_writer_gap_ms"), new("writes_per_s_before"),
        new("acknowledged"), new("in_doubt"), new("lost", Sum: true), new("unexpected", Sum: true), new("sessions_expired", Sum: true),
    ];

    public static async Task<int> RunAsync(BenchOptions o, CancellationToken ct)
    {
        string coordDll = o.CoordDll ?? await Compare.LocateCoordDllAsync(ct);
        string script = Path.Combine(RepoPaths.Root(), "specs", "Coord.Bench", "failover", "writers.py");
        var settings = new Ensemble.Settings(o.Ensemble, coordDll, o.ZooKeeperForceSync, o.ZooKeeperHeapMib);
        Console.WriteLine($"# coord: {coordDll} (built {File.GetLastWriteTimeUtc(coordDll):yyyy-MM-dd HH:mm:ss} UTC)");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# failover: ensembles of {o.Ensemble} from zoo.cfg (tickTime {Ensemble.TickMs}, initLimit {Ensemble.InitLimitTicks}, syncLimit {Ensemble.SyncLimitTicks}; zookeeper forceSync={(o.ZooKeeperForceSync ? "yes" : "no")}, -Xmx{o.ZooKeeperHeapMib}m)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {o.Writers} kazoo writers (/usr/bin/python3 {script}) given every member, sequential creates; kill -9 of the leader after {o.WarmupSeconds:0.#} s; {o.Seconds:0.#} s more once every writer resumed; {o.Rounds} round(s)"));

        var results = new List<FailoverResult>();
        for (int round = 1; round <= o.Rounds; round++)
        {
            string[] order = round % 2 == 1 ? ["zookeeper", "coord"] : ["coord", "zookeeper"];
            foreach (var server in order)
            {
                var r = await RunOnceAsync(server, round, settings, script, o, ct);
                results.Add(r);
                Console.WriteLine(Line(r));
                Console.WriteLine("json " + r.Json);
            }
        }

        return FigureTable.Finish(string.Create(CultureInfo.InvariantCulture,
                $"failover over {o.Rounds} round(s): medians (lost, unexpected, sessions_expired: sums); ratio = coord/zk"),
            results, Rows, o.Markdown, "failed or lost acknowledged writes", Line);
    }

    private static string Line(FailoverResult r)
    {
        string F(string name) => r.Figures.TryGetValue(name, out double v) ? v.ToString("0.#", CultureInfo.InvariantCulture) : "-";
        return r.Failure is not null
            ? $"failover {r.Server,-9} round {r.Round}: FAILED: {r.Failure}"
            : $"failover {r.Server,-9} round {r.Round}: pause {F("pause_ms")} ms, new leader {F("new_leader_ms")} ms, all writers resumed {F("all_resumed_ms")} ms, " +
              $"worst writer gap {F("worst_writer_gap_ms")} ms, acknowledged {F("acknowledged")} ({F("writes_per_s_before")}/s before), " +
              $"in doubt {F("in_doubt")}, lost {F("lost")}, unexpected {F("unexpected")}, sessions expired {F("sessions_expired")}";
    }

    private static async Task<FailoverResult> RunOnceAsync(string server, int round, Ensemble.Settings settings, string script,
        BenchOptions o, CancellationToken ct)
    {
        string root = $"/failover-{o.Label}-{round}";
        var figures = new Dictionary<string, double>();
        Ensemble? ensemble = null;
        Process? writers = null;
        var stderr = new OutputTail(40);
        try
        {
            ensemble = await Ensemble.StartAsync(server, settings, ct);
            var info = new ProcessStartInfo("/usr/bin/python3")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[]
                     {
                         script, "--hosts", ensemble.ConnectString, "--root", root,
                         "--writers", o.Writers.ToString(CultureInfo.InvariantCulture),
                         "--warmup-seconds", o.WarmupSeconds.ToString(CultureInfo.InvariantCulture),
                         "--after-seconds", o.Seconds.ToString(CultureInfo.InvariantCulture),
                     })
            {
                info.ArgumentList.Add(a);
            }
            writers = Process.Start(info) ?? throw new InvalidOperationException("could not start /usr/bin/python3");
            var errPump = PumpAsync(writers.StandardError, stderr);

            string Fail(string what) => $"{what}\n--- writers' stderr ---\n{stderr}\n{ensemble.Tail()}";
            async Task<string> ExpectAsync(string prefix)
            {
                using var step = CancellationTokenSource.CreateLinkedTokenSource(ct);
                step.CancelAfter(StepTimeout);
                try
                {
                    while (await writers.StandardOutput.ReadLineAsync(step.Token) is { } line)
                    {
                        if (line.StartsWith(prefix, StringComparison.Ordinal)) return line;
                        if (line.StartsWith("error", StringComparison.Ordinal)) throw new InvalidOperationException(Fail($"writers: {line}"));
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new TimeoutException(Fail($"writers printed no '{prefix}' line within {StepTimeout.TotalSeconds:0} s"));
                }
                await errPump;
                throw new InvalidOperationException(Fail($"writers exited before '{prefix}'"));
            }

            await ExpectAsync("connected");
            await ExpectAsync("steady");
            var leader = await ensemble.WaitForLeaderAsync(TimeSpan.FromSeconds(10), ct);
            var survivors = ensemble.Members.Where(m => m != leader).ToList();
            leader.Process.Kill9();
            long killTicks = Stopwatch.GetTimestamp();
            // Python's time.monotonic_ns() and Stopwatch both read CLOCK_MONOTONIC on Linux, so the writers can put the kill
            // on their own time line.
            await writers.StandardInput.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"killed {leader.HostPort} {MonotonicNs(killTicks)}"));
            await writers.StandardInput.FlushAsync(ct);
            var newLeader = NewLeaderAsync(survivors, killTicks, ct);

            string result = await ExpectAsync("result ");
            using var doc = JsonDocument.Parse(result["result ".Length..]);
            foreach (var p in doc.RootElement.EnumerateObject())
                if (p.Value.ValueKind == JsonValueKind.Number) figures[p.Name] = p.Value.GetDouble();
            if ((await newLeader) is { } ms) figures["new_leader_ms"] = ms;
            await writers.WaitForExitAsync(ct);
            await errPump;
            figures["killed_member"] = leader.Id;
            var json = Json(server, round, figures, doc.RootElement.GetRawText(), null);
            return new FailoverResult(server, round, figures, null, json);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is InvalidOperationException or TimeoutException or IOException
                                      or System.ComponentModel.Win32Exception or JsonException)
        {
            return new FailoverResult(server, round, figures, e.Message, Json(server, round, figures, "null", e.Message.Split('\n')[0]));
        }
        finally
        {
            if (writers is not null)
            {
                if (!writers.HasExited)
                {
                    writers.Kill(entireProcessTree: true);
                    await writers.WaitForExitAsync(CancellationToken.None);
                }
                writers.Dispose();
            }
            if (ensemble is not null) await ensemble.DisposeAsync();
        }
    }

    /// <summary>
    /// Milliseconds from the kill until a survivor answers srvr with Mode: leader and then accepts a session (Coord may
    /// say leader before it serves, ZooKeeper answers srvr only once it serves: the handshake makes the two the same
    /// question); null if none does within a minute.
    /// </summary>
    private static async Task<double?> NewLeaderAsync(IReadOnlyList<EnsembleMember> survivors, long killTicks, CancellationToken ct)
    {
        while (Setup.SecondsSince(killTicks) < 60)
        {
            var modes = await Task.WhenAll(survivors.Select(m => Ensemble.ModeAsync(m, ct)));
            foreach (var (m, mode) in survivors.Zip(modes))
            {
                if (mode != "leader") continue;
                try
                {
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    attempt.CancelAfter(TimeSpan.FromSeconds(1));
                    await using var conn = await BenchConnection.ConnectAsync(m.EndPoint, attempt.Token, bufferBytes: 4096);
                    double ms = Setup.SecondsSince(killTicks) * 1000;
                    await conn.CloseSessionAsync(attempt.Token);
                    return ms;
                }
                catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    // not serving yet
                }
            }
            await Task.Delay(NewLeaderPoll, ct);
        }
        return null;
    }

    private static long MonotonicNs(long ticks) =>
        Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)((Int128)ticks * 1_000_000_000 / Stopwatch.Frequency);

    private static async Task PumpAsync(StreamReader reader, OutputTail tail)
    {
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line) tail.Add(line);
    }

    /// <summary>One json line per run: the figures, and the writers' own result line (per-writer resume times, examples of lost writes).</summary>
    private static string Json(string server, int round, Dictionary<string, double> figures, string writersResult, string? failure)
    {
        using var stream = new MemoryStream();
        using (var j = new Utf8JsonWriter(stream))
        {
            j.WriteStartObject();
            j.WriteString("mode", "failover");
            j.WriteString("server", server);
            j.WriteNumber("round", round);
            foreach (var (name, value) in figures.OrderBy(f => f.Key, StringComparer.Ordinal)) j.WriteNumber(name, value);
            j.WritePropertyName("writers");
            j.WriteRawValue(writersResult);
            if (failure is null) j.WriteNull("failure"); else j.WriteString("failure", failure);
            j.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}

/// <summary>The last lines of a stream, for failure messages; thread-safe.</summary>
public sealed class OutputTail(int lines)
{
    private readonly Queue<string> _lines = new();

    public void Add(string line)
    {
        lock (_lines)
        {
            _lines.Enqueue(line);
            while (_lines.Count > lines) _lines.Dequeue();
        }
    }

    public override string ToString()
    {
        lock (_lines) return string.Join('\n', _lines);
    }
}
