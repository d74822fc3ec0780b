using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Text;
using Xunit.Abstractions;

using Coord.Interop.Specs.Ensemble;
using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Faults;

/// <summary>
/// Failpoints (Coord.Actors/Faults) in a real three-member ensemble under client load: every member starts with
/// COORD_FAILPOINTS set (nothing armed) and its admin HTTP server on; once six writers are going, one point is armed
/// on one member through <c>PUT /failpoints/NAME</c>, at the moment the spec chooses. A crash there is a SIGKILL at
/// exactly that step of the protocol (between the fsync and the ACK, between a quorum and the COMMIT, ...); a failed
/// fsync stops the member; a pause freezes it past the sync limit. The member is restarted (or resumes), rejoins, and
/// then every member holds every acknowledged write, no multi by half, and the same tree.
/// </summary>
[Collection(nameof(EnsembleFaultsCollection))]
public sealed class FailpointEnsembleSpecs(ITestOutputHelper output)
{
    private const int Writers = 6;
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(45);

    public static TheoryData<string, string, bool> Points => new()
    {
        // point, spec, on the leader (else a follower)
        { "journal.before-commit", "crash after=20", true },
        { "journal.before-commit", "fail after=20", false },
        { "journal.after-commit", "crash after=20", false },
        { "learner.after-ack", "crash after=20", false },
        { "learner.before-apply", "crash after=20", false },
        { "leader.before-commit", "crash after=20", true },
        { "leader.before-commit", "pause(2500) after=20 times=1", true },
        { "journal.before-commit", "delay(150) times=20", false },
    };

    /// <summary>
    /// The leader's wall clock jumps ten hours ahead, then ten hours back (<c>PUT /failpoints/clock</c>): the times it
    /// stamps on txns follow (ctime), but nothing that decides safety reads the wall clock, so a 4 s session with an
    /// ephemeral lives on across both jumps and every write is acknowledged in order.
    /// </summary>
    [Fact]
    public async Task A_leader_whose_wall_clock_jumps_hours_stamps_the_jumped_time_and_expires_nothing()
    {
        var layout = new EnsembleLayout { Admin = true, Environment = new Dictionary<string, string> { ["COORD_FAILPOINTS"] = "" } };
        await using var ensemble = await EnsembleProcesses.StartAsync(layout);
        var leader = await ensemble.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        await using var client = await Coord.Client.CoordClient.ConnectAsync(ensemble.ConnectString,
            new Coord.Client.CoordClientOptions { SessionTimeout = SessionTimeout });
        await client.CreateAsync("/mine", null, mode: Coord.Protocol.CreateMode.Ephemeral);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var clock = $"http://{leader.Address}:{leader.AdminPort}/failpoints/clock";
        const long TenHoursMs = 10 * 3_600_000L;

        async Task<long> CtimeOfNewNodeAsync(string path)
        {
            await client.CreateAsync(path, null);
            return (await client.ExistsAsync(path))!.Value.Ctime;
        }

        long before = await CtimeOfNewNodeAsync("/t0");
        Assert.True((await http.PutAsync(clock, new StringContent(TenHoursMs.ToString(CultureInfo.InvariantCulture)))).IsSuccessStatusCode);
        long ahead = await CtimeOfNewNodeAsync("/t1");
        Assert.True(ahead - before >= TenHoursMs - 60_000, $"ctime {ahead} is not ten hours after {before}");
        Assert.True((await http.PutAsync(clock, new StringContent((-TenHoursMs).ToString(CultureInfo.InvariantCulture)))).IsSuccessStatusCode);
        long behind = await CtimeOfNewNodeAsync("/t2");
        Assert.True(before - behind >= TenHoursMs - 60_000, $"ctime {behind} is not ten hours before {before}");

        // Two session timeouts with the clock ten hours back: the session and its ephemeral are still there.
        var until = Stopwatch.GetTimestamp() + 2 * SessionTimeout.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;
        int pings = 0;
        while (Stopwatch.GetTimestamp() < until)
        {
            await CtimeOfNewNodeAsync($"/p{pings++}");
        }
        Assert.True((await http.DeleteAsync(clock)).IsSuccessStatusCode);
        Assert.NotNull(await client.ExistsAsync("/mine"));
        Assert.Equal(ensemble.Members.Count, ensemble.Members.Count(m => m.Running));
        output.WriteLine($"ctime before {before}, ahead {ahead}, behind {behind}; {pings} writes over two session timeouts, session kept");
    }

