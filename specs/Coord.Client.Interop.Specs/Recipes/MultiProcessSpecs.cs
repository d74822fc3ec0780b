using System.Diagnostics;
using System.Threading.Channels;
using Coord.Client.Recipes;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;
using static Coord.Client.Interop.Specs.Specs;

namespace Coord.Client.Interop.Specs.Recipes;

/// <summary>
/// The lock and leader recipes with participants in separate processes (<c>coord-recipe-worker</c>, see
/// specs/Coord.RecipeWorker): mutual exclusion over thousands of acquisitions, and leader fail-over after kill -9.
/// Eight busy processes take both cores, so these run alone (their own collection, not in parallel with other
/// classes), where they cannot stretch the timing of the session specs.
/// </summary>
[Collection(nameof(MultiProcessSpecs))]
public sealed class MultiProcessSpecs(ServersFixture servers, ITestOutputHelper output) : IClassFixture<ServersFixture>
{
    public static TheoryData<string> Kinds => Servers.KindData;

    private const int Workers = 8;
    private const int IterationsEach = 250; // 2,000 acquisitions in all
    private const int LeaderSessionMs = 2000;
    private static readonly TimeSpan RunMax = TimeSpan.FromSeconds(120);

    private static string WorkerDll => Path.Combine(AppContext.BaseDirectory, "coord-recipe-worker.dll");

    [Theory, MemberData(nameof(Kinds))]
    public async Task Eight_processes_take_the_lock_two_thousand_times_and_never_hold_it_together(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(admin, "mplock");
        await admin.CreateAsync($"{root}/counter", Bytes("0 0"));
        var workers = new List<ChildProcess>();
        try
        {
            for (int i = 0; i < Workers; i++)
            {
                workers.Add(StartWorker("lock", server, root, $"w{i}", "--iterations", $"{IterationsEach}"));
            }
            foreach (var worker in workers) await worker.WaitForLineAsync(l => l.StartsWith("ready "), Wait, "the worker to connect");

            // All start together, so they contend from the first acquisition on.
            var clock = Stopwatch.StartNew();
            foreach (var worker in workers)
            {
                await worker.Stdin.WriteLineAsync("go");
                await worker.Stdin.FlushAsync();
            }
            var done = await Task.WhenAll(workers.Select(w => w.WaitForLineAsync(l => l.StartsWith("done "), RunMax, "the worker to finish")));
            var exits = await Task.WhenAll(workers.Select(w => w.Exited.WaitAsync(Wait)));
            output.WriteLine($"{kind}: {Workers} processes x {IterationsEach} acquisitions in {clock.ElapsedMilliseconds} ms");

            // "done <id> <acquisitions> <violations> <ms>"
            var fields = done.Select(line => line.Split(' ')).ToList();
            Assert.All(fields, f => Assert.Equal(IterationsEach.ToString(), f[2]));
            Assert.All(fields, f => Assert.True(f[3] == "0", $"worker {f[1]} saw {f[3]} violations\n" +
                workers.Select(w => w.Describe()).FirstOrDefault(d => d.Contains("violation"))));
            Assert.All(exits, code => Assert.Equal(0, code));
            // Every versioned increment landed, and the last token stored is the highest of all.
            var counter = System.Text.Encoding.UTF8.GetString((await admin.GetDataAsync($"{root}/counter")).Data).Split(' ');
            Assert.Equal(Workers * IterationsEach, int.Parse(counter[0]));
            Assert.True(long.Parse(counter[1]) > 0);
            Assert.Null(await admin.ExistsAsync($"{root}/holder"));
            Assert.Empty(await admin.GetChildrenAsync($"{root}/mutex"));
        }
        finally
        {
            await StopAllAsync(workers);
        }
    }

