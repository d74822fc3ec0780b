using Coord.Actors.Replication;
using Xunit.Abstractions;

namespace Coord.Actors.Specs.Replication;

/// <summary>The simulator's self-check: with a bug planted in the core, some early seed must break an invariant.</summary>
public sealed class SimPlantedBugSpecs(ITestOutputHelper output)
{
    private const int SeedsMax = 200;

    private SimOutcome FirstViolation(SimOptions options)
    {
        for (int seed = 1; seed <= SeedsMax; seed++)
        {
            var outcome = SimRunner.Run(options, seed);
            if (outcome.Violation is null) continue;
            output.WriteLine($"{options} with {options.Bug}: caught by seed {seed}: {outcome.Violation.Message}");
            return outcome;
        }
        Assert.Fail($"{options} with the planted bug {options.Bug}: no violation in {SeedsMax} seeds");
        return null!;
    }

    [Fact]
    public void Committing_without_a_quorum_is_caught() =>
        Assert.Equal("committed lost", FirstViolation(new SimOptions(3, Bug: PlantedBug.CommitWithoutQuorum)).Violation!.Check);

    [Fact]
    public void Acknowledging_before_the_disk_has_it_is_caught() =>
        Assert.Equal("committed lost", FirstViolation(new SimOptions(3, Bug: PlantedBug.AckBeforeDurable)).Violation!.Check);

    [Fact]
    public void Ignoring_a_truncate_is_caught() =>
        Assert.NotNull(FirstViolation(new SimOptions(3, Bug: PlantedBug.IgnoreTruncate)).Violation);
}
