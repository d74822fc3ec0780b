using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Coord.Client;
using Coord.Interop.Specs.Harness;
using Coord.Protocol;
using Xunit.Abstractions;

namespace Coord.Interop.Specs.Ensemble;

/// <summary>
/// The ephemeral of a client that died expires exactly once, even when the leader that tracks its session dies too:
/// a kazoo process holds an ephemeral with a short session; it is killed -9, and the leader is killed -9 somewhere
/// between 0.4 and 1.2 times that session's timeout later (so the expiry lands before, during or after the election).
/// The ephemeral disappears on every member, a persistent watch sees one NodeDeleted, and every member's journal
/// holds exactly one closeSession for the session, at the same zxid.
/// Knob (environment; not COORD_*): ENSEMBLE_SPEC_SEED (default random, printed).
/// </summary>
[Collection(nameof(EnsembleFaultsCollection))]
public sealed partial class EnsembleEphemeralSpecs(ITestOutputHelper output)
{
    private const string Path = "/eph/holder";
    private const double HolderTimeoutS = 1.2;

    [GeneratedRegex(@"^READY (?<sid>[0-9a-f]+) (?<timeout>\d+)$")]
    private static partial Regex ReadyLine();

    [Fact]
    public async Task Ephemeral_of_a_killed_client_expires_exactly_once_while_the_leader_is_killed_too()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("ENSEMBLE_SPEC_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        var random = new Random(seed);
        await using var ensemble = await EnsembleProcesses.StartAsync(new EnsembleLayout());
        var leader = await ensemble.WaitForLeaderAsync(TimeSpan.FromSeconds(60));

        var holder = ChildProcess.Start(Tools.Python,
            [System.IO.Path.Combine(RepoPaths.SpecsDir, "Ensemble", "ephemeral_holder.py"), ensemble.ConnectString, Path,
             HolderTimeoutS.ToString(CultureInfo.InvariantCulture)]);
        try
        {
            var ready = ReadyLine().Match(await holder.WaitForLineAsync(l => ReadyLine().IsMatch(l), TimeSpan.FromSeconds(30), "the kazoo holder's READY line"));
            long sid = long.Parse(ready.Groups["sid"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            int timeoutMs = int.Parse(ready.Groups["timeout"].Value, CultureInfo.InvariantCulture);

            var events = new List<WatchedEvent>();
            var deleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var watcher = await CoordClient.ConnectAsync(ensemble.ConnectString, new CoordClientOptions { SessionTimeout = TimeSpan.FromSeconds(4) });
            Assert.NotNull(await watcher.ExistsAsync(Path));
            await watcher.AddWatchAsync(Path, AddWatchMode.Persistent, e =>
            {
                lock (events) events.Add(e);
                if (e.Type == EventType.NodeDeleted) deleted.TrySetResult();
            });

            var holderOn = (await EnsembleInspect.SessionHostsAsync(ensemble)).GetValueOrDefault(sid);
            var leaderDelayMs = (int)(timeoutMs * (0.4 + random.NextDouble() * 0.8));
            output.WriteLine($"seed {seed} (rerun with ENSEMBLE_SPEC_SEED={seed}): holder session 0x{sid:x} ({timeoutMs} ms) on member {holderOn}; " +
                             $"killing it, then leader {leader.Id} {leaderDelayMs} ms later");

            var killedAt = Stopwatch.GetTimestamp();
            Posix.Signal(holder.Pid, Posix.SigKill);
            await holder.Exited.WaitAsync(TimeSpan.FromSeconds(10));
            await Task.Delay(leaderDelayMs); // fault timing: where in the session's timeout the leader dies, not a wait for a condition
            leader.Kill9();
            await leader.WaitExitedAsync();

            try
            {
                await deleted.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"the watcher saw no NodeDeleted for {Path} within 30 s of the kills\n{ensemble.Describe()}");
            }
            output.WriteLine($"NodeDeleted {Stopwatch.GetElapsedTime(killedAt).TotalMilliseconds:0} ms after the holder was killed");

            await RestartAndRejoinAsync(ensemble, leader);
            EnsembleInspect.DescribeIfVerbose(output, ensemble);
            var views = await EnsembleInspect.SameTreeOnEveryMemberAsync(ensemble, "/eph");
            Assert.Equal(3, views.Count);
            Assert.All(views, v => Assert.False(v.Tree.ContainsKey(Path), $"member {v.Id} still serves {Path}\n{ensemble.Describe()}"));

            // A write and a read after a sync: any further event on the watched path would arrive before their replies.
            await watcher.SyncAsync("/");
            await watcher.CreateAsync("/eph/after", null);
            await watcher.GetDataAsync("/eph/after");
            lock (events)
            {
                Assert.True(events.Count == 1 && events[0].Type == EventType.NodeDeleted,
                    $"the persistent watch on {Path} saw [{string.Join(", ", events)}], not one NodeDeleted");
            }
            await watcher.DisposeAsync();

            foreach (var m in ensemble.Members) await m.StopAsync();
            var closes = new List<(int Id, List<string> Lines)>();
            foreach (var m in ensemble.Members)
            {
                var dump = await EnsembleInspect.JournalDumpAsync(m);
                closes.Add((m.Id, dump.Split('\n').Where(l => l.Contains($"CloseSession 0x{sid:x} ", StringComparison.Ordinal)).ToList()));
            }
            foreach (var (id, lines) in closes) output.WriteLine($"member {id}: {string.Join(" | ", lines)}");
            Assert.All(closes, c => Assert.True(c.Lines.Count == 1,
                $"member {c.Id}'s journal holds {c.Lines.Count} closeSession txns for 0x{sid:x}:\n{string.Join("\n", c.Lines)}"));
            var zxids = closes.Select(c => c.Lines[0].Split(' ')[0]).Distinct().ToList();
            Assert.True(zxids.Count == 1, $"the closeSession of 0x{sid:x} sits at different zxids: {string.Join(", ", zxids)}");
        }
        finally
        {
            await holder.DisposeAsync();
        }
    }

    private static async Task RestartAndRejoinAsync(EnsembleProcesses ensemble, EnsembleMember victim)
    {
        await victim.StartAsync();
        await ensemble.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
    }
}