    [Fact]
    public async Task Without_the_lock_the_same_checks_see_overlapping_holders()
    {
        // The control for the spec above: the checks must be able to fail. Four workers run the same critical section
        // with no lock; they cannot all stay out of each other's way for 4 x 100 rounds.
        const int Unlocked = 4, Rounds = 100;
        var server = await servers.GetAsync("coord");
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(admin, "mpnolock");
        await admin.CreateAsync($"{root}/counter", Bytes("0 0"));
        var workers = new List<ChildProcess>();
        try
        {
            for (int i = 0; i < Unlocked; i++)
            {
                workers.Add(StartWorker("lock", server, root, $"w{i}", "--iterations", $"{Rounds}", "--no-lock", "true"));
            }
            foreach (var worker in workers) await worker.WaitForLineAsync(l => l.StartsWith("ready "), Wait, "the worker to connect");
            foreach (var worker in workers)
            {
                await worker.Stdin.WriteLineAsync("go");
                await worker.Stdin.FlushAsync();
            }
            var done = await Task.WhenAll(workers.Select(w => w.WaitForLineAsync(l => l.StartsWith("done "), RunMax, "the worker to finish")));
            int violations = done.Sum(line => int.Parse(line.Split(' ')[3]));
            output.WriteLine($"without the lock: {violations} violations in {Unlocked * Rounds} rounds");
            Assert.True(violations > 0);
        }
        finally
        {
            await StopAllAsync(workers);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Killing_the_leaders_process_hands_leadership_to_another_within_the_session_timeout(string kind)
    {
        const int Participants = 4, Kills = 2;
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string path = $"{await RootAsync(admin, "mpleader")}/leader";
        var workers = new List<ChildProcess>();
        var lines = Channel.CreateUnbounded<(int Worker, string Line)>();
        try
        {
            for (int i = 0; i < Participants; i++)
            {
                var worker = StartWorker("leader", server, path, $"p{i}", "--session-ms", $"{LeaderSessionMs}");
                workers.Add(worker);
                _ = CollectAsync(i, worker, lines.Writer);
            }
            int ready = 0, leader = -1;
            while (ready < Participants || leader < 0)
            {
                var (from, line) = await lines.Reader.ReadAsync().AsTask().WaitAsync(Wait);
                if (line.StartsWith("ready ")) ready++;
                if (line.StartsWith("leader ")) leader = from;
            }
            var alive = Enumerable.Range(0, Participants).ToHashSet();
            for (int kill = 0; kill < Kills; kill++)
            {
                long killedAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var clock = Stopwatch.StartNew();
                Assert.True(Posix.Signal(workers[leader].Pid, Posix.SigKill));
                alive.Remove(leader);
                int previous = leader;
                string leaderLine;
                while (true)
                {
                    var (from, line) = await lines.Reader.ReadAsync().AsTask().WaitAsync(Wait);
                    if (!line.StartsWith("leader ")) continue;
                    Assert.Contains(from, alive); // a line of the killed process cannot come after the kill
                    leader = from;
                    leaderLine = line;
                    break;
                }
                double seen = clock.Elapsed.TotalMilliseconds;
                // "leader <id> <unix-ms> <token>"
                long failoverMs = long.Parse(leaderLine.Split(' ')[2]) - killedAtMs;
                output.WriteLine($"{kind}: kill -9 of p{previous}: p{leader} leads {failoverMs} ms later " +
                    $"(line read after {seen:0} ms; session timeout {LeaderSessionMs} ms, tick 500 ms)");
                // The session must expire first (no leader while the old one may live), then the successor is woken.
                Assert.InRange(failoverMs, LeaderSessionMs / 2, LeaderSessionMs + 2500);
                var participants = await LeaderLatch.GetParticipantsAsync(admin, path);
                Assert.Equal(alive.Order().Select(i => $"p{i}"), participants.Select(p => p.Id).Order());
                Assert.Equal($"p{leader}", participants[0].Id);
            }
        }
        finally
        {
            await StopAllAsync(workers);
        }
    }

    private static ChildProcess StartWorker(string mode, IServerProcess server, string path, string id, params string[] extra)
    {
        if (!File.Exists(WorkerDll)) throw new InvalidOperationException($"{WorkerDll} is missing (build Coord.sln)");
        return ChildProcess.Start("dotnet",
            [WorkerDll, mode, "--server", server.ConnectString, "--path", path, "--id", id, .. extra]);
    }

    /// <summary>Forwards every stdout line of one worker, tagged with its index, until it exits.</summary>
    private static async Task CollectAsync(int index, ChildProcess worker, ChannelWriter<(int, string)> lines)
    {
        try
        {
            while (true) lines.TryWrite((index, await worker.WaitForLineAsync(_ => true, RunMax, "a line")));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // The worker exited (or fell silent); its lines so far were forwarded.
        }
    }

    private static async Task StopAllAsync(List<ChildProcess> workers)
    {
        foreach (var worker in workers) worker.Kill();
        foreach (var worker in workers) await worker.Exited.WaitAsync(Wait);
    }
}

/// <summary>Runs <see cref="MultiProcessSpecs"/> after the parallel classes, with nothing else running.</summary>
[CollectionDefinition(nameof(MultiProcessSpecs), DisableParallelization = true)]
public sealed class MultiProcessCollection;
