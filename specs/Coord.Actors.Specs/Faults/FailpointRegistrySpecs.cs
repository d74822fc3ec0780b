using Coord.Actors.Faults;

namespace Coord.Actors.Specs.Faults;

/// <summary>
/// The failpoint registry as a fault schedule drives it: specs parse or are refused with the reason, <c>after=K</c>
/// lets K hits pass, <c>times=N</c> fires at most N times, <c>fail</c> throws an I/O error, and crash, pause and
/// delay reach the process's actions (recorded here instead of killing the test host).
/// </summary>
public sealed class FailpointRegistrySpecs
{
    private sealed class Recorder : IFailpointActions
    {
        public List<string> Done { get; } = [];
        public void Crash(string name) => Done.Add($"crash {name}");
        public void Pause(string name, int ms) => Done.Add($"pause {name} {ms}");
        public void Delay(string name, int ms) => Done.Add($"delay {name} {ms}");
    }

    private static (FailpointRegistry, Recorder) Registry()
    {
        var recorder = new Recorder();
        return (new FailpointRegistry(Failpoints.Names, recorder), recorder);
    }

    [Theory]
    [InlineData("crash", FailpointAction.Crash, 0, int.MaxValue, 0)]
    [InlineData("fail times=3", FailpointAction.Fail, 0, 3, 0)]
    [InlineData("delay(150) after=10", FailpointAction.Delay, 150, int.MaxValue, 10)]
    [InlineData("  pause(2500)   after=20 times=1 ", FailpointAction.Pause, 2500, 1, 20)]
    [InlineData("off", FailpointAction.Off, 0, int.MaxValue, 0)]
    public void A_spec_parses_into_its_action_and_counts(string text, FailpointAction action, int ms, int times, int after)
    {
        var spec = FailpointSpec.Parse(text);
        Assert.Equal(new FailpointSpec(action, ms, times, after), spec);
        Assert.Equal(spec, FailpointSpec.Parse(spec.ToString()));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("explode", "unknown failpoint action 'explode'")]
    [InlineData("delay", "needs a duration")]
    [InlineData("crash(5)", "takes no argument")]
    [InlineData("delay(-5)", "whole number of milliseconds")]
    [InlineData("delay(5", "whole number of milliseconds")]
    [InlineData("crash times", "not KEY=N")]
    [InlineData("crash times=x", "not KEY=N")]
    [InlineData("crash every=3", "unknown failpoint option 'every'")]
    public void A_bad_spec_is_refused_with_the_reason(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => FailpointSpec.Parse(text));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void After_lets_hits_pass_and_times_caps_how_often_the_action_fires()
    {
        var (registry, recorder) = Registry();
        registry.Arm(Failpoints.LearnerAfterAck, FailpointSpec.Parse("delay(7) after=2 times=3"));
        for (int i = 0; i < 10; i++) registry.Hit(Failpoints.LearnerAfterAck);
        Assert.Equal(Enumerable.Repeat($"delay {Failpoints.LearnerAfterAck} 7", 3), recorder.Done);
        var listed = registry.List().Single(p => p.Name == Failpoints.LearnerAfterAck);
        Assert.Equal((10L, 3L), (listed.Hits, listed.Fired));
    }

    [Fact]
    public void Fail_throws_an_io_error_naming_the_point_and_off_points_do_nothing()
    {
        var (registry, recorder) = Registry();
        registry.Hit(Failpoints.JournalBeforeCommit); // off: nothing
        registry.Arm(Failpoints.JournalBeforeCommit, FailpointSpec.Parse("fail times=1"));
        var e = Assert.Throws<FailpointException>(() => registry.Hit(Failpoints.JournalBeforeCommit));
        Assert.IsAssignableFrom<IOException>(e);
        Assert.Contains(Failpoints.JournalBeforeCommit, e.Message, StringComparison.Ordinal);
        registry.Hit(Failpoints.JournalBeforeCommit); // fired its one time
        registry.Disarm(Failpoints.JournalBeforeCommit);
        registry.Hit(Failpoints.JournalBeforeCommit);
        Assert.Empty(recorder.Done);
        Assert.Equal(0, registry.List().Single(p => p.Name == Failpoints.JournalBeforeCommit).Hits);
    }

    [Fact]
    public void Crash_and_pause_reach_the_process_actions()
    {
        var (registry, recorder) = Registry();
        registry.ArmAll($"{Failpoints.LeaderBeforeCommit}=crash; {Failpoints.SnapshotInstallStaged}=pause(300)");
        registry.Hit(Failpoints.LeaderBeforeCommit);
        registry.Hit(Failpoints.SnapshotInstallStaged);
        Assert.Equal([$"crash {Failpoints.LeaderBeforeCommit}", $"pause {Failpoints.SnapshotInstallStaged} 300"], recorder.Done);
    }

    [Fact]
    public void Arming_from_the_environment_form_is_all_or_nothing_and_names_the_known_points()
    {
        var (registry, _) = Registry();
        var e = Assert.Throws<FormatException>(() => registry.ArmAll($"{Failpoints.JournalAfterCommit}=crash;journal.befor-commit=crash"));
        Assert.Contains("no failpoint named 'journal.befor-commit'", e.Message, StringComparison.Ordinal);
        Assert.Contains(Failpoints.JournalBeforeCommit, e.Message, StringComparison.Ordinal);
        Assert.All(registry.List(), p => Assert.Equal(FailpointAction.Off, p.Spec.Action));
        Assert.Throws<FormatException>(() => registry.ArmAll("crash"));
        Assert.Throws<ArgumentException>(() => registry.Hit("no.such.point"));
    }

    [Fact]
    public void The_test_host_runs_with_failpoints_off()
    {
        // Specs never set COORD_FAILPOINTS for the test process: the points compiled into the server stay inert here.
        Assert.False(Failpoints.Enabled);
    }
}