    [Theory]
    [MemberData(nameof(Points))]
    public async Task A_member_hit_at_a_failpoint_under_load_loses_no_acknowledged_write(string point, string spec, bool onLeader)
    {
        var layout = new EnsembleLayout { Admin = true, Environment = new Dictionary<string, string> { ["COORD_FAILPOINTS"] = "" } };
        await using var ensemble = await EnsembleProcesses.StartAsync(layout);
        var leader = await ensemble.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("failpoints enabled", leader.Describe(), StringComparison.Ordinal);
        await using var writers = await EnsembleWriters.ConnectAsync(ensemble.ConnectString, "/load", Writers, SessionTimeout);
        var victim = onLeader ? leader : ensemble.Members.First(m => m != leader);
        var epochBefore = leader.Role!.Epoch;

        writers.Start();
        await writers.WhenEachAckedAsync(10, Phase, "before arming", ensemble.Describe);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var armedAt = Stopwatch.GetTimestamp();
        var put = await http.PutAsync($"http://{victim.Address}:{victim.AdminPort}/failpoints/{point}", new StringContent(spec, Encoding.UTF8));
        var answer = await put.Content.ReadAsStringAsync();
        Assert.True(put.IsSuccessStatusCode, $"PUT /failpoints/{point} '{spec}': {(int)put.StatusCode} {answer}");
        output.WriteLine($"leader {leader.Id}; armed {answer.Trim()} on member {victim.Id} ({(onLeader ? "leader" : "follower")})");

        string outcome;
        if (spec.StartsWith("crash", StringComparison.Ordinal) || spec.StartsWith("fail", StringComparison.Ordinal))
        {
            int code = await victim.Process!.Exited.WaitAsync(Phase);
            await victim.WaitExitedAsync();
            var said = spec.StartsWith("crash", StringComparison.Ordinal) ? $"failpoint {point}: crash" : $"failpoint {point}: injected failure";
            Assert.Contains(said, victim.Describe(), StringComparison.Ordinal);
            if (onLeader) await ensemble.WaitForLeaderAsync(Phase, notId: victim.Id);
            await writers.WhenEachAckedAsync(20, Phase, $"with member {victim.Id} down", ensemble.Describe);
            outcome = $"member {victim.Id} exited ({code}) {Stopwatch.GetElapsedTime(armedAt).TotalMilliseconds:0} ms after arming";
            await victim.StartAsync(); // with nothing armed: a restart is a fresh process
        }
        else if (spec.StartsWith("pause", StringComparison.Ordinal))
        {
            // Frozen between a quorum and its COMMIT for longer than the sync limit: the others elect and go on.
            var others = ensemble.Members.Where(m => m != victim).ToList();
            var (newLeader, _) = await EnsembleInspect.WaitForLeaderAmongAsync(ensemble, others, epochBefore, Phase);
            outcome = $"member {newLeader.Id} leads {Stopwatch.GetElapsedTime(armedAt).TotalMilliseconds:0} ms after arming";
            await victim.WhenAsync(r => r.Epoch > epochBefore && r.State != "leading").WaitAsync(Phase);
        }
        else
        {
            // A slow disk on a follower: the ensemble keeps acknowledging (the other follower makes the quorum).
            await writers.WhenEachAckedAsync(20, Phase, $"with member {victim.Id}'s disk slow", ensemble.Describe);
            outcome = "writes went on while the follower's fsyncs were slow";
        }
        await ensemble.WaitForLeaderAsync(Phase);
        await writers.WhenEachAckedAsync(10, Phase, $"after member {victim.Id} rejoined", ensemble.Describe);
        await writers.StopAsync();
        Assert.True(!writers.Failures.Any(), string.Join("\n", writers.Failures));

        var views = await EnsembleInspect.SameTreeOnEveryMemberAsync(ensemble, writers.Root);
        Assert.Equal(3, views.Count);
        foreach (var (id, tree) in views)
        {
            var problems = writers.Problems(id, tree);
            Assert.True(problems.Count == 0, $"after {point}={spec} on member {victim.Id}:\n{string.Join("\n", problems)}\n{ensemble.Describe()}");
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{point}={spec}: {outcome}; {writers.All.Sum(w => w.Acked)} writes acknowledged, " +
            $"{writers.All.Sum(w => w.InDoubt.Count)} in doubt; {views[0].Tree.Count} nodes on every member"));
    }
}
